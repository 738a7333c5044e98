"""A deployed bot in the user's time zone: /timezone Asia/Shanghai, then /watchlist in Shanghai time."""

from __future__ import annotations

import asyncio
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.sandbox.calendars import nasdaq_row
from tests.deployment.harness import NEW_YORK, Deployment, today_in_new_york

pytestmark = pytest.mark.slow

CHAT = 6_100_000_021
SHANGHAI = ZoneInfo("Asia/Shanghai")


async def test_a_user_in_shanghai_sets_the_zone_and_reads_the_watchlist_in_it(deployment: Deployment) -> None:
    day = today_in_new_york() + timedelta(days=3)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    deployment.calendars.nasdaq_rows[day] = [nasdaq_row("NVDA", eps="$0.85", estimates="17", name="NVIDIA Corporation")]
    bot = await deployment.start()
    await deployment.new_watcher(bot, CHAT, "NVDA")

    reply = (await deployment.reply_to(bot, CHAT, "/timezone Asia/Shanghai")).visible_text
    assert reply.startswith("✅ Time zone set to Asia/Shanghai."), reply

    # after the close is 16:05 in New York, estimated: the next morning in Shanghai
    local = datetime.combine(day, time(16, 5), NEW_YORK).astimezone(SHANGHAI)
    expected = f"{local:%a %b %d, %Y}, ~{local:%H:%M} your time ({day:%a %b %d, %Y}, after the close)"
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 15
    while True:
        shown = (await deployment.reply_to(bot, CHAT, "/watchlist")).visible_text
        if expected in shown or loop.time() >= deadline:
            break
        await asyncio.sleep(1)  # the calendar is read moments after /watch: ask again
    assert "times in Asia/Shanghai" in shown, shown
    assert expected in shown, f"/watchlist in Shanghai: {shown!r}\n{bot.tail()}"
    shown_zone = (await deployment.reply_to(bot, CHAT, "/timezone")).visible_text
    assert "This chat's time zone: Asia/Shanghai" in shown_zone
