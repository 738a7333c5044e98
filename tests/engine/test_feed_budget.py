"""What the feed poller asks for, and how often: the wire every poll (one feed covers every company),
a due company's IR feed in turn with the others, an IR feed of a company whose result is in or
whose report is not due only hourly (for its date announcements), and items that say nothing
counted by reason. Real loopback feeds, a real database, an injected clock."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from bot.engine.feeds import FeedPoller
from bot.engine.newswire import Skip
from bot.sandbox.feeds import FakeFeeds, globenewswire_rss, q4_rss
from bot.sources.http import make_client
from bot.store.db import ThreadedTransactions, session_scope
from bot.store.tables import Company, EarningsEvent, EventState
from tests.conftest import FIXTURES
from tests.engine.helpers import OUTBOX, Clock, add_company, watching_chat
from tests.engine.test_results_race import feed_reader

WIRE = "/globenewswire/rss"
DUE_DAY = date(2025, 2, 26)
START = datetime(2025, 2, 26, 20, 0, tzinfo=UTC)  # 15:00 New York, the day four companies report
COMPANIES = [("AAA", "Alpha Corp"), ("BBB", "Beta Corp"), ("CCC", "Gamma Corp"), ("DDD", "Delta Corp")]
LATER = ("EEE", "Epsilon Corp")  # watched too, but it reports next month


@dataclass
class Polling:
    db: Engine
    clock: Clock
    feeds: FakeFeeds
    poller: FeedPoller

    async def poll_at(self, moment: datetime) -> set[str]:
        """Poll at moment; return the feeds asked (their paths)."""
        self.clock.now = moment
        before = len(self.feeds.requests)
        await self.poller.poll()
        return {r.path for r in self.feeds.requests[before:]}


@pytest.fixture
async def polling(db: Engine) -> AsyncIterator[Polling]:
    clock = Clock(START)
    with Session(db) as session:
        for i, (ticker, name) in enumerate([*COMPANIES, LATER]):
            company = add_company(session, ticker=ticker, name=name, cik=5_000_000 + i)
            day = DUE_DAY if (ticker, name) != LATER else DUE_DAY + timedelta(days=30)
            session.add(EarningsEvent(company_id=company.id, fiscal_period="2024-12", period_label="Q4 2024",
                                      report_date=day, timing="amc"))
        watching_chat(session, 7_300_000_001, *[t for t, _n in [*COMPANIES, LATER]])
        session.commit()
    async with FakeFeeds() as feeds, make_client() as http:
        feeds.publish(WIRE, globenewswire_rss([]))
        for ticker, name in [*COMPANIES, LATER]:
            feeds.publish(f"/ir/{ticker}", q4_rss([], company=name))
        ir = {ticker: f"{feeds.url}/ir/{ticker}" for ticker, _n in [*COMPANIES, LATER]}
        poller = FeedPoller(ThreadedTransactions(db), feed_reader(http),  # type: ignore[arg-type]
                            wires=[feeds.url + WIRE], ir_feeds=ir, outbox=OUTBOX, active_seconds=5,
                            idle_seconds=300, clock=clock)
        yield Polling(db, clock, feeds, poller)


async def test_due_ir_feeds_take_turns_beside_the_wire_and_a_reported_one_drops_out(polling: Polling) -> None:
    first = await polling.poll_at(START)
    assert first == {WIRE, "/ir/AAA", "/ir/BBB", "/ir/CCC", "/ir/DDD", "/ir/EEE"}  # every first read at once

    asked = [await polling.poll_at(START + timedelta(seconds=5 * n)) for n in range(1, 9)]
    assert all(WIRE in paths for paths in asked)
    turns = [sorted(paths - {WIRE}) for paths in asked]
    assert turns == [["/ir/AAA"], ["/ir/BBB"], ["/ir/CCC"], ["/ir/DDD"]] * 2  # one IR feed a poll, in turn
    assert all("/ir/EEE" not in paths for paths in asked)  # not due: not in the turns

    with session_scope(polling.db) as session:
        [event] = session.exec(select(EarningsEvent).join(Company).where(Company.ticker == "BBB")).all()
        event.state = EventState.REPORTED  # its result is in
        session.add(event)
    later = [await polling.poll_at(START + timedelta(seconds=45 + 5 * n)) for n in range(6)]
    assert [sorted(paths - {WIRE}) for paths in later] == [["/ir/AAA"], ["/ir/CCC"], ["/ir/DDD"]] * 2

    hour = await polling.poll_at(START + timedelta(hours=1, seconds=30))  # BBB last read at +30 s, EEE at 0
    assert {"/ir/BBB", "/ir/EEE"} <= hour  # an hour on: read once for date announcements
    assert not {"/ir/BBB", "/ir/EEE"} & await polling.poll_at(START + timedelta(hours=1, seconds=35))


async def test_a_due_ir_feed_that_fails_backs_off_and_the_others_keep_their_turns(polling: Polling) -> None:
    await polling.poll_at(START)
    polling.feeds.fail("/ir/AAA", 503)
    asked = [await polling.poll_at(START + timedelta(seconds=5 * n)) for n in range(1, 5)]
    assert [sorted(paths - {WIRE}) for paths in asked] == [["/ir/AAA"], ["/ir/BBB"], ["/ir/CCC"], ["/ir/DDD"]]
    # a 503 backs off a minute: AAA is skipped until then, the others go on in turn
    more = [await polling.poll_at(START + timedelta(seconds=25 + 5 * n)) for n in range(3)]
    assert [sorted(paths - {WIRE}) for paths in more] == [["/ir/BBB"], ["/ir/CCC"], ["/ir/DDD"]]


async def test_items_that_match_no_watched_company_or_two_are_ignored_and_counted(polling: Polling) -> None:
    await polling.poll_at(START)
    polling.feeds.publish(WIRE, (FIXTURES / "feeds" / "globenewswire_earnings.xml").read_bytes())
    polling.clock.now = datetime(2025, 2, 26, 21, 21, tzinfo=UTC)
    outcome = await polling.poller.poll()
    assert outcome.new_items == 5 and outcome.alerts == 0
    # Orion (its own listing) and the joint venture's release: nobody's; the law firm: no earnings;
    # NVIDIA's results and Kestrel's date: no watched company here either
    assert outcome.ignored == {Skip.NO_COMPANY: 4, Skip.NOT_EARNINGS: 1}
    assert polling.poller.ignored == outcome.ignored
