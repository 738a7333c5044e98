"""The feed poller's world for the budget and stale-feed tests: five watched companies with IR feeds
(four report today), a wire, loopback feeds, an injected clock."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from bot.engine.feeds import FeedPoller
from bot.sandbox.feeds import FakeFeeds, globenewswire_rss, q4_rss
from bot.sources.http import make_client
from bot.store.db import ThreadedTransactions
from bot.store.tables import EarningsEvent
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
