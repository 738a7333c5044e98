"""Through the real client: a watcher of NVDA gets the result from a newswire before EDGAR has it,
the 8-K then adds its link to the same message, and /status tells which source came first and
how far behind the other was. The bot runs with its jobs; every provider is a loopback fake."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import timedelta

from sqlalchemy import Engine
from sqlmodel import select

from bot.domain.market_time import new_york_date, utc_now
from bot.sandbox.bot_api import FloodLimits, LoopbackBotApi
from bot.sandbox.calendars import FakeCalendars, finnhub_row
from bot.sandbox.edgar import LoopbackEdgar, PublishedFiling
from bot.sandbox.feeds import FakeFeeds, Release, globenewswire_rss
from bot.sources.finnhub import FinnhubCalendar
from bot.sources.http import RateLimiter, make_client
from bot.store.db import session_scope
from bot.store.tables import Company, EarningsEvent
from tests.conftest import BOT_API_SPEC, FIXTURES
from tests.telegram.bot_harness import TOKEN, running_bot, seed_universe

ALICE = 5_300_000_001
KEY = "finnhub-race-key"
AGENT = "Jane Doe jane@example.com"
FEED = "/globenewswire/rss"
RELEASE = (FIXTURES / "press_releases" / "nvda_q4_fy2025_ex99-1.htm").read_text(encoding="utf-8")


async def eventually(check: Callable[[], bool], timeout: float = 15.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not check():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.05)


def results(api: LoopbackBotApi, chat_id: int) -> list[str]:
    return [m.visible_text for m in api.messages_to(chat_id) if m.visible_text.startswith(("🟢", "🔴", "🟡", "⚪", "📣"))]


def nvda_scheduled(db: Engine) -> bool:
    with session_scope(db) as session:
        return session.exec(select(EarningsEvent)).first() is not None


async def test_the_wire_result_first_the_8k_link_by_an_edit_and_status_tells_the_race(
    db: Engine, database_url: str,
) -> None:
    seed_universe(db)
    with session_scope(db) as session:
        nvda = session.exec(select(Company).where(Company.ticker == "NVDA")).one()
        nvda.fiscal_year_end_month = 1
    today = new_york_date(utc_now())
    async with (FakeCalendars(KEY) as fake, LoopbackEdgar(company_tickers=[("NVDA", 1045810, "NVIDIA CORP")]) as edgar,
                FakeFeeds() as feeds, LoopbackBotApi(TOKEN, flood=FloodLimits(), spec_path=BOT_API_SPEC) as api,
                make_client() as http):
        fake.finnhub_rows = [finnhub_row("NVDA", today, eps=0.8512, revenue=37720000000, quarter=4, year=2025)]
        feeds.publish(FEED, globenewswire_rss([]))
        sources = [FinnhubCalendar(http, fake.url + "/api/v1", KEY, limiter=RateLimiter(1000))]
        settings = {"finnhub_api_url": fake.url + "/api/v1", "finnhub_api_key": KEY, "sec_user_agent": AGENT,
                    "sec_www_url": edgar.url, "sec_data_url": edgar.url, "newswire_feeds": (feeds.url + FEED,),
                    "ir_feeds_file": "none", "poll_active_seconds": 0.2, "poll_idle_seconds": 0.5}
        async with running_bot(db, database_url, api=api, sources=sources, with_jobs=True, **settings) as bot:
            await bot.say(ALICE, "/start")
            assert "Watching NVDA" in (await bot.say(ALICE, "/watch NVDA"))[0]
            await eventually(lambda: nvda_scheduled(db))
            await eventually(lambda: len(feeds.statuses(FEED)) >= 2)  # the first read (history) is stored

            page = feeds.publish_page("/news-release/nvda-q4.htm", RELEASE)
            feeds.publish(FEED, globenewswire_rss([Release(
                "NVIDIA Announces Financial Results for Fourth Quarter and Fiscal 2025",
                ("SANTA CLARA, Calif. (GLOBE NEWSWIRE) -- NVIDIA (NASDAQ: NVDA) today reported revenue for the "
                 "fourth quarter ended January 26, 2025, of $39.3 billion.",),
                utc_now() - timedelta(seconds=3), organization="NVIDIA Corporation", url=page)]))
            await eventually(lambda: any("Release on GlobeNewswire" in text for text in results(api, ALICE)))
            [first] = results(api, ALICE)
            assert first.startswith("🟢 NVDA beat: Q4 FY2025") and "SEC EDGAR" not in first, first

            edgar.publish(PublishedFiling(
                cik=1045810, company="NVIDIA CORP", form="8-K", accession="0001045810-26-000077",
                accepted_at=utc_now(), items=("2.02", "9.01"),
                documents=(("8-K", "nvda-8k.htm", "<html>8-K</html>"), ("EX-99.1", "q4fy25pr.htm", RELEASE))))
            await eventually(lambda: any("8-K on SEC EDGAR" in text for text in results(api, ALICE)))
            [status] = await bot.say(ALICE, "/status")

    [result] = results(api, ALICE)
    assert "Release on GlobeNewswire · 8-K on SEC EDGAR" in result
    assert "EPS $0.89 vs $0.85 est. (+4.7%) ✅ beat" in result
    assert not any("has just filed" in m.visible_text for m in api.messages_to(ALICE))
    lines = status.splitlines()
    assert "GlobeNewswire: first 1/1" in lines, status
    assert any(line.startswith("SEC EDGAR: first 0/1, median lag ") and line.endswith(" s") for line in lines), status
