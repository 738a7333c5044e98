"""/next in a deployment: a company nobody watches, asked of the calendars at once."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from bot.sandbox.calendars import finnhub_row, nasdaq_row
from tests.deployment.harness import Deployment, today_in_new_york

pytestmark = pytest.mark.slow

CHAT = 6_100_000_002


async def test_next_asks_the_calendars_and_answers_within_ten_seconds(deployment: Deployment) -> None:
    day = today_in_new_york() + timedelta(days=5)
    deployment.calendars.nasdaq_rows[day] = [nasdaq_row("NVDA", eps="$0.85", estimates="17", name="NVIDIA Corporation")]
    deployment.calendars.finnhub_rows.append(finnhub_row("NVDA", day, eps=0.86, revenue=38_100_000_000))
    bot = await deployment.start(finnhub=True)
    welcome = await deployment.reply_to(bot, CHAT, "/start", timeout=20)
    assert "Earnings alerts" in welcome.visible_text

    loop = asyncio.get_running_loop()
    sent = loop.time()
    reply = (await deployment.reply_to(bot, CHAT, "/next NVDA", timeout=10)).visible_text
    assert loop.time() - sent < 10
    assert reply.startswith("NVDA NVIDIA CORP"), f"{reply!r}\n{bot.tail()}"
    assert f"{day:%a %b %d, %Y}, after the close" in reply, f"{reply!r}\n{bot.tail()}"
    assert "Date estimated" in reply
    assert "EPS est. $0.85 (Nasdaq, 17 est.) · Revenue est. $38.10B (Finnhub)" in reply
