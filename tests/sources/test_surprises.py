"""Past surprises as Nasdaq's earnings-surprise table and Finnhub's /stock/earnings give them: each
quarter's adjusted EPS actual against its estimate, keyed by the quarter's end month; a row that
can't be read is left out, never guessed; over real HTTP against the loopback providers."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path

import httpx
import pytest

from bot.domain.figures import Basis, Unit
from bot.errors import SourceDataInvalid, SourceUnavailable
from bot.sandbox.calendars import FakeCalendars
from bot.sources.http import RateLimiter, make_client
from bot.sources.surprises import (
    FinnhubSurprises,
    NasdaqSurprises,
    parse_finnhub_surprises,
    parse_nasdaq_surprises,
)
from tests.conftest import shared_path

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def load(*parts: str) -> object:
    return json.loads(FIXTURES.joinpath(*parts).read_text())


def test_nasdaqs_table_gives_each_quarter_by_its_end_month() -> None:
    results = parse_nasdaq_surprises(load("nasdaq", "earnings_surprise_NVDA.json"))
    assert [(r.fiscal_period, r.figure.value, r.estimate) for r in results] == [
        ("2024-10", Decimal("0.81"), Decimal("0.75")), ("2024-07", Decimal("0.68"), Decimal("0.64")),
        ("2024-04", Decimal("0.61"), Decimal("0.56")), ("2024-01", Decimal("0.52"), Decimal("0.46")),
    ]  # the N/A row is left out
    assert {(r.figure.basis, r.figure.unit, r.figure.currency) for r in results} == {
        (Basis.ADJUSTED, Unit.PER_SHARE, "USD")}


def test_finnhubs_rows_are_keyed_by_their_period_and_unreadable_ones_skipped() -> None:
    results = parse_finnhub_surprises(json.loads((FIXTURES / "finnhub" / "stock_earnings_NVDA.json").read_text(),
                                                 parse_float=Decimal))
    assert [(r.fiscal_period, r.figure.value, r.estimate) for r in results] == [
        ("2024-10", Decimal("0.81"), Decimal("0.7518")), ("2024-07", Decimal("0.68"), Decimal("0.6434")),
        ("2024-04", Decimal("0.613"), Decimal("0.5594")),
    ]  # a quarter with no actual yet, and a row with no date, are not history


def test_the_documented_finnhub_sample_reads() -> None:
    sample = json.loads(shared_path("fixtures", "vendors", "finnhub_stock_earnings_docs_sample.json").read_text(),
                        parse_float=Decimal)
    results = parse_finnhub_surprises(sample)
    assert results[0].fiscal_period == "2023-03" and results[0].figure.value == Decimal("1.88")
    assert results[0].estimate == Decimal("1.9744")


@pytest.mark.parametrize("payload", [
    {"data": None, "status": {"rCode": 400, "bCodeMessage": [{"errorMessage": "Symbol not exists"}]}},
    {"data": {"symbol": "X", "earningsSurpriseTable": None}},
])
def test_a_symbol_nasdaq_does_not_know_has_no_history(payload: object) -> None:
    assert parse_nasdaq_surprises(payload) == []


def test_wrong_shapes_are_invalid_data_and_a_finnhub_error_an_outage() -> None:
    with pytest.raises(SourceDataInvalid):
        parse_nasdaq_surprises(["not", "an", "object"])
    with pytest.raises(SourceDataInvalid):
        parse_nasdaq_surprises({"data": {"earningsSurpriseTable": {"rows": "nope"}}})
    with pytest.raises(SourceDataInvalid):
        parse_finnhub_surprises({"unexpected": True})
    with pytest.raises(SourceUnavailable):
        parse_finnhub_surprises({"error": "You don't have access to this resource."})


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with make_client(timeout=httpx.Timeout(2.0, connect=2.0)) as client:
        yield client


async def test_both_providers_over_http(http: httpx.AsyncClient) -> None:
    async with FakeCalendars(finnhub_key="k") as fake:
        fake.nasdaq_surprises["NVDA"] = load("nasdaq", "earnings_surprise_NVDA.json")["data"]["earningsSurpriseTable"]["rows"]  # type: ignore[index]
        fake.finnhub_surprises["BRK.B"] = [{"actual": 4.5, "estimate": 4.3, "period": "2024-12-31", "quarter": 4,
                                            "year": 2024, "symbol": "BRK.B"}]
        nasdaq = NasdaqSurprises(http, fake.url, limiter=RateLimiter(100))
        assert len(await nasdaq.fetch("NVDA")) == 4
        assert await nasdaq.fetch("ZZZZ") == []
        finnhub = FinnhubSurprises(http, fake.url + "/api/v1", "k", limiter=RateLimiter(100))
        [brk] = await finnhub.fetch("BRK-B")  # Finnhub spells share classes with a dot
        assert (brk.fiscal_period, brk.figure.value) == ("2024-12", Decimal("4.5"))
        paths = [(path, query) for path, query, _headers in fake.requests]
        assert ("/api/company/nvda/earnings-surprise", {}) in paths
        assert ("/api/v1/stock/earnings", {"symbol": "BRK.B"}) in paths
        with pytest.raises(SourceUnavailable):
            await FinnhubSurprises(http, fake.url + "/api/v1", "wrong").fetch("NVDA")
        fake.nasdaq_fail_with = 429
        with pytest.raises(SourceUnavailable):
            await nasdaq.fetch("NVDA")
