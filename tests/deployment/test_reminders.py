"""A reminder and the weekly preview reach a new user from the installed `earnings-bot run`, whose
wall clock is shifted (libfaketime, monotonic clock left true) to a few minutes before Sunday
18:00 in New York on the day daylight saving time begins, in a server zone nobody uses.

The bot's process alone runs on the shifted clock; the loopback servers and this test run on the
real one. faketime is installed by `.ci/run`: in CI (CI=1) its absence fails this test instead
of skipping it.
"""

from __future__ import annotations

import asyncio
import glob
import os
import shutil
import time
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.sandbox.calendars import finnhub_row
from tests.deployment.harness import BotProcess, Deployment

pytestmark = pytest.mark.slow

NEW_YORK = ZoneInfo("America/New_York")
SUNDAY_18 = datetime(2026, 3, 8, 18, 0, tzinfo=NEW_YORK)  # the first evening of EDT
START = SUNDAY_18 - timedelta(seconds=75)  # the bot's clock when it starts
ODD_ZONE = "Asia/Kathmandu"  # UTC+05:45: minutes that are not whole hours anywhere near New York
CHAT = 6_900_000_001


def libfaketime() -> str:
    """The preloaded library of Debian's faketime package (the `faketime` wrapper forks, so a
    signal sent to it would not reach the bot: the library is preloaded into the bot directly)."""
    found = sorted(glob.glob("/usr/lib/*/faketime/libfaketime.so.1")) if shutil.which("faketime") else []
    if not found:
        message = "faketime is not installed (apt-get install -y faketime)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return found[0]


async def start_shifted(world: Deployment, library: str, offset: float) -> BotProcess:
    env = world.env(finnhub=True, idle_seconds=30)
    env.update({"LD_PRELOAD": library, "FAKETIME": f"{offset:+.3f}", "FAKETIME_DONT_FAKE_MONOTONIC": "1",
                "TZ": ODD_ZONE})
    process = await asyncio.create_subprocess_exec(
        str(world.command), "run", cwd=world.workdir, env=env,
        stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )
    bot = BotProcess(process)
    world.processes.append(bot)
    return bot


async def test_a_shifted_clock_brings_the_reminder_and_the_preview_at_sunday_18_00(deployment: Deployment) -> None:
    library = libfaketime()
    deployment.calendars.nasdaq_fail_with = 429  # Finnhub alone: Nasdaq's window read is slow
    deployment.calendars.nasdaq_retry_after = "3600"
    deployment.calendars.finnhub_rows.append(
        finnhub_row("NVDA", date(2026, 3, 9), eps=0.84, revenue=38_100_000_000, hour="amc", quarter=4, year=2026))
    offset = START.timestamp() - time.time()

    def shifted_now() -> datetime:
        return datetime.fromtimestamp(time.time() + offset, UTC)

    bot = await start_shifted(deployment, library, offset)
    await deployment.new_watcher(bot, CHAT, "NVDA")
    assert shifted_now() < SUNDAY_18 - timedelta(seconds=30), "the bot took too long to start"
    seen = len(deployment.messages(CHAT))
    await deployment.until(lambda: len(deployment.messages(CHAT)) > seen, timeout=150,
                           what="the Sunday evening reminder", bot=bot, chats=(CHAT,))
    arrived = shifted_now()
    assert SUNDAY_18 <= arrived < SUNDAY_18 + timedelta(seconds=60), (arrived.astimezone(NEW_YORK), bot.tail())
    message = deployment.messages(CHAT)[seen].visible_text
    tomorrow, preview = message.split("\n\n", 1)
    assert tomorrow.startswith("⏰ Tomorrow: NVDA"), deployment.describe(CHAT)
    assert "Mon Mar 09 after the close. Consensus EPS $0.84" in tomorrow
    assert preview.startswith("🗓 Your week ahead: Mon Mar 09 to Sun Mar 15\n\nMon Mar 09\nNVDA")
    await deployment.settle(bot=bot)
    assert len(deployment.messages(CHAT)) == seen + 1, deployment.describe(CHAT)
    code, _seconds = await bot.terminate()
    assert code == 0, bot.tail()
