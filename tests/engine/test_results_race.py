"""The race to the result: a newswire, a company's IR feed, the 8-K on EDGAR and a calendar's actuals,
in any order. The first starts the result alert, the others confirm it; each watcher ends with one
result message whose final text (edits applied) is right, and every source's arrival is recorded.

Real parts: the feed poller against the loopback feeds, the EDGAR detector against the loopback
EDGAR, the calendar poller against the loopback Finnhub, the sender through python-telegram-bot to
the loopback Bot API.
"""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, select
from telegram import Bot
from telegram.request import HTTPXRequest

from bot.delivery.sender import Sender
from bot.engine.detect import EdgarDetector
from bot.engine.feeds import FeedPoller
from bot.engine.poll import CalendarPoller
from bot.engine.status import status_report
from bot.sandbox.bot_api import FloodLimits, LoopbackBotApi
from bot.sandbox.calendars import FakeCalendars, finnhub_row
from bot.sandbox.edgar import LoopbackEdgar, PublishedFiling
from bot.sandbox.feeds import FakeFeeds, Release, globenewswire_rss, q4_rss
from bot.sources.edgar.client import EdgarClient
from bot.sources.feeds.client import FeedReader, Validators
from bot.sources.finnhub import FinnhubCalendar
from bot.sources.http import RateLimiter, make_client
from bot.store.db import ThreadedTransactions, session_scope
from bot.store.tables import Delivery, EarningsEvent, EventDate, SourceArrival
from bot.telegram.replies import status_text
from tests.conftest import BOT_API_SPEC, FIXTURES
from tests.engine.helpers import OUTBOX, Clock, add_company, watching_chat
from tests.sources.feeds.samples import NVDA_CALL, NVDA_RESULTS

AGENT = "Jane Doe jane@example.com"
KEY = "finnhub-test-key"
WIRE_AT = datetime(2025, 2, 26, 21, 20, 7, tzinfo=UTC)  # GlobeNewswire 16:20:07 ET
ACCEPTED = datetime(2025, 2, 26, 21, 21, 32, tzinfo=UTC)  # the 8-K, 16:21:32 ET
REPORT_DAY = date(2025, 2, 26)
RELEASE = (FIXTURES / "press_releases" / "nvda_q4_fy2025_ex99-1.htm").read_text(encoding="utf-8")
WATCHERS = (7_100_000_001, 7_100_000_002)


@dataclass
class World:
    """Every source and the user's phone, on one clock."""

    db: Engine
    clock: Clock
    edgar: LoopbackEdgar
    calendars: FakeCalendars
    feeds: FakeFeeds
    api: LoopbackBotApi
    poller: CalendarPoller
    detector: EdgarDetector
    wire: FeedPoller
    sender: Sender

    async def at(self, moment: datetime) -> None:
        self.clock.now = moment

    async def feed_poll(self, moment: datetime) -> None:
        self.clock.now = moment
        await self.wire.poll()
        await self.sender.drain_once()

    async def edgar_poll(self, moment: datetime) -> None:
        self.clock.now = moment
        await self.detector.poll()
        await self.sender.drain_once()

    async def calendar_poll(self, moment: datetime, *, actuals: bool) -> None:
        self.calendars.finnhub_rows = [finnhub_row(
            "NVDA", REPORT_DAY, eps=0.8512, revenue=37720000000, quarter=4, year=2025,
            eps_actual=0.89 if actuals else None, revenue_actual=39331000000 if actuals else None,
        )]
        self.clock.now = moment
        await self.poller.poll(REPORT_DAY - timedelta(days=1), REPORT_DAY + timedelta(days=1), ["NVDA"], mode="active")
        await self.sender.drain_once()

    def publish_wire(self, *, page: str = RELEASE, published: datetime = WIRE_AT) -> None:
        url = self.feeds.publish_page("/pages/nvda-q4.htm", page)
        self.feeds.publish("/globenewswire/rss", globenewswire_rss([replace(NVDA_RESULTS, url=url, published=published)]))

    def publish_ir(self, published: datetime) -> None:
        url = self.feeds.publish_page("/pages/nvda-ir-q4.htm", RELEASE)
        release = Release("NVIDIA Announces Financial Results for Fourth Quarter and Fiscal 2025",
                          NVDA_RESULTS.paragraphs, published, number=77, url=url)
        self.feeds.publish("/nvda-ir", q4_rss([release], company="NVIDIA Corporation", host="nvidianews.nvidia.com"))

    def publish_8k(self, accepted_at: datetime = ACCEPTED) -> None:
        self.edgar.publish(PublishedFiling(
            cik=1045810, company="NVIDIA CORP", form="8-K", accession="0001045810-25-000021",
            accepted_at=accepted_at, items=("2.02", "9.01"),
            documents=(("8-K", "nvda-20250226.htm", "<html>8-K</html>"), ("EX-99.1", "q4fy25pr.htm", RELEASE)),
        ))

    def phone(self, chat_id: int) -> list[str]:
        return [m.visible_text for m in self.api.messages_to(chat_id)]

    def arrivals(self) -> dict[str, SourceArrival]:
        with session_scope(self.db) as session:
            rows = session.exec(select(SourceArrival).order_by(col(SourceArrival.seen_at))).all()
            return {row.source: row for row in rows}


def feed_reader(http: object) -> object:
    def reader(validators: Mapping[str, Validators]) -> FeedReader:
        return FeedReader(http, contact=AGENT, validators=validators)  # type: ignore[arg-type]
    return reader


@pytest.fixture
async def world(db: Engine) -> AsyncIterator[World]:
    clock = Clock(WIRE_AT - timedelta(hours=1))
    async with (LoopbackEdgar() as edgar, FakeCalendars(KEY) as calendars, FakeFeeds() as feeds,
                LoopbackBotApi(flood=FloodLimits(), spec_path=BOT_API_SPEC) as api, make_client() as http):
        request = HTTPXRequest(read_timeout=2.0, httpx_kwargs={"trust_env": False})
        async with Bot(api.token, base_url=api.bot_base_url, request=request) as bot:
            fast = RateLimiter(1000)
            poller = CalendarPoller(ThreadedTransactions(db), [FinnhubCalendar(http, calendars.url + "/api/v1", KEY, limiter=fast)],
                                    outbox=OUTBOX, clock=clock)
            detector = EdgarDetector(ThreadedTransactions(db), EdgarClient(http, edgar.url, edgar.url, AGENT, RateLimiter(10)),
                                     outbox=OUTBOX, active_seconds=15, idle_seconds=300, clock=clock)
            wire = FeedPoller(ThreadedTransactions(db), feed_reader(http),  # type: ignore[arg-type]
                              wires=[feeds.url + "/globenewswire/rss"], ir_feeds={"NVDA": feeds.url + "/nvda-ir"}, outbox=OUTBOX,
                              active_seconds=15, idle_seconds=300, clock=clock)
            feeds.publish("/globenewswire/rss", globenewswire_rss([]))
            feeds.publish("/nvda-ir", q4_rss([], company="NVIDIA Corporation"))
            yield World(db, clock, edgar, calendars, feeds, api, poller, detector, wire,
                        Sender(db, bot, rate_per_second=1000, clock=clock))


async def watched_and_expected(world: World) -> None:
    with Session(world.db) as session:
        add_company(session)
        for chat_id in WATCHERS:
            watching_chat(session, chat_id, "NVDA")
        session.commit()
    await world.calendar_poll(WIRE_AT - timedelta(hours=2), actuals=False)  # the consensus, before the report
    await world.feed_poll(WIRE_AT - timedelta(minutes=30))  # each feed's first read: history only


def results_on(phone: list[str]) -> list[str]:
    return [text for text in phone if "NVDA beat" in text or "NVDA reported" in text or "NVDA miss" in text]


def the_one_result(world: World, chat_id: int) -> str:
    phone = world.phone(chat_id)
    assert not any("has just filed" in text for text in phone), phone
    [result] = results_on(phone)
    return result


def edits(world: World) -> int:
    with session_scope(world.db) as session:
        return len(session.exec(select(Delivery).where(col(Delivery.edited_at).is_not(None))).all())


async def test_the_wire_first_then_the_8k_adds_its_link_by_an_edit(world: World) -> None:
    await watched_and_expected(world)
    world.publish_wire()
    world.publish_8k()

    await world.feed_poll(WIRE_AT + timedelta(seconds=9))
    first = the_one_result(world, WATCHERS[0])
    assert first.startswith("🟢 NVDA beat: Q4 FY2025"), first
    assert "Release on GlobeNewswire" in first and "SEC EDGAR" not in first

    await world.edgar_poll(ACCEPTED + timedelta(seconds=6))
    for chat_id in WATCHERS:
        result = the_one_result(world, chat_id)
        assert result.startswith("🟢 NVDA beat: Q4 FY2025"), result
        assert "EPS $0.89 vs $0.85 est. (+4.7%) ✅ beat" in result
        assert "Revenue $39.33B vs $37.72B est. (+4.3%) ✅ beat" in result
        assert "Release on GlobeNewswire · 8-K on SEC EDGAR" in result
    race = world.arrivals()
    assert list(race) == ["GlobeNewswire", "SEC EDGAR"]
    assert race["GlobeNewswire"].lag_seconds == 0 and race["GlobeNewswire"].agrees is None
    assert race["SEC EDGAR"].lag_seconds == pytest.approx(82.0) and race["SEC EDGAR"].agrees is True


async def test_the_8k_first_then_the_wire_only_confirms(world: World) -> None:
    await watched_and_expected(world)
    world.publish_8k()
    await world.edgar_poll(ACCEPTED + timedelta(seconds=6))
    before = the_one_result(world, WATCHERS[0])

    world.publish_wire(published=WIRE_AT)
    await world.feed_poll(ACCEPTED + timedelta(seconds=20))

    for chat_id in WATCHERS:
        assert the_one_result(world, chat_id) == before
    assert "8-K on SEC EDGAR" in before and "GlobeNewswire" not in before
    assert edits(world) == 0  # the wire changed nothing users read
    race = world.arrivals()
    assert list(race) == ["SEC EDGAR", "GlobeNewswire"]
    assert race["GlobeNewswire"].lag_seconds == pytest.approx(14.0) and race["GlobeNewswire"].agrees is True


async def test_the_ir_feed_then_the_wire_then_the_8k(world: World) -> None:
    await watched_and_expected(world)
    world.publish_ir(WIRE_AT - timedelta(seconds=5))
    await world.feed_poll(WIRE_AT)
    first = the_one_result(world, WATCHERS[0])
    assert "Release on NVIDIA IR" in first

    world.publish_wire()
    await world.feed_poll(WIRE_AT + timedelta(seconds=15))
    assert the_one_result(world, WATCHERS[0]) == first  # the wire confirms: no edit
    world.publish_8k()
    await world.edgar_poll(ACCEPTED + timedelta(seconds=6))

    for chat_id in WATCHERS:
        result = the_one_result(world, chat_id)
        assert result.startswith("🟢 NVDA beat: Q4 FY2025"), result
        assert "Release on NVIDIA IR · 8-K on SEC EDGAR" in result
    assert list(world.arrivals()) == ["NVIDIA IR", "GlobeNewswire", "SEC EDGAR"]
    assert edits(world) == len(WATCHERS)  # one edit per chat: the 8-K's link


SOURCE_NAMES = {"wire": "GlobeNewswire", "ir": "NVIDIA IR", "8-K": "SEC EDGAR"}


@pytest.mark.parametrize("order", list(itertools.permutations(["wire", "ir", "8-K"])), ids="-".join)
async def test_the_race_in_every_order_ends_in_one_right_message(world: World, order: tuple[str, ...]) -> None:
    await watched_and_expected(world)
    for step, source in enumerate(order):
        moment = WIRE_AT + timedelta(seconds=30 * step)
        if source == "8-K":
            world.publish_8k(accepted_at=moment - timedelta(seconds=6))
            await world.edgar_poll(moment)
        elif source == "wire":
            world.publish_wire(published=moment - timedelta(seconds=3))
            await world.feed_poll(moment)
        else:
            world.publish_ir(moment - timedelta(seconds=3))
            await world.feed_poll(moment)
        assert len(results_on(world.phone(WATCHERS[0]))) == 1  # from the first source on: one message

    first = SOURCE_NAMES[order[0]]
    for chat_id in WATCHERS:
        result = the_one_result(world, chat_id)
        assert result.startswith("🟢 NVDA beat: Q4 FY2025"), result
        assert "EPS $0.89 vs $0.85 est. (+4.7%) ✅ beat" in result
        assert "Revenue $39.33B vs $37.72B est. (+4.3%) ✅ beat" in result
        if order[0] == "8-K":
            assert "Release on" not in result and "8-K on SEC EDGAR" in result, result
        else:
            assert f"Release on {first} · 8-K on SEC EDGAR" in result, result
    race = world.arrivals()
    assert list(race) == [SOURCE_NAMES[source] for source in order]
    assert [race[SOURCE_NAMES[s]].lag_seconds for s in order] == [0.0, 30.0, 60.0]
    assert all(race[SOURCE_NAMES[s]].agrees is True for s in order[1:])


async def test_calendar_actuals_first_keep_their_verdict_through_the_wire_and_the_8k(world: World) -> None:
    await watched_and_expected(world)
    await world.calendar_poll(WIRE_AT + timedelta(seconds=2), actuals=True)
    assert the_one_result(world, WATCHERS[0]).startswith("🟢 NVDA beat")

    world.publish_wire()
    await world.feed_poll(WIRE_AT + timedelta(seconds=12))
    world.publish_8k()
    await world.edgar_poll(ACCEPTED + timedelta(seconds=6))

    for chat_id in WATCHERS:
        result = the_one_result(world, chat_id)
        assert result.startswith("🟢 NVDA beat: Q4 FY2025"), result
        assert "EPS $0.89 vs $0.85 est. (+4.7%) ✅ beat" in result
        assert "8-K on SEC EDGAR" in result
    assert list(world.arrivals()) == ["Finnhub", "GlobeNewswire", "SEC EDGAR"]


async def test_a_figure_the_sources_state_differently_is_not_judged_until_they_agree(world: World) -> None:
    await watched_and_expected(world)
    world.publish_wire(page=RELEASE.replace("0.89", "0.98"))
    world.publish_8k()

    await world.feed_poll(WIRE_AT + timedelta(seconds=9))
    await world.edgar_poll(ACCEPTED + timedelta(seconds=6))

    for chat_id in WATCHERS:
        result = the_one_result(world, chat_id)
        assert "EPS: figures differ between sources ($0.98 GlobeNewswire, $0.89 SEC EDGAR), not judged" in result
        assert "EPS $0.89 vs" not in result and "EPS $0.98 vs" not in result
        assert "Revenue $39.33B vs $37.72B est. (+4.3%) ✅ beat" in result
    assert world.arrivals()["SEC EDGAR"].agrees is False


async def test_nobody_watching_means_no_request(world: World) -> None:
    outcome = await world.wire.poll()
    assert outcome.skipped and world.feeds.requests == []


async def test_an_ir_feed_is_read_only_while_its_company_is_watched(world: World) -> None:
    with Session(world.db) as session:
        add_company(session)
        add_company(session, ticker="AAPL", name="Apple Inc.", cik=320193)
        watching_chat(session, WATCHERS[0], "AAPL")
        session.commit()
    await world.feed_poll(WIRE_AT)
    assert {r.path for r in world.feeds.requests} == {"/globenewswire/rss"}


async def test_feeds_are_read_with_their_validators_and_a_refusal_backs_off_15_minutes(world: World) -> None:
    await watched_and_expected(world)
    await world.feed_poll(WIRE_AT - timedelta(minutes=20))
    assert world.feeds.statuses("/globenewswire/rss") == [200, 304]

    world.feeds.fail("/globenewswire/rss", 403)
    await world.feed_poll(WIRE_AT - timedelta(minutes=19))
    await world.feed_poll(WIRE_AT - timedelta(minutes=10))  # still backing off: not asked
    assert world.feeds.statuses("/globenewswire/rss") == [200, 304, 403]
    with session_scope(world.db) as session:
        [health] = [s for s in status_report(session, now=world.clock.now, sec_configured=True,
                                             finnhub_configured=True).sources if s.key == "feed:GlobeNewswire"]
        assert health.backing_off_until is not None
        assert health.backing_off_until >= WIRE_AT - timedelta(minutes=19) + timedelta(seconds=900)


async def test_a_feed_failing_for_an_hour_is_shown_stale(world: World) -> None:
    await watched_and_expected(world)
    world.feeds.fail("/nvda-ir", 500)
    start = WIRE_AT - timedelta(minutes=20)
    await world.feed_poll(start)
    for minutes in range(15, 76, 15):
        await world.feed_poll(start + timedelta(minutes=minutes))
    with session_scope(world.db) as session:
        text = status_text(status_report(session, now=world.clock.now, sec_configured=True, finnhub_configured=True))
    [ir_line] = [line for line in text.splitlines() if line.startswith("NVIDIA IR feed:")]
    assert "⚠️ stale: failing for over an hour" in ir_line
    [wire_line] = [line for line in text.splitlines() if line.startswith("GlobeNewswire feed:")]
    assert "stale" not in wire_line


async def test_a_feed_with_no_new_item_for_30_days_is_shown_stale(world: World) -> None:
    await watched_and_expected(world)
    world.publish_wire(published=WIRE_AT - timedelta(days=40))  # an old item: the feed's last news
    await world.feed_poll(WIRE_AT - timedelta(minutes=20))
    await world.feed_poll(WIRE_AT + timedelta(days=31))
    with session_scope(world.db) as session:
        text = status_text(status_report(session, now=world.clock.now, sec_configured=True, finnhub_configured=True))
    [wire_line] = [line for line in text.splitlines() if line.startswith("GlobeNewswire feed:")]
    assert "⚠️ stale: no new item for 30 days" in wire_line


async def test_status_shows_which_source_came_first_and_its_lag(world: World) -> None:
    await watched_and_expected(world)
    world.publish_wire()
    world.publish_8k()
    await world.feed_poll(WIRE_AT + timedelta(seconds=9))
    await world.edgar_poll(ACCEPTED + timedelta(seconds=6))
    with session_scope(world.db) as session:
        text = status_text(status_report(session, now=world.clock.now, sec_configured=True, finnhub_configured=True))
    assert "GlobeNewswire: first 1/1" in text.splitlines()
    assert "SEC EDGAR: first 0/1, median lag 82 s" in text.splitlines()


async def test_a_date_announcement_confirms_the_day_and_no_calendar_moves_it(world: World) -> None:
    # NVDA_CALL: "will host a conference call on Wednesday, February 26, at 2 p.m. PT (5 p.m. ET)"
    with Session(world.db) as session:
        add_company(session)
        watching_chat(session, WATCHERS[0], "NVDA")
        session.commit()
    world.calendars.finnhub_rows = [finnhub_row("NVDA", date(2025, 2, 25), eps=0.8512, quarter=4, year=2025)]
    world.clock.now = datetime(2025, 1, 29, 22, 0, tzinfo=UTC)
    await world.poller.poll(date(2025, 1, 29), date(2025, 3, 5), ["NVDA"], mode="active")
    world.feeds.publish("/globenewswire/rss", globenewswire_rss([NVDA_CALL]))

    await world.feed_poll(datetime(2025, 1, 29, 22, 5, tzinfo=UTC))
    await world.poller.poll(date(2025, 1, 29), date(2025, 3, 5), ["NVDA"], mode="active")  # still says Feb 25
    await world.sender.drain_once()

    with session_scope(world.db) as session:
        [event] = session.exec(select(EarningsEvent)).all()
        assert (event.report_date, event.timing, event.date_status) == (date(2025, 2, 26), "amc", "confirmed")
        assert event.date_source == "release:GlobeNewswire"
        [announced] = [d for d in session.exec(select(EventDate)).all() if d.source == "release:GlobeNewswire"]
        assert announced.date_status == "confirmed"
    [moved] = [text for text in world.phone(WATCHERS[0]) if text.startswith("📅")]
    assert "Wed Feb 26, 2025, after the close" in moved and "GlobeNewswire" in moved, moved
