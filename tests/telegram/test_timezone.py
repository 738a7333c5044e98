"""/timezone and /watchlist in the chat's zone, through the real client and the loopback Bot API."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import Engine
from sqlmodel import select

from bot.store.db import session_scope
from bot.store.tables import Chat, Company, EarningsEvent, SourceState
from tests.engine.helpers import Clock
from tests.telegram.bot_harness import RunningBot, running_bot, seed_universe

ALICE = 5_100_000_001
BOB = 5_100_000_002
# Wednesday Feb 25, 2026, 16:20 in New York: 05:20 on Thursday in Shanghai
NOW = datetime(2026, 2, 25, 21, 20, tzinfo=UTC)


@pytest.fixture
async def bot(db: Engine, database_url: str) -> AsyncIterator[RunningBot]:
    seed_universe(db)
    async with running_bot(db, database_url, clock=Clock(NOW)) as running:
        yield running


def zone_of_chat(db: Engine, chat_id: int) -> str | None:
    with session_scope(db) as session:
        chat = session.exec(select(Chat).where(Chat.chat_id == chat_id)).first()
        return chat.timezone if chat else None


def add_event(db: Engine, ticker: str, day: date, timing: str, *, exact: datetime | None = None,
              period: str = "2026-01", confirmed: bool = True) -> None:
    with session_scope(db) as session:
        company = session.exec(select(Company).where(Company.ticker == ticker)).one()
        session.add(EarningsEvent(company_id=company.id, fiscal_period=period, period_label="Q4 FY2026",
                                  report_date=day, timing=timing, report_time=exact,
                                  date_status="confirmed" if confirmed else "estimated"))


async def test_timezone_shows_new_york_and_the_time_there_by_default(bot: RunningBot, db: Engine) -> None:
    [reply] = await bot.say(ALICE, "/timezone")
    assert "This chat's time zone: America/New_York" in reply
    assert "It is now Wed Feb 25, 16:20 ET." in reply
    assert "/timezone Shanghai" in reply


async def test_timezone_set_by_city_then_shown(bot: RunningBot, db: Engine) -> None:
    [reply] = await bot.say(ALICE, "/timezone Shanghai")
    assert reply.startswith("✅ Time zone set to Asia/Shanghai.")
    assert "It is now Thu Feb 26, 05:20 your time (Wed 16:20 ET)." in reply
    assert zone_of_chat(db, ALICE) == "Asia/Shanghai"
    [reply] = await bot.say(ALICE, "/timezone")
    assert "This chat's time zone: Asia/Shanghai" in reply
    [reply] = await bot.say(ALICE, "/timezone Hong Kong")
    assert "Time zone set to Asia/Hong_Kong" in reply
    assert zone_of_chat(db, ALICE) == "Asia/Hong_Kong"


async def test_timezone_set_by_a_lowercase_iana_name_and_utc(bot: RunningBot, db: Engine) -> None:
    [reply] = await bot.say(ALICE, "/timezone asia/tokyo")
    assert "Time zone set to Asia/Tokyo. It is now Thu Feb 26, 06:20 your time (Wed 16:20 ET)." in reply
    assert zone_of_chat(db, ALICE) == "Asia/Tokyo"
    [reply] = await bot.say(ALICE, "/timezone utc")
    assert "Time zone set to UTC. It is now Wed Feb 25, 21:20 your time (Wed 16:20 ET)." in reply
    assert zone_of_chat(db, ALICE) == "UTC"


async def test_a_typo_gets_close_matches_and_changes_nothing(bot: RunningBot, db: Engine) -> None:
    await bot.say(ALICE, "/timezone Asia/Tokyo")
    [reply] = await bot.say(ALICE, "/timezone Europe/Lodnon")
    assert "I don't know the time zone Europe/Lodnon." in reply
    assert "Did you mean Europe/London" in reply
    assert "Your time zone stays Asia/Tokyo." in reply
    assert zone_of_chat(db, ALICE) == "Asia/Tokyo"


async def test_garbage_gets_examples_and_changes_nothing(bot: RunningBot, db: Engine) -> None:
    [reply] = await bot.say(ALICE, "/timezone <b>xyzzy</b>")
    assert "I don't know the time zone <b>xyzzy</b>." in reply  # shown as typed, escaped
    assert "Try a city or an IANA zone name, e.g. Shanghai, London, New York" in reply
    assert "Your time zone stays America/New_York." in reply
    assert "&lt;b&gt;xyzzy" in bot.api.messages_to(ALICE)[-1].text
    assert zone_of_chat(db, ALICE) is None  # an unknown chat is not even registered by a mistake


async def test_watchlist_in_shanghai_shows_local_and_exchange_times(bot: RunningBot, db: Engine) -> None:
    add_event(db, "NVDA", date(2026, 2, 26), "amc", exact=datetime(2026, 2, 26, 21, 20, tzinfo=UTC))
    add_event(db, "MSFT", date(2026, 2, 28), "unknown", confirmed=False)  # a Saturday
    add_event(db, "AAPL", date(2026, 2, 27), "bmo")
    await bot.say(ALICE, "/watch NVDA MSFT AAPL")
    await bot.say(ALICE, "/timezone Asia/Shanghai")

    [reply] = await bot.say(ALICE, "/watchlist")

    assert "Your watchlist (3) · times in Asia/Shanghai" in reply
    assert ("NVDA NVIDIA CORP\n    next report Q4 FY2026: Fri Feb 27, 2026, 05:20 your time "
            "(Thu Feb 26, 2026, 16:20 ET, after the close)") in reply
    assert ("AAPL Apple Inc.\n    next report Q4 FY2026: Fri Feb 27, 2026, ~21:00 your time "
            "(Fri Feb 27, 2026, before the open)") in reply
    assert ("MSFT MICROSOFT CORP\n    next report Q4 FY2026: Sat Feb 28, 2026 (market closed), "
            "time not announced (estimated)") in reply


async def test_watchlist_in_new_york_names_a_market_holiday(bot: RunningBot, db: Engine) -> None:
    add_event(db, "NVDA", date(2026, 2, 26), "amc", exact=datetime(2026, 2, 26, 21, 20, tzinfo=UTC))
    add_event(db, "MSFT", date(2026, 11, 26), "amc", period="2026-10")  # Thanksgiving
    await bot.say(BOB, "/watch NVDA MSFT")

    [reply] = await bot.say(BOB, "/watchlist")

    assert "Your watchlist (2)\n" in reply
    assert "next report Q4 FY2026: Thu Feb 26, 2026, 16:20 ET, after the close" in reply
    assert "next report Q4 FY2026: Thu Nov 26, 2026 (market closed: Thanksgiving Day), after the close" in reply


async def test_help_and_the_command_menu_list_timezone(bot: RunningBot) -> None:
    [reply] = await bot.say(ALICE, "/help")
    assert "/timezone: Your time zone for report times" in reply
    menu = [c for c in bot.api.calls if c.method == "setMyCommands"]
    assert "timezone" in {c["command"] for c in menu[0].params["commands"]}


async def test_status_times_are_in_the_chats_zone(bot: RunningBot, db: Engine) -> None:
    with session_scope(db) as session:
        session.add(SourceState(key="nasdaq", last_success_at=datetime(2026, 2, 25, 21, 19, 30, tzinfo=UTC)))
    [reply] = await bot.say(ALICE, "/status")
    assert "nasdaq: ok Feb 25 16:19:30 ET" in reply
    await bot.say(ALICE, "/timezone London")
    [reply] = await bot.say(ALICE, "/status")
    assert "nasdaq: ok Wed Feb 25, 21:19 your time (Wed 16:19 ET)" in reply
