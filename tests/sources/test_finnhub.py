"""Finnhub calendar: recorded-format answers served over HTTP, parsed field by field."""

from __future__ import annotations

import logging
from datetime import date
from decimal import Decimal

import httpx
import pytest

from bot.domain.figures import Basis, Figure, Metric, Unit
from bot.domain.market_time import Timing
from bot.errors import SourceDataInvalid, SourceUnavailable
from bot.sources.calendar import CalendarRow
from bot.sources.finnhub import FinnhubCalendar
from bot.sources.http import RateLimiter
from tests.conftest import FIXTURES
from tests.sources.serve import Recorder, file_response, json_response

API = "https://finnhub.test/api/v1"
KEY = "c0ffeekey123secret"
ANSWERS = FIXTURES / "finnhub"
START, END = date(2026, 8, 17), date(2026, 9, 4)


def eps(value: str) -> Figure:
    return Figure(Metric.EPS, Basis.ADJUSTED, Unit.PER_SHARE, "USD", Decimal(value))


def revenue(value: str) -> Figure:
    return Figure(Metric.REVENUE, Basis.ADJUSTED, Unit.MONEY, "USD", Decimal(value))


def serve_calendar(request: httpx.Request) -> httpx.Response:
    assert request.url.path == "/api/v1/calendar/earnings"
    if request.headers.get("X-Finnhub-Token") != KEY:
        return json_response({"error": "Invalid API key"}, status=401)
    symbol = request.url.params.get("symbol")
    if symbol is None:
        return file_response(ANSWERS / "calendar_2026-08-17_2026-09-04.json")
    path = ANSWERS / f"calendar_symbol_{symbol}.json"
    return file_response(path if path.exists() else ANSWERS / "calendar_empty.json")


def finnhub(recorder: Recorder, **kwargs: int) -> FinnhubCalendar:
    return FinnhubCalendar(
        recorder.client(), API + "/", KEY, limiter=RateLimiter(per_second=1000), **kwargs
    )


async def test_the_whole_window_is_parsed_field_by_field_and_sorted() -> None:
    recorder = Recorder(serve_calendar)
    rows = await finnhub(recorder).fetch(START, END)

    assert [(row.report_date.isoformat(), row.ticker) for row in rows] == [
        ("2026-08-17", "PLUG"), ("2026-08-20", "WMT"), ("2026-08-24", "ZM"),
        ("2026-08-26", "NVDA"), ("2026-08-28", "BRK-B"), ("2026-09-03", "HPQ"),
    ]
    assert rows[3] == CalendarRow(
        ticker="NVDA", company_name=None, report_date=date(2026, 8, 26), timing=Timing.AMC,
        period_year=None, period_month=None, fiscal_year=2027, fiscal_quarter=2,
        estimates=(eps("2.1274"), revenue("93606383310")), estimate_count=None, actuals=(),
        source="finnhub",
    )
    [request] = recorder.requests
    assert dict(request.url.params) == {"from": "2026-08-17", "to": "2026-09-04"}


async def test_hours_null_estimates_and_actuals() -> None:
    rows = {row.ticker: row for row in await finnhub(Recorder(serve_calendar)).fetch(START, END)}

    assert rows["WMT"].timing == Timing.BMO
    assert (rows["ZM"].timing, rows["ZM"].estimates) == (Timing.DMH, ())  # keys absent
    assert (rows["HPQ"].timing, rows["HPQ"].estimates) == (Timing.UNKNOWN, ())  # "" and nulls
    assert rows["PLUG"].estimates == (eps("-0.1"), revenue("405120000"))
    assert rows["PLUG"].actuals == (eps("-0.07"), revenue("412500000"))
    # a consensus of exactly zero is a real number the vendor published, kept as such
    assert rows["BRK-B"].estimate(Metric.EPS) == eps("0")


async def test_foreign_and_unreadable_rows_are_dropped(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG, logger="bot.sources.finnhub"):
        rows = await finnhub(Recorder(serve_calendar)).fetch(START, END)

    assert {"2330-TW", "BADD"}.isdisjoint(row.ticker for row in rows)
    assert any("BADD" in m for m in caplog.messages if "skipping" in m)
    assert any("2330.TW" in m for m in caplog.messages)


async def test_the_key_travels_in_a_header_and_never_in_urls_or_logs(
    caplog: pytest.LogCaptureFixture,
) -> None:
    recorder = Recorder(serve_calendar)
    with caplog.at_level(logging.DEBUG):
        await finnhub(recorder).fetch(START, END, tickers=["NVDA"])

    [request] = recorder.requests
    assert request.headers["X-Finnhub-Token"] == KEY
    assert KEY not in str(request.url)
    assert KEY not in caplog.text


async def test_a_few_tickers_are_asked_one_by_one_and_substitutes_dropped(
    caplog: pytest.LogCaptureFixture,
) -> None:
    recorder = Recorder(serve_calendar)
    with caplog.at_level(logging.DEBUG, logger="bot.sources.finnhub"):
        rows = await finnhub(recorder).fetch(START, date(2026, 11, 30), tickers=["tsm", "NVDA"])

    assert [r.url.params["symbol"] for r in recorder.requests] == ["NVDA", "TSM"]
    # TSM came back as 2330.TW with TWD estimates: never attached to TSM
    assert [(row.ticker, row.report_date) for row in rows] == [
        ("NVDA", date(2026, 8, 26)), ("NVDA", date(2026, 11, 18))
    ]
    assert rows[1].estimates == (eps("2.4113"), revenue("106020400000"))
    assert any("2330.TW" in m and "not a requested ticker" in m for m in caplog.messages)


async def test_share_classes_are_asked_in_finnhub_spelling() -> None:
    recorder = Recorder(serve_calendar)
    await finnhub(recorder).fetch(START, END, tickers=["BRK/B"])

    assert recorder.requests[0].url.params["symbol"] == "BRK.B"


async def test_many_tickers_take_one_window_request() -> None:
    recorder = Recorder(serve_calendar)
    rows = await finnhub(recorder, max_symbol_requests=2).fetch(
        START, END, tickers=["NVDA", "WMT", "TSM", "brk-b"]
    )

    assert len(recorder.requests) == 1
    assert "symbol" not in recorder.requests[0].url.params
    assert [row.ticker for row in rows] == ["WMT", "NVDA", "BRK-B"]


async def test_no_access_is_unavailable_with_a_clear_message() -> None:
    recorder = Recorder(lambda _: file_response(ANSWERS / "error_403.json", status=403))
    with pytest.raises(SourceUnavailable) as caught:
        await finnhub(recorder).fetch(START, END)

    assert "no access to /calendar/earnings" in str(caught.value)
    assert "You don't have access to this resource." in str(caught.value)
    assert caught.value.retry_after == 3600


async def test_a_refused_key_is_unavailable() -> None:
    source = FinnhubCalendar(
        Recorder(serve_calendar).client(), API, "wrong", limiter=RateLimiter(1000)
    )
    with pytest.raises(SourceUnavailable, match="API key was refused"):
        await source.fetch(START, END)


@pytest.mark.parametrize(("headers", "retry_after"), [({"Retry-After": "30"}, 30.0), ({}, 60.0)])
async def test_rate_limited_is_unavailable_with_retry_after(
    headers: dict[str, str], retry_after: float
) -> None:
    recorder = Recorder(
        lambda _: file_response(ANSWERS / "error_429.json", status=429, headers=headers)
    )
    with pytest.raises(SourceUnavailable, match="HTTP 429") as caught:
        await finnhub(recorder).fetch(START, END)

    assert caught.value.retry_after == retry_after


async def test_an_error_object_with_status_200_is_unavailable() -> None:
    recorder = Recorder(lambda _: json_response({"error": "Service is temporarily down"}))
    with pytest.raises(SourceUnavailable, match="temporarily down"):
        await finnhub(recorder).fetch(START, END)


@pytest.mark.parametrize("body", [[], {"result": []}, {"earningsCalendar": {"symbol": "NVDA"}}])
async def test_a_wrong_shape_is_invalid_data(body: object) -> None:
    with pytest.raises(SourceDataInvalid):
        await finnhub(Recorder(lambda _: json_response(body))).fetch(START, END)


async def test_a_page_that_is_not_json_is_invalid_data() -> None:
    recorder = Recorder(lambda _: httpx.Response(200, text="<html>maintenance</html>"))
    with pytest.raises(SourceDataInvalid, match="non-JSON"):
        await finnhub(recorder).fetch(START, END)


async def test_a_null_calendar_is_an_empty_one() -> None:
    recorder = Recorder(lambda _: json_response({"earningsCalendar": None}))
    assert await finnhub(recorder).fetch(START, END) == []


def test_a_key_is_required() -> None:
    with pytest.raises(ValueError, match="API key"):
        FinnhubCalendar(httpx.AsyncClient(), API, "  ")
