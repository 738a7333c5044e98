"""/upcoming and /next as the user sees them: the real client over HTTP to the loopback Bot API, the
calendars asked over HTTP from the loopback Nasdaq and Finnhub."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import Engine
from sqlmodel import select

from bot.domain.market_time import Timing
from bot.engine.sync import apply_calendar_rows
from bot.sandbox.calendars import FakeCalendars, finnhub_row, nasdaq_row
from bot.sources.calendar import CalendarRow
from bot.sources.finnhub import FinnhubCalendar
from bot.sources.http import RateLimiter, make_client
from bot.sources.nasdaq import NasdaqCalendar
from bot.store.db import session_scope
from bot.store.tables import Chat
from tests.engine.helpers import Clock, calendar_row, eps, revenue
from tests.telegram.bot_harness import RunningBot, running_bot, seed_universe

KEY = "test-finnhub-key"
NOW = datetime(2025, 2, 24, 15, 0, tzinfo=UTC)  # Monday 10:00 in New York, 23:00 in Shanghai
MON, WED, THU = date(2025, 2, 24), date(2025, 2, 26), date(2025, 2, 27)
ALICE, MING = 5_100_000_001, 5_100_000_002  # New York, Shanghai


@dataclass
class Setup:
    bot: RunningBot
    calendars: FakeCalendars


@pytest.fixture
async def setup(db: Engine, database_url: str) -> AsyncIterator[Setup]:
    seed_universe(db)
    async with FakeCalendars(KEY) as fake, make_client() as client:
        fake.today = MON
        fast = RateLimiter(1000)
        sources = [NasdaqCalendar(client, fake.url, limiter=fast),
                   FinnhubCalendar(client, fake.url + "/api/v1", KEY, limiter=fast)]
        async with running_bot(db, database_url, sources=sources, clock=Clock(NOW)) as bot:
            yield Setup(bot, fake)


def stored(db: Engine, *rows: CalendarRow) -> None:
    """Rows the calendars gave earlier, stored by the same sync the poller runs."""
    with session_scope(db) as session:
        apply_calendar_rows(session, list(rows), now=NOW - timedelta(days=2), precedence=("nasdaq", "finnhub"))


def in_zone(db: Engine, chat_id: int, zone: str) -> None:
    with session_scope(db) as session:
        chat = session.exec(select(Chat).where(Chat.chat_id == chat_id)).one()
        chat.timezone = zone
        session.add(chat)


def reports(db: Engine) -> None:
    stored(db,
           calendar_row("NVDA", day=WED, estimates=(eps("0.84"),), count=18),
           calendar_row("NVDA", day=WED, source="finnhub", estimates=(eps("0.85"), revenue("37720000000")),
                        count=None, fiscal=(2025, 4), period=None),
           calendar_row("MSFT", day=THU, estimates=(eps("3.10"),), count=12, period=(2024, 12), timing=Timing.BMO),
           calendar_row("AAPL", day=date(2025, 3, 20), period=(2025, 3)))


async def test_upcoming_groups_the_watchlist_by_day_with_timing_status_and_consensus(setup: Setup, db: Engine) -> None:
    bot = setup.bot
    await bot.say(ALICE, "/watch NVDA MSFT AAPL")
    reports(db)
    [reply] = await bot.say(ALICE, "/upcoming")
    assert reply.splitlines()[0] == "Upcoming reports, today through Sun Mar 02 (2)"
    wed, thu = reply.index("Wed Feb 26"), reply.index("Thu Feb 27")
    assert wed < reply.index("NVDA") < thu < reply.index("MSFT")
    assert "NVDA Q4 FY2025 · after the close · estimated" in reply
    assert "MSFT quarter ended Dec 2024 · before the open · estimated" in reply
    assert "EPS est. $0.84 (Nasdaq, 18 est.) · Revenue est. $37.72B (Finnhub)" in reply
    assert "EPS est. $3.10 (Nasdaq, 12 est.)" in reply
    assert "AAPL" not in reply  # Mar 20 is past the 7 days
    [reply] = await bot.say(ALICE, "/upcoming 30")
    assert "Thu Mar 20" in reply and "AAPL" in reply and "no consensus stored yet" in reply
    [reply] = await bot.say(ALICE, "/upcoming 1")
    assert reply.startswith("No reports from your 3 watched companies today.")


async def test_upcoming_days_must_be_a_whole_number_from_1_to_90(setup: Setup, db: Engine) -> None:
    bot = setup.bot
    await bot.say(ALICE, "/watch NVDA")
    for garbage in ("abc", "0", "91", "-3", "7.5", "7 8", "1000000000000"):
        [reply] = await bot.say(ALICE, f"/upcoming {garbage}")
        assert "a whole number from 1 to 90" in reply, garbage
    [reply] = await bot.say(ALICE, "/upcoming 90")
    assert reply.startswith("No reports from your 1 watched company today through Sat May 24.")


async def test_nothing_upcoming_says_how_to_add_companies(setup: Setup) -> None:
    [reply] = await setup.bot.say(ALICE, "/upcoming")
    assert "Your watchlist is empty" in reply and "/watch NVDA MSFT" in reply


async def test_a_chat_in_shanghai_reads_its_own_days(setup: Setup, db: Engine) -> None:
    bot = setup.bot
    for chat_id in (ALICE, MING):
        await bot.say(chat_id, "/watch NVDA MSFT")
    in_zone(db, MING, "Asia/Shanghai")
    reports(db)
    [new_york] = await bot.say(ALICE, "/upcoming 3")  # Mon..Wed in New York: NVDA's Wednesday evening
    assert "Wed Feb 26" in new_york and "NVDA" in new_york and "MSFT" not in new_york
    [shanghai] = await bot.say(MING, "/upcoming 3")  # Mon..Wed in Shanghai: NVDA is Thursday morning there
    assert shanghai.startswith("No reports from your 2 watched companies today through Wed Feb 26.")
    [shanghai] = await bot.say(MING, "/upcoming 4")
    assert "Wed Feb 26" not in [line.strip() for line in shanghai.splitlines()]  # no such day heading
    day, nvda, msft = shanghai.index("Thu Feb 27"), shanghai.index("NVDA"), shanghai.index("MSFT")
    assert day < nvda < msft  # 05:05 before 21:00, both on Thursday
    assert "~05:05 your time (Wed Feb 26, after the close)" in shanghai


async def test_next_shows_a_stored_date_without_asking_the_calendars(setup: Setup, db: Engine) -> None:
    reports(db)
    [reply] = await setup.bot.say(ALICE, "/next nvda")
    assert reply.startswith("NVDA NVIDIA CORP\n")
    assert "report: Wed Feb 26, 2025, after the close" in reply
    assert "Date estimated (no confirmation from the company yet)" in reply
    assert "EPS est. $0.84 (Nasdaq, 18 est.) · Revenue est. $37.72B (Finnhub)" in reply
    assert setup.calendars.requests == []


async def test_next_asks_the_calendars_when_no_date_is_stored(setup: Setup) -> None:
    fake = setup.calendars
    fake.nasdaq_rows[THU] = [nasdaq_row("MSFT", eps="$3.10", estimates="12", time="time-pre-market",
                                        quarter="Dec/2024", name="Microsoft Corporation")]
    fake.finnhub_rows = [finnhub_row("MSFT", THU, eps=3.11, revenue=68_900_000_000, hour="bmo", quarter=2,
                                     year=2025)]
    started = datetime.now(UTC)
    [reply] = await setup.bot.say(MING, "/next MSFT")  # not watched by anyone
    assert (datetime.now(UTC) - started).total_seconds() < 10
    assert "Thu Feb 27, 2025, before the open" in reply
    assert "EPS est. $3.10 (Nasdaq, 12 est.) · Revenue est. $68.90B (Finnhub)" in reply
    assert any(path.startswith("/api/analyst/msft") for path, _q, _h in fake.requests)


async def test_next_without_a_known_date_says_when_the_bot_looked(setup: Setup) -> None:
    [reply] = await setup.bot.say(ALICE, "/next AAPL")
    assert reply == ("AAPL Apple Inc.\n"
                     "No report date known: the calendars had none when I last looked (Mon Feb 24, 10:00 ET).")


async def test_next_of_an_unknown_ticker_offers_close_matches(setup: Setup) -> None:
    [reply] = await setup.bot.say(ALICE, "/next NVDIA")
    assert reply == "❓ I don't know the ticker NVDIA. Did you mean NVDA?"
    [reply] = await setup.bot.say(ALICE, "/next")
    assert "e.g. /next NVDA" in reply
    [reply] = await setup.bot.say(ALICE, "/next <b>")
    assert reply.startswith("⚠️ Not a ticker: <b>")


async def test_revision_alerts_are_switched_by_word_and_by_button(setup: Setup, db: Engine) -> None:
    bot = setup.bot
    [reply] = await bot.say(ALICE, "/settings")
    assert "Alert kinds: estimate revisions off" in reply
    [reply] = await bot.say(ALICE, "/settings revisions on")
    assert reply.startswith("✅ Revisions: on")
    assert "✅ Estimate revisions" in reply
    assert revisions_on(db, ALICE)
    menu = bot.api.messages_to(ALICE)[-1]
    bot.api.user_clicks(ALICE, menu.message_id, "opt:revisions")
    for _ in range(100):
        if bot.api.messages_to(ALICE)[-1].edited:
            break
        await asyncio.sleep(0.05)
    assert "▫️ Estimate revisions" in bot.api.messages_to(ALICE)[-1].visible_text
    assert not revisions_on(db, ALICE)
    [reply] = await bot.say(ALICE, "/settings revisions maybe")
    assert "/settings KIND on|off" in reply and "revisions" in reply
    assert not revisions_on(db, ALICE)


def revisions_on(db: Engine, chat_id: int) -> bool:
    with session_scope(db) as session:
        return session.exec(select(Chat.revisions).where(Chat.chat_id == chat_id)).one()
