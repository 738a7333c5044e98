"""Nasdaq calendar: recorded-format days served over HTTP, parsed field by field."""

from __future__ import annotations

import logging
import time
from datetime import date
from decimal import Decimal

import httpx
import pytest

from bot.domain.figures import Basis, Figure, Metric, Unit
from bot.domain.market_time import Timing
from bot.errors import SourceDataInvalid, SourceUnavailable
from bot.sources.calendar import CalendarRow
from bot.sources.http import RateLimiter
from bot.sources.nasdaq import NasdaqCalendar, parse_count, parse_money, parse_quarter_ending
from tests.conftest import FIXTURES
from tests.sources.serve import Recorder, file_response, json_response

API = "https://api.nasdaq.test"
DAYS = FIXTURES / "nasdaq"


def eps(value: str) -> Figure:
    return Figure(Metric.EPS, Basis.ADJUSTED, Unit.PER_SHARE, "USD", Decimal(value))


def serve_days(request: httpx.Request) -> httpx.Response:
    assert request.url.path == "/api/calendar/earnings"
    path = DAYS / f"calendar_{request.url.params['date']}.json"
    if path.exists():
        return file_response(path)
    return json_response({"data": {"asOf": "", "headers": {}, "rows": None}, "message": None,
                          "status": {"rCode": 200}})


def nasdaq(recorder: Recorder) -> NasdaqCalendar:
    return NasdaqCalendar(recorder.client(), API + "/", limiter=RateLimiter(per_second=1000))


async def test_a_day_is_parsed_field_by_field() -> None:
    recorder = Recorder(serve_days)
    rows = await nasdaq(recorder).fetch(date(2025, 8, 27), date(2025, 8, 27))

    by_ticker = {row.ticker: row for row in rows}
    assert by_ticker["NVDA"] == CalendarRow(
        ticker="NVDA", company_name="NVIDIA Corporation", report_date=date(2025, 8, 27),
        timing=Timing.AMC, period_year=2025, period_month=7, fiscal_year=None,
        fiscal_quarter=None, estimates=(eps("0.84"),), estimate_count=14, actuals=(),
        source="nasdaq",
    )
    fubo = by_ticker["FUBO"]
    assert (fubo.timing, fubo.estimates, fubo.estimate_count) == (
        Timing.BMO, (eps("-0.11"),), 3
    )
    assert (fubo.period_year, fubo.period_month) == (2025, 6)


async def test_missing_estimates_are_left_out_never_zero() -> None:
    rows = await nasdaq(Recorder(serve_days)).fetch(date(2025, 8, 27), date(2025, 8, 27))
    by_ticker = {row.ticker: row for row in rows}

    assert (by_ticker["HOFV"].estimates, by_ticker["HOFV"].estimate_count) == ((), None)  # N/A
    assert (by_ticker["CRWV"].estimates, by_ticker["CRWV"].estimate_count) == ((), None)  # -- / NA
    assert (by_ticker["XPEL"].estimates, by_ticker["XPEL"].estimate_count) == ((), 1)  # ""
    assert all(f.value != 0 for row in rows for f in row.estimates)


async def test_share_classes_unknown_times_and_bad_rows() -> None:
    rows = await nasdaq(Recorder(serve_days)).fetch(date(2025, 8, 27), date(2025, 8, 27))

    assert [row.ticker for row in rows] == [
        "CRWV", "FUBO", "HOFV", "MKC", "MKC-V", "NVDA", "ODDC", "SNPS", "XPEL"
    ]
    by_ticker = {row.ticker: row for row in rows}
    assert by_ticker["MKC"].estimates == by_ticker["MKC-V"].estimates == (eps("0.69"),)
    assert by_ticker["SNPS"].timing == Timing.UNKNOWN  # a time value Nasdaq never documented
    assert by_ticker["HOFV"].timing == Timing.UNKNOWN


async def test_an_unreadable_estimate_loses_the_estimate_not_the_report_date_and_a_row_without_symbol_is_skipped(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.WARNING, logger="bot.sources.nasdaq"):
        rows = await nasdaq(Recorder(serve_days)).fetch(date(2025, 8, 27), date(2025, 8, 27))

    oddc = next(row for row in rows if row.ticker == "ODDC")  # epsForecast "$abc"
    assert (oddc.report_date, oddc.estimates, oddc.estimate_count) == (date(2025, 8, 27), (), 2)
    assert len(rows) == 9
    assert any("epsForecast of ODDC left out" in message for message in caplog.messages)
    assert any("invalid symbol ''" in message for message in caplog.messages)


async def test_requests_look_like_a_browser() -> None:
    recorder = Recorder(serve_days)
    await nasdaq(recorder).fetch(date(2025, 8, 27), date(2025, 8, 27))

    [request] = recorder.requests
    assert str(request.url) == f"{API}/api/calendar/earnings?date=2025-08-27"
    assert request.headers["User-Agent"].startswith("Mozilla/5.0")
    assert request.headers["Accept"] == "application/json, text/plain, */*"
    assert request.headers["Origin"] == "https://www.nasdaq.com"
    assert request.headers["Referer"] == "https://www.nasdaq.com/"


async def test_every_day_of_the_window_is_asked_weekends_included() -> None:
    recorder = Recorder(serve_days)
    rows = await nasdaq(recorder).fetch(date(2025, 8, 27), date(2025, 8, 31))

    asked = [request.url.params["date"] for request in recorder.requests]
    assert asked == ["2025-08-27", "2025-08-28", "2025-08-29", "2025-08-30", "2025-08-31"]
    saturday = [row for row in rows if row.report_date == date(2025, 8, 30)]
    assert [(r.ticker, r.timing, r.estimates) for r in saturday] == [
        ("BRK-B", Timing.BMO, (eps("4.95"),))
    ]
    # data: null (29th) and rows: null (31st) are empty days, not errors
    assert {row.report_date for row in rows} == {date(2025, 8, 27), date(2025, 8, 30)}


async def test_rows_are_filtered_to_the_requested_tickers_in_any_spelling() -> None:
    rows = await nasdaq(Recorder(serve_days)).fetch(
        date(2025, 8, 27), date(2025, 8, 31), tickers=["nvda", "BRK.B", "AAPL"]
    )

    assert [(row.ticker, row.report_date) for row in rows] == [
        ("NVDA", date(2025, 8, 27)), ("BRK-B", date(2025, 8, 30))
    ]


async def test_no_tickers_means_no_requests() -> None:
    recorder = Recorder(serve_days)
    assert await nasdaq(recorder).fetch(date(2025, 8, 27), date(2025, 8, 31), tickers=[]) == []
    assert recorder.requests == []


async def test_past_days_carry_the_reported_eps() -> None:
    rows = await nasdaq(Recorder(serve_days)).fetch(date(2024, 10, 1), date(2024, 10, 1))
    by_ticker = {row.ticker: row for row in rows}

    assert (by_ticker["NKE"].estimates, by_ticker["NKE"].actuals) == ((eps("0.52"),), (eps("0.70"),))
    assert by_ticker["LNDC"].actuals == (eps("-0.05"),)
    assert by_ticker["UNFI"].actuals == ()  # "N/A": not reported
    assert by_ticker["CALM"].actual(Metric.EPS) == eps("3.06")
    assert (by_ticker["CALM"].period_year, by_ticker["CALM"].period_month) == (2024, 8)


async def test_a_page_that_is_not_json_is_invalid_data() -> None:
    recorder = Recorder(lambda _: httpx.Response(
        200, text="<html><body>Access Denied</body></html>", headers={"Content-Type": "text/html"}
    ))
    with pytest.raises(SourceDataInvalid, match="not JSON"):
        await nasdaq(recorder).fetch(date(2025, 8, 27), date(2025, 8, 27))


@pytest.mark.parametrize(
    "body",
    [
        [],
        {"message": None},
        {"data": {"rows": {"symbol": "NVDA"}}},
        {"data": "rows"},
    ],
)
async def test_a_wrong_shape_is_invalid_data(body: object) -> None:
    with pytest.raises(SourceDataInvalid):
        await nasdaq(Recorder(lambda _: json_response(body))).fetch(
            date(2025, 8, 27), date(2025, 8, 27)
        )


async def test_an_error_status_in_the_body_is_invalid_data() -> None:
    recorder = Recorder(lambda _: file_response(DAYS / "status_400.json"))
    with pytest.raises(SourceDataInvalid, match="Invalid date format"):
        await nasdaq(recorder).fetch(date(2025, 8, 27), date(2025, 8, 27))


@pytest.mark.parametrize("status", [403, 404, 429, 503])
async def test_refusals_and_outages_are_unavailable(status: int) -> None:
    recorder = Recorder(lambda _: httpx.Response(status, text="no"))
    with pytest.raises(SourceUnavailable, match=f"HTTP {status}"):
        await nasdaq(recorder).fetch(date(2025, 8, 27), date(2025, 8, 27))


async def test_requests_are_paced_by_the_limiter() -> None:
    recorder = Recorder(serve_days)
    limiter = RateLimiter(per_second=20)
    source = NasdaqCalendar(recorder.client(), API, limiter=limiter)

    started = time.monotonic()
    await source.fetch(date(2025, 8, 27), date(2025, 8, 29))

    assert limiter.requests == 3
    assert time.monotonic() - started >= 0.09  # three requests 50 ms apart


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("$1.33", Decimal("1.33")),
        ("($0.11)", Decimal("-0.11")),
        ("-$0.11", Decimal("-0.11")),
        ("$-0.11", Decimal("-0.11")),
        ("$1,234.50", Decimal("1234.50")),
        (" $0.00 ", Decimal("0.00")),
        ("", None),
        ("N/A", None),
        ("NA", None),
        ("--", None),
        (None, None),
    ],
)
def test_money_strings(text: str | None, expected: Decimal | None) -> None:
    assert parse_money(text) == expected


@pytest.mark.parametrize("text", ["$abc", "1.2.3", "$", "NaN", "Infinity", "(-$0.11)", "(--)"])
def test_unreadable_money_raises(text: str) -> None:
    with pytest.raises(ValueError):
        parse_money(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [("Jan/2025", (2025, 1)), ("May/2024", (2024, 5)), ("Sept/2024", (2024, 9)),
     ("N/A", None), ("", None), ("13/2024", None), (None, None)],
)
def test_quarter_ending(text: str | None, expected: tuple[int, int] | None) -> None:
    assert parse_quarter_ending(text) == expected


@pytest.mark.parametrize(("text", "expected"), [("14", 14), ("8.0", 8), (8.0, 8), ("1,024", 1024), ("N/A", None), ("None", None)])
def test_estimate_counts(text: object, expected: int | None) -> None:
    assert parse_count(text) == expected


@pytest.mark.parametrize("text", ["8.5", "-3", "many"])
def test_unreadable_counts_raise(text: str) -> None:
    with pytest.raises(ValueError):
        parse_count(text)


async def test_one_failing_day_costs_that_day_only_and_several_are_an_outage() -> None:
    def one_bad_day(request: httpx.Request) -> httpx.Response:
        if request.url.params["date"] == "2025-08-26":
            return httpx.Response(502, text="Bad Gateway")
        return serve_days(request)

    rows = await nasdaq(Recorder(one_bad_day)).fetch(date(2025, 8, 25), date(2025, 8, 28))
    assert "NVDA" in {row.ticker for row in rows}  # listed on the 27th

    def all_bad(request: httpx.Request) -> httpx.Response:
        return httpx.Response(502, text="Bad Gateway")

    recorder = Recorder(all_bad)
    with pytest.raises(SourceUnavailable):
        await nasdaq(recorder).fetch(date(2025, 8, 1), date(2025, 8, 31))
    assert len(recorder.requests) == 3  # stops asking after three failed days
