"""A company's past results are read once, when it gets its first watcher: XBRL companyfacts (GAAP
revenue and diluted EPS, Q4 derived) and the providers' past surprises, over real HTTP against the
loopback SEC and calendar servers; one companyfacts request per company, none while SEC backs off,
a run where every source failed is tried again."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from bot.engine.confirm import SOURCE_KEY as COMPANYFACTS_KEY
from bot.engine.seed_history import seed_histories
from bot.sandbox.calendars import FakeCalendars, nasdaq_surprise_row
from bot.sandbox.edgar import LoopbackEdgar
from bot.sources.edgar.client import EdgarClient
from bot.sources.http import RateLimiter, make_client
from bot.sources.surprises import FinnhubSurprises, NasdaqSurprises, SurpriseSource
from bot.store.db import ThreadedTransactions
from bot.store.source_state import record_source_error
from bot.store.tables import HistorySeed, ResultHistory
from tests.engine.helpers import NOW, Clock, add_company, watching_chat

AGENT = "Jane Doe jane@example.com"
ALICE = 5_200_000_001


def fact(start: str, end: str, value: float, form: str = "10-K", fy: int = 2024) -> dict[str, object]:
    return {"start": start, "end": end, "val": value, "accn": "0001045810-24-000029", "fy": fy, "fp": "FY",
            "form": form, "filed": "2024-02-21"}


# NVIDIA's fiscal 2024 as its 10-K states it: the year and the nine months give the fourth quarter
NVDA_FACTS = {"cik": 1045810, "entityName": "NVIDIA CORP", "facts": {"us-gaap": {
    "Revenues": {"units": {"USD": [
        fact("2023-01-30", "2024-01-28", 60922000000), fact("2023-01-30", "2023-10-29", 38819000000, "10-Q"),
        fact("2023-07-31", "2023-10-29", 18120000000, "10-Q"),
    ]}},
    "EarningsPerShareDiluted": {"units": {"USD/shares": [fact("2023-07-31", "2023-10-29", 3.71, "10-Q")]}},
}}}


@dataclass
class World:
    edgar: LoopbackEdgar
    calendars: FakeCalendars
    client: EdgarClient
    surprises: list[SurpriseSource]
    clock: Clock


@pytest.fixture
async def world() -> AsyncIterator[World]:
    async with LoopbackEdgar() as edgar, FakeCalendars(finnhub_key="k") as calendars, make_client() as http:
        edgar.companyfacts[1045810] = json.dumps(NVDA_FACTS).encode()
        calendars.nasdaq_surprises["NVDA"] = [nasdaq_surprise_row("Oct 2024", eps=0.81, consensus="0.75"),
                                              nasdaq_surprise_row("Jul 2024", eps=0.68, consensus="0.64")]
        yield World(edgar, calendars, EdgarClient(http, edgar.url, edgar.url, AGENT, RateLimiter(10)),
                    [NasdaqSurprises(http, calendars.url, limiter=RateLimiter(100)),
                     FinnhubSurprises(http, calendars.url + "/api/v1", "k", limiter=RateLimiter(100))],
                    Clock(NOW))


def companyfacts_requests(world: World) -> int:
    return world.edgar.requests["companyfacts"]


async def seed(db: Engine, world: World) -> int:
    return await seed_histories(ThreadedTransactions(db), world.client, world.surprises, clock=world.clock)


def history(db: Engine) -> dict[tuple[str, str, str, str], tuple[Decimal, Decimal | None]]:
    with Session(db) as session:
        return {(r.source, r.fiscal_period, r.metric, r.basis): (r.actual, r.estimate)
                for r in session.exec(select(ResultHistory)).all()}


async def test_a_watched_company_is_seeded_once_from_xbrl_and_the_past_surprises(db: Engine, world: World) -> None:
    with Session(db) as session:
        add_company(session)
        add_company(session, "AMZN", "AMAZON COM INC", cik=1018724, fiscal_year_end_month=12)  # nobody watches it
        session.commit()
    assert await seed(db, world) == 0  # nobody watches anything yet: nothing is asked
    assert companyfacts_requests(world) == 0 and world.calendars.requests == []
    with Session(db) as session:
        watching_chat(session, ALICE, "NVDA")
        session.commit()
    assert await seed(db, world) == 1
    stored = history(db)
    assert stored[("xbrl", "2024-01", "revenue", "gaap")] == (Decimal(22103000000), None)  # derived Q4
    assert stored[("xbrl", "2023-10", "eps", "gaap")] == (Decimal("3.71"), None)
    assert stored[("nasdaq", "2024-10", "eps", "adjusted")] == (Decimal("0.81"), Decimal("0.75"))
    assert not any(source == "finnhub" for source, *_ in stored)  # Finnhub had none
    assert not any(period.startswith("2024") and source == "xbrl" and metric == "eps"
                   for source, period, metric, _ in stored)
    assert await seed(db, world) == 0  # once per company
    assert companyfacts_requests(world) == 1
    with Session(db) as session:
        [marker] = session.exec(select(HistorySeed)).all()
    assert marker.outcome == "xbrl=3 nasdaq=2 finnhub=0"  # Q3 and Q4 revenue, Q3 EPS


async def test_while_sec_backs_off_the_surprises_still_seed_and_companyfacts_is_not_asked(db: Engine, world: World) -> None:
    with Session(db) as session:
        add_company(session)
        watching_chat(session, ALICE, "NVDA")
        record_source_error(session, COMPANYFACTS_KEY, NOW, error="HTTP 403", backoff_until=NOW + timedelta(hours=1))
        session.commit()
    assert await seed(db, world) == 1
    assert companyfacts_requests(world) == 0
    assert {source for source, *_ in history(db)} == {"nasdaq"}


async def test_when_every_source_fails_the_company_is_tried_again(db: Engine, world: World) -> None:
    with Session(db) as session:
        add_company(session)
        watching_chat(session, ALICE, "NVDA")
        session.commit()
    world.edgar.refuse_with = 503
    world.calendars.fail_with = 503
    assert await seed(db, world) == 0
    assert history(db) == {}
    world.edgar.refuse_with = None
    world.calendars.fail_with = None
    world.clock.now = NOW + timedelta(hours=2)  # past SEC's backoff
    assert await seed(db, world) == 1
    assert ("xbrl", "2024-01", "revenue", "gaap") in history(db)


async def test_an_issuers_history_is_read_once_whichever_class_is_watched(db: Engine, world: World) -> None:
    world.edgar.companyfacts[1652044] = json.dumps({"cik": 1652044, "facts": {}}).encode()
    with Session(db) as session:
        add_company(session, "GOOGL", "Alphabet Inc.", cik=1652044, fiscal_year_end_month=12)
        add_company(session, "GOOG", "Alphabet Inc.", cik=1652044, fiscal_year_end_month=12)
        watching_chat(session, ALICE, "GOOGL")
        session.commit()
    assert await seed(db, world) == 1
    with Session(db) as session:
        watching_chat(session, ALICE + 1, "GOOG")
        session.commit()
    assert await seed(db, world) == 0
    assert companyfacts_requests(world) == 1
