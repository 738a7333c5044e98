"""A new deployment on an empty database: the bot comes up, answers, takes a watch, shows dates."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from bot.sandbox.calendars import finnhub_row, nasdaq_row
from tests.deployment.harness import TOKEN, Deployment, today_in_new_york

pytestmark = pytest.mark.slow

CHAT = 6_100_000_001


async def test_start_on_an_empty_database_is_answered_and_sigterm_stops_cleanly(deployment: Deployment) -> None:
    bot = await deployment.start()
    reply = await deployment.reply_to(bot, CHAT, "/start", timeout=20)
    assert "Earnings alerts" in reply.visible_text

    code, seconds = await bot.terminate(timeout=5)
    assert code == 0, f"exit code {code} after {seconds:.1f}s\n{bot.tail()}"
    assert "Traceback" not in bot.output, bot.output
    assert TOKEN not in bot.output and TOKEN.split(":")[1] not in bot.output


async def test_watch_sent_right_after_start_is_accepted(deployment: Deployment) -> None:
    bot = await deployment.start()
    # Both are waiting for the bot before it has polled once: within 10 s of the process start.
    deployment.api.user_sends(CHAT, "/start")
    deployment.api.user_sends(CHAT, "/watch NVDA")
    await deployment.until(lambda: len(deployment.messages(CHAT)) >= 2, timeout=10,
                           what="replies to /start and /watch NVDA", bot=bot, chats=(CHAT,))
    welcome, watched = deployment.texts(CHAT)[:2]
    assert "Earnings alerts" in welcome
    assert "I don't know the ticker" not in watched, deployment.describe(CHAT)
    assert "Watching NVDA" in watched, deployment.describe(CHAT)


async def test_watchlist_shows_the_next_report_date_soon_after_watch(deployment: Deployment) -> None:
    """With the product's default schedule (only POLL_ACTIVE_SECONDS set), a new watcher asks for
    /watchlist and sees the report date both calendars list for three days from now."""
    day = today_in_new_york() + timedelta(days=3)
    deployment.calendars.nasdaq_rows[day] = [nasdaq_row("NVDA", eps="$0.85", estimates="17", name="NVIDIA Corporation")]
    deployment.calendars.finnhub_rows.append(finnhub_row("NVDA", day, eps=0.85, revenue=38_100_000_000))
    bot = await deployment.start(finnhub=True)
    await deployment.new_watcher(bot, CHAT, "NVDA")

    loop = asyncio.get_running_loop()
    deadline = loop.time() + 10
    expected = f"{day:%a %b %d, %Y}"
    while True:
        shown = (await deployment.reply_to(bot, CHAT, "/watchlist")).visible_text
        if expected in shown or loop.time() >= deadline:
            break
        await asyncio.sleep(1)  # the user asks again a second later, until 10 s have passed
    assert expected in shown, f"/watchlist 10 s after /watch NVDA: {shown!r}\n{bot.tail()}"
