"""Sources in any order, the phone ends right: the calendar's actuals, the 8-K and its release, the
10-Q's XBRL facts, whichever comes first, each watcher ends with one result message whose final
text (edits applied) holds every verdict the stored figures and expectations support, and a
"has just filed" notice never arrives after the figures.

Real parts: the calendar poller against the loopback Finnhub, the EDGAR detector against the
loopback EDGAR, the sender through python-telegram-bot to the loopback Bot API.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select
from telegram import Bot
from telegram.request import HTTPXRequest

from bot.delivery.sender import Sender
from bot.engine.confirm import confirm_reported_events
from bot.engine.detect import EdgarDetector
from bot.engine.poll import CalendarPoller
from bot.sandbox.bot_api import FloodLimits, LoopbackBotApi
from bot.sandbox.calendars import FakeCalendars, finnhub_row
from bot.sandbox.edgar import LoopbackEdgar, PublishedFiling
from bot.sources.edgar.client import EdgarClient
from bot.sources.finnhub import FinnhubCalendar
from bot.sources.http import RateLimiter, make_client
from bot.store.db import ThreadedTransactions, session_scope
from bot.store.tables import EarningsEvent
from tests.conftest import BOT_API_SPEC, FIXTURES
from tests.engine.helpers import OUTBOX, Clock, add_company, watching_chat

AGENT = "Jane Doe jane@example.com"
KEY = "finnhub-test-key"
ACCEPTED = datetime(2025, 2, 26, 21, 21, 32, tzinfo=UTC)  # 16:21:32 ET
REPORT_DAY = date(2025, 2, 26)
RELEASE = (FIXTURES / "press_releases" / "nvda_q4_fy2025_ex99-1.htm").read_text(encoding="utf-8")
COMPANYFACTS = FIXTURES / "edgar" / "companyfacts_CIK0001045810_q4_derivation.json"
WATCHERS = (7_000_000_001, 7_000_000_002, 7_000_000_003)


@dataclass
class World:
    """Every source and the user's phone, on one clock."""

    db: Engine
    clock: Clock
    edgar: LoopbackEdgar
    calendars: FakeCalendars
    api: LoopbackBotApi
    poller: CalendarPoller
    detector: EdgarDetector
    sender: Sender

    async def calendar_poll(self, *, after: float) -> None:
        self.clock.now = ACCEPTED + timedelta(seconds=after)
        await self.poller.poll(REPORT_DAY - timedelta(days=1), REPORT_DAY + timedelta(days=1), ["NVDA"],
                               mode="active")
        await self.sender.drain_once()

    async def edgar_poll(self, *, after: float) -> None:
        self.clock.now = ACCEPTED + timedelta(seconds=after)
        await self.detector.poll()
        await self.sender.drain_once()

    async def xbrl(self, *, after_days: float) -> None:
        self.clock.now = ACCEPTED + timedelta(days=after_days)
        self.edgar.companyfacts[1045810] = COMPANYFACTS.read_bytes()
        await confirm_reported_events(ThreadedTransactions(self.db), self.detector.client, outbox=OUTBOX, clock=self.clock)
        await self.sender.drain_once()

    def phone(self, chat_id: int) -> list[str]:
        """What the chat shows now, oldest first, every edit applied."""
        return [m.visible_text for m in self.api.messages_to(chat_id)]

    def publish_8k(self, *, documents: tuple[tuple[str, str, str], ...] | None = None) -> None:
        self.edgar.publish(PublishedFiling(
            cik=1045810, company="NVIDIA CORP", form="8-K", accession="0001045810-25-000021",
            accepted_at=ACCEPTED, items=("2.02", "9.01"),
            documents=documents if documents is not None else (
                ("8-K", "nvda-20250226.htm", "<html>8-K</html>"), ("EX-99.1", "q4fy25pr.htm", RELEASE)),
        ))

    def calendar_lists(self, *, actuals: bool) -> None:
        self.calendars.finnhub_rows = [finnhub_row(
            "NVDA", REPORT_DAY, eps=0.8512, revenue=37720000000, quarter=4, year=2025,
            eps_actual=0.89 if actuals else None, revenue_actual=39331000000 if actuals else None,
        )]


@pytest.fixture
async def world(db: Engine) -> AsyncIterator[World]:
    clock = Clock(ACCEPTED)
    async with (LoopbackEdgar() as edgar, FakeCalendars(KEY) as calendars,
                LoopbackBotApi(flood=FloodLimits(), spec_path=BOT_API_SPEC) as api, make_client() as http):
        request = HTTPXRequest(read_timeout=2.0, httpx_kwargs={"trust_env": False})
        async with Bot(api.token, base_url=api.bot_base_url, request=request) as bot:
            fast = RateLimiter(1000)
            poller = CalendarPoller(ThreadedTransactions(db), [FinnhubCalendar(http, calendars.url + "/api/v1", KEY, limiter=fast)],
                                    outbox=OUTBOX, clock=clock)
            detector = EdgarDetector(ThreadedTransactions(db), EdgarClient(http, edgar.url, edgar.url, AGENT, RateLimiter(10)),
                                     outbox=OUTBOX,
                                     active_seconds=15, idle_seconds=300, clock=clock)
            yield World(db, clock, edgar, calendars, api, poller, detector,
                        Sender(db, bot, rate_per_second=1000, clock=clock))


def watch_nvda(db: Engine, *, fiscal_year_end_month: int | None = 1) -> None:
    with Session(db) as session:
        add_company(session, fiscal_year_end_month=fiscal_year_end_month)
        for chat_id in WATCHERS:
            watching_chat(session, chat_id, "NVDA")
        session.commit()


def results_on(phone: list[str]) -> list[str]:
    return [text for text in phone if "NVDA beat" in text or "NVDA reported" in text or "NVDA miss" in text]


def assert_notice_never_after_result(phone: list[str]) -> None:
    kinds = ["notice" if "has just filed" in text else "result" for text in phone]
    assert kinds in (["result"], ["notice", "result"]), phone


async def test_calendar_actuals_first_then_the_8k_keep_the_verdict(world: World) -> None:
    watch_nvda(world.db)
    world.publish_8k()
    world.calendar_lists(actuals=True)  # estimate and actual first seen together, just after the filing

    await world.calendar_poll(after=0.6)
    await world.edgar_poll(after=8)

    for chat_id in WATCHERS:
        phone = world.phone(chat_id)
        [result] = results_on(phone)
        assert_notice_never_after_result(phone)
        assert result.startswith("🟢 NVDA beat: Q4 FY2025"), result
        assert "EPS $0.89 vs $0.85 est. (+4.7%) ✅ beat" in result
        assert "Revenue $39.33B vs $37.72B est. (+4.3%) ✅ beat" in result
        assert "8-K on SEC EDGAR" in result  # the filing's link was added by an edit


async def test_the_8k_first_then_calendar_actuals_give_the_verdict_by_an_edit(world: World) -> None:
    watch_nvda(world.db)
    world.publish_8k()

    await world.edgar_poll(after=8)  # no calendar row yet: the release makes the event
    first = results_on(world.phone(WATCHERS[0]))
    assert len(first) == 1 and first[0].startswith("📣 NVDA reported: Q4 FY2025")
    assert "No consensus stored" in first[0] and "$39.33B" in first[0]

    world.calendar_lists(actuals=True)
    await world.calendar_poll(after=40)

    for chat_id in WATCHERS:
        phone = world.phone(chat_id)
        [result] = results_on(phone)
        assert_notice_never_after_result(phone)
        assert result.startswith("🟢 NVDA beat: Q4 FY2025"), result
        assert "Revenue $39.33B vs $37.72B est. (+4.3%) ✅ beat" in result
        assert "No consensus stored" not in result
    with session_scope(world.db) as session:
        assert len(session.exec(select(EarningsEvent)).all()) == 1  # the calendar row joined it


async def test_a_release_for_a_company_no_calendar_lists_still_alerts_its_figures(world: World) -> None:
    watch_nvda(world.db, fiscal_year_end_month=None)
    world.publish_8k()

    await world.edgar_poll(after=8)
    await world.calendar_poll(after=60)  # the calendar knows nothing of it

    for chat_id in WATCHERS:
        phone = world.phone(chat_id)
        [result] = results_on(phone)
        assert_notice_never_after_result(phone)
        # the release's "fourth quarter ended January 26, 2025" tells the fiscal year end
        assert result.startswith("📣 NVDA reported: Q4 FY2025"), result
        assert "Revenue $39.33B" in result and "No consensus stored" in result


async def test_a_calendar_row_that_comes_later_joins_the_release_event_by_date(world: World) -> None:
    # no fiscal year end known: the calendar's Q4 2025 row can only be matched by its date
    watch_nvda(world.db, fiscal_year_end_month=None)
    world.publish_8k()
    await world.edgar_poll(after=8)

    world.calendar_lists(actuals=False)
    await world.calendar_poll(after=300)

    with session_scope(world.db) as session:
        assert len(session.exec(select(EarningsEvent)).all()) == 1
    [result] = results_on(world.phone(WATCHERS[0]))
    assert "Revenue $39.33B vs $37.72B est. (+4.3%) ✅ beat" in result


async def test_an_estimate_first_seen_the_next_day_is_not_taken_for_the_bar(world: World) -> None:
    watch_nvda(world.db)
    world.publish_8k()
    await world.edgar_poll(after=8)

    # the next day the vendor lists the quarter with next quarter's estimate already rolled in
    world.calendars.finnhub_rows = [finnhub_row("NVDA", REPORT_DAY, revenue=45000000000, quarter=4, year=2025)]
    await world.calendar_poll(after=86_400)

    [result] = results_on(world.phone(WATCHERS[0]))
    assert result.startswith("📣 NVDA reported"), result
    assert "$45.00B" not in result and "miss" not in result


async def test_release_then_xbrl_keeps_the_verdict(world: World) -> None:
    watch_nvda(world.db)
    world.calendar_lists(actuals=False)
    await world.calendar_poll(after=-86_400)  # the consensus, the day before
    world.publish_8k()
    await world.edgar_poll(after=8)
    await world.xbrl(after_days=20)

    for chat_id in WATCHERS:
        phone = world.phone(chat_id)
        [result] = results_on(phone)
        assert_notice_never_after_result(phone)
        assert "Revenue $39.33B vs $37.72B est. (+4.3%) ✅ beat" in result


async def test_a_filing_without_a_release_gets_its_figures_from_xbrl(world: World) -> None:
    watch_nvda(world.db, fiscal_year_end_month=None)
    world.publish_8k(documents=(("8-K", "nvda-20250226.htm", "<html>8-K</html>"),))  # no EX-99.1
    await world.edgar_poll(after=8)
    await world.xbrl(after_days=20)

    phone = world.phone(WATCHERS[0])
    [result] = results_on(phone)
    assert_notice_never_after_result(phone)
    assert "Revenue $39.33B" in result


async def test_goog_watchers_get_alphabets_result_from_the_calendar(world: World) -> None:
    with Session(world.db) as session:
        add_company(session, "GOOGL", "Alphabet Inc.", 1652044, fiscal_year_end_month=12)
        add_company(session, "GOOG", "Alphabet Inc.", 1652044, fiscal_year_end_month=12)
        watching_chat(session, 1, "GOOG")
        watching_chat(session, 2, "GOOGL")
        watching_chat(session, 3, "GOOG", "GOOGL")
        session.commit()
    world.calendars.finnhub_rows = [finnhub_row("GOOGL", REPORT_DAY, eps=2.12, eps_actual=2.15, quarter=4, year=2024)]
    world.clock.now = ACCEPTED
    await world.poller.poll(REPORT_DAY, REPORT_DAY, ["GOOG", "GOOGL"], mode="active")
    await world.sender.drain_once()

    for chat_id in (1, 2, 3):
        assert [t.split(":")[0] for t in world.phone(chat_id)] == ["🟢 GOOGL beat"], world.phone(chat_id)


async def test_a_goog_watcher_sees_alphabets_date_and_makes_it_due(world: World) -> None:
    from bot.engine.poll import due_events
    from bot.engine.subscriptions import watchlist

    with Session(world.db) as session:
        add_company(session, "GOOGL", "Alphabet Inc.", 1652044, fiscal_year_end_month=12)
        add_company(session, "GOOG", "Alphabet Inc.", 1652044, fiscal_year_end_month=12)
        watching_chat(session, 1, "GOOG")
        session.commit()
    world.calendars.finnhub_rows = [finnhub_row("GOOGL", REPORT_DAY, eps=2.12, quarter=4, year=2024)]
    world.clock.now = ACCEPTED - timedelta(days=1)
    await world.poller.sync_window()  # asks for GOOG's other class too

    with session_scope(world.db) as session:
        [entry] = watchlist(session, 1, today=REPORT_DAY - timedelta(days=1))
        assert (entry.ticker, entry.report_date, entry.period_label) == ("GOOG", REPORT_DAY, "Q4 2024")
        assert [e.report_date for e in due_events(session, REPORT_DAY)] == [REPORT_DAY]
