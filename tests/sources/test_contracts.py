"""Contract tests: the real recorded responses in ../shared/fixtures parse as the adapters expect.

Each test skips when the shared reference folder is not there.
"""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

import httpx
import pytest

from bot.domain.figures import Metric
from bot.domain.market_time import Timing
from bot.domain.tickers import is_valid_ticker, normalize_ticker
from bot.errors import SourceUnavailable
from bot.sources.finnhub import FinnhubCalendar, calendar_entries, parse_rows
from bot.sources.http import RateLimiter
from bot.sources.nasdaq import NasdaqCalendar, parse_day
from bot.sources.sec_tickers import fetch_company_tickers
from tests.conftest import shared_path
from tests.sources.serve import Recorder, file_response

NO_VALUE = {"", "N/A", "NA", "--"}


def load(path: object) -> object:
    return json.loads(shared_path("fixtures").joinpath(str(path)).read_text(encoding="utf-8"))


def test_every_real_nasdaq_row_parses_and_no_missing_estimate_becomes_a_number() -> None:
    paths = sorted(shared_path("fixtures", "nasdaq").glob("nasdaq_calendar_earnings_*.json"))
    assert paths
    for path in paths:
        day = date.fromisoformat(path.stem.rsplit("_", 1)[1])
        payload = json.loads(path.read_text(encoding="utf-8"))
        raw_rows = payload["data"]["rows"]
        rows = {row.ticker: row for row in parse_day(payload, day)}

        assert len(rows) == len(raw_rows), path.name
        for raw in raw_rows:
            row = rows[normalize_ticker(raw["symbol"])]
            assert row.report_date == day
            if raw["epsForecast"] in NO_VALUE:
                assert row.estimates == (), raw
            else:
                value = row.estimate(Metric.EPS).value  # type: ignore[union-attr]
                assert (value < 0) == raw["epsForecast"].startswith("("), raw
            if raw["noOfEsts"] in NO_VALUE:
                assert row.estimate_count is None
            assert row.period_year is not None and row.period_month is not None


async def test_a_real_nasdaq_day_over_http() -> None:
    path = shared_path("fixtures", "nasdaq", "nasdaq_calendar_earnings_2024-07-02.json")
    source = NasdaqCalendar(
        Recorder(lambda _: file_response(path)).client(), "https://api.nasdaq.test",
        limiter=RateLimiter(per_second=1000),
    )
    rows = {r.ticker: r for r in await source.fetch(date(2024, 7, 2), date(2024, 7, 2))}

    msm = rows["MSM"]
    assert (msm.timing, msm.estimate(Metric.EPS).value, msm.estimate_count) == (  # type: ignore[union-attr]
        Timing.BMO, Decimal("1.33"), 8
    )
    assert (msm.period_year, msm.period_month) == (2024, 5)
    assert rows["SLP"].timing == Timing.AMC
    assert rows["RDUS"].estimate(Metric.EPS).value == Decimal("-0.87")  # type: ignore[union-attr]
    assert rows["WDS"].estimates == ()


def test_the_finnhub_docs_sample_parses_with_actuals_in_date_order() -> None:
    payload = load("vendors/finnhub_calendar_earnings_docs_sample.json")
    rows = parse_rows(calendar_entries(payload), None)

    assert [(r.report_date, r.fiscal_year, r.fiscal_quarter) for r in rows] == [
        (date(2019, 10, 30), 2019, 4), (date(2020, 1, 28), 2020, 1)
    ]
    assert rows[1].actual(Metric.EPS).value == Decimal("4.99")  # type: ignore[union-attr]
    assert rows[1].actual(Metric.REVENUE).value == Decimal("91819000000")  # type: ignore[union-attr]
    assert rows[1].estimate(Metric.REVENUE).value == Decimal("88496400810")  # type: ignore[union-attr]


def test_the_live_finnhub_captures_keep_exact_values_and_drop_the_substitute() -> None:
    nvda = parse_rows(calendar_entries(load(
        "vendors/finnhub_calendar_earnings_live_capture_2026-07-30_NVDA.json"
    )), frozenset({"NVDA"}))
    tsm = parse_rows(calendar_entries(load(
        "vendors/finnhub_calendar_earnings_live_capture_2026-07-30_TSM.json"
    )), frozenset({"TSM"}))

    assert [(r.report_date, r.fiscal_year, r.fiscal_quarter, r.timing) for r in nvda] == [
        (date(2026, 8, 26), 2027, 2, Timing.AMC), (date(2026, 11, 17), 2027, 3, Timing.AMC)
    ]
    assert nvda[1].estimate(Metric.EPS).value == Decimal("2.3985")  # type: ignore[union-attr]
    assert nvda[1].estimate(Metric.REVENUE).value == Decimal("105311630623")  # type: ignore[union-attr]
    assert all(r.actuals == () for r in nvda)
    assert tsm == []


async def test_the_real_finnhub_403_body_becomes_a_clear_refusal() -> None:
    path = shared_path("fixtures", "vendors", "finnhub_error_403_no_access.json")
    source = FinnhubCalendar(
        Recorder(lambda _: file_response(path, status=403)).client(), "https://finnhub.test",
        "key", limiter=RateLimiter(per_second=1000),
    )
    with pytest.raises(SourceUnavailable, match="You don't have access to this resource"):
        await source.fetch(date(2026, 8, 1), date(2026, 8, 31))


async def test_the_real_sec_ticker_list_reads_whole() -> None:
    path = shared_path("fixtures", "sec", "sec_company_tickers.json")
    raw = json.loads(path.read_text(encoding="utf-8"))
    recorder = Recorder(lambda _: httpx.Response(200, content=path.read_bytes()))
    entries = await fetch_company_tickers(
        recorder.client(), "https://www.sec.test", "Tests ops@example.com", None
    )
    by_ticker = {e.ticker: e for e in entries}

    assert len(entries) == len(raw)
    assert all(is_valid_ticker(e.ticker) and e.cik > 0 and e.name for e in entries)
    assert by_ticker["GOOG"].cik == by_ticker["GOOGL"].cik == 1652044
    assert by_ticker["BABA"].cik == 1577552
    assert by_ticker["BRK-B"].name == "BERKSHIRE HATHAWAY INC"
    assert entries[0].ticker == "MSFT"
