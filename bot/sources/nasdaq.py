"""Nasdaq's public earnings calendar (no key): dates, before-open / after-close, EPS consensus.

    source = NasdaqCalendar(client, "https://api.nasdaq.com", limiter=RateLimiter(1.0))
    rows = await source.fetch(date(2025, 8, 25), date(2025, 8, 29), tickers={"NVDA"})

One request per calendar day, weekends included (some companies report on Saturdays). For a few
companies, `fetch_next` asks /api/analyst/{symbol}/earnings-date for each one's next report date
("Earnings announcement* for NVDA: Nov 19, 2025"), then that day's calendar for its row. The API
answers only browser-like requests, so every request carries a browser User-Agent, Accept, Origin
and Referer. Money comes as text: "$1.33", "($0.11)" for negatives, "", "N/A" or "--" for none.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable, Collection, Mapping
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar

import httpx

from bot.domain.market_time import Timing
from bot.domain.tickers import is_valid_ticker, normalize_ticker
from bot.errors import SourceDataInvalid, SourceError, SourceUnavailable
from bot.sources.calendar import CalendarRow, requested_tickers, sort_rows, usd_eps
from bot.sources.http import RateLimiter, get

T = TypeVar("T")

logger = logging.getLogger(__name__)

SOURCE = "nasdaq"
BROWSER_HEADERS = {
    "User-Agent": (
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 "
        "(KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36"
    ),
    "Accept": "application/json, text/plain, */*",
    "Accept-Language": "en-US,en;q=0.9",
    "Origin": "https://www.nasdaq.com",
    "Referer": "https://www.nasdaq.com/",
}
_TIMINGS = {
    "time-pre-market": Timing.BMO,
    "time-after-hours": Timing.AMC,
    "time-not-supplied": Timing.UNKNOWN,
}
MAX_FAILED_DAYS = 3  # days of one read that may fail before the whole read counts as failed
_NONE_TEXTS = frozenset({"", "N/A", "NA", "--", "-", "NONE", "NULL"})
_MONTHS = {
    name: number
    for number, name in enumerate(
        ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"), 1
    )
}
_QUARTER_ENDING = re.compile(r"^\s*([A-Za-z]{3})[A-Za-z]*\s*/\s*(\d{4})\s*$")
_ANNOUNCED_DATE = re.compile(r":\s*([A-Za-z]{3})[A-Za-z]*\.?\s+(\d{1,2}),\s*(\d{4})\s*$")
_REPORT_QUARTER = re.compile(r"quarter ending\s+([A-Za-z]{3})[A-Za-z]*\s+(\d{4})", re.IGNORECASE)
_REPORT_TIMINGS = (
    ("after market close", Timing.AMC), ("after the market close", Timing.AMC),
    ("before market open", Timing.BMO), ("prior to market open", Timing.BMO),
    ("before the market open", Timing.BMO),
)
_MISSING = object()


class NasdaqCalendar:
    """The Nasdaq earnings calendar as a CalendarSource."""

    name = SOURCE

    def __init__(
        self, client: httpx.AsyncClient, api_url: str, *, limiter: RateLimiter | None = None
    ) -> None:
        self._client = client
        self._url = api_url.rstrip("/") + "/api/calendar/earnings"
        self._analyst_url = api_url.rstrip("/") + "/api/analyst/{symbol}/earnings-date"
        self._limiter = limiter if limiter is not None else RateLimiter(per_second=1.0)

    async def fetch(
        self, start: date, end: date, tickers: Collection[str] | None = None
    ) -> list[CalendarRow]:
        """Return the rows of every day from start to end inclusive, for tickers if given."""
        wanted = requested_tickers(tickers)
        if wanted is not None and not wanted:
            return []
        rows: list[CalendarRow] = []
        failed: list[date] = []
        answered = 0
        day = start
        while day <= end:
            try:
                found = await self.fetch_day(day)
            except SourceError as exc:
                # One bad day costs that day only. A refusal, several failed days, or a read where
                # no day answered is an outage: the source backs off.
                last_day = day == end
                if getattr(exc, "retry_after", None) or len(failed) + 1 >= MAX_FAILED_DAYS or (last_day and not answered):
                    raise
                logger.warning("nasdaq: %s left out of this read: %s", day, exc)
                failed.append(day)
                found = []
            else:
                answered += 1
            rows.extend(row for row in found if wanted is None or row.ticker in wanted)
            day += timedelta(days=1)
        logger.debug("nasdaq: %d rows for %s..%s (%d days failed)", len(rows), start, end, len(failed))
        return sort_rows(rows)

    async def fetch_next(self, tickers: Collection[str], start: date, end: date) -> list[CalendarRow]:
        """Return each company's next report between start and end: its date from the per-symbol
        earnings-date answer, the row from that day's calendar (or from the answer alone when the
        day's calendar does not list it yet)."""
        rows: list[CalendarRow] = []
        days: dict[date, list[CalendarRow]] = {}
        for ticker in sorted(requested_tickers(tickers) or ()):
            announced = await self.fetch_announced(ticker)
            if announced is None or not start <= announced.report_date <= end:
                continue
            if announced.report_date not in days:
                days[announced.report_date] = await self.fetch_day(announced.report_date)
            listed = next((r for r in days[announced.report_date] if r.ticker == ticker), None)
            rows.append(listed or announced)
        return sort_rows(rows)

    async def fetch_announced(self, ticker: str) -> CalendarRow | None:
        """Return the next report Nasdaq announces for ticker (date, time of day, quarter), if any."""
        response = await get(
            self._client, self._analyst_url.format(symbol=ticker.lower()), source=SOURCE,
            limiter=self._limiter, headers=BROWSER_HEADERS,
        )
        if response.status_code == 404:  # a symbol Nasdaq does not cover: nothing to say about it
            logger.info("nasdaq: no earnings date for %s (HTTP 404)", ticker)
            return None
        return parse_announcement(_json(response, f"the earnings date of {ticker}"), ticker)

    async def fetch_day(self, day: date) -> list[CalendarRow]:
        """Return every row Nasdaq lists for one day."""
        response = await get(
            self._client, self._url, source=SOURCE, limiter=self._limiter,
            params={"date": day.isoformat()}, headers=BROWSER_HEADERS,
        )
        return parse_day(_json(response, str(day)), day)


def _json(response: httpx.Response, what: str) -> Any:
    """Return the answer's JSON: another status than 200 is an outage, an unreadable body invalid data."""
    if response.status_code != 200:
        raise SourceUnavailable(f"nasdaq: HTTP {response.status_code} for {what}")
    try:
        return response.json()
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise SourceDataInvalid(f"nasdaq: the answer for {what} is not JSON") from exc


def parse_day(payload: Any, day: date) -> list[CalendarRow]:
    """Turn one day's calendar answer into rows; unparseable rows are skipped and logged."""
    raw_rows = _raw_rows(payload, day)
    rows: list[CalendarRow] = []
    seen: set[str] = set()
    for raw in raw_rows:
        try:
            row = parse_row(raw, day)
        except (ValueError, TypeError, KeyError) as exc:
            logger.warning("nasdaq: skipping a row of %s: %s (%r)", day, exc, _symbol_of(raw))
            continue
        if row.ticker in seen:
            logger.debug("nasdaq: duplicate row for %s on %s ignored", row.ticker, day)
            continue
        seen.add(row.ticker)
        rows.append(row)
    return rows


def _raw_rows(payload: Any, day: date) -> list[Any]:
    if not isinstance(payload, dict):
        raise SourceDataInvalid(f"nasdaq: the answer for {day} is not a JSON object")
    status = payload.get("status")
    status = status if isinstance(status, dict) else {}
    code = status.get("rCode")
    if code not in (None, 200):
        raise SourceDataInvalid(f"nasdaq: status {code} for {day}: {status.get('bCodeMessage')}")
    data = payload.get("data", _MISSING)
    if data is _MISSING:
        raise SourceDataInvalid(f"nasdaq: the answer for {day} has no 'data'")
    if data is None:
        return []
    if not isinstance(data, dict):
        raise SourceDataInvalid(f"nasdaq: 'data' for {day} is not an object")
    rows = data.get("rows")
    if rows is None:
        return []
    if not isinstance(rows, list):
        raise SourceDataInvalid(f"nasdaq: 'rows' for {day} is not a list")
    return rows



def parse_announcement(payload: Any, ticker: str) -> CalendarRow | None:
    """Read /api/analyst/{symbol}/earnings-date: None when it names no date."""
    if not isinstance(payload, dict):
        raise SourceDataInvalid(f"nasdaq: the earnings date of {ticker} is not a JSON object")
    status = payload.get("status")
    code = status.get("rCode") if isinstance(status, dict) else None
    if code not in (None, 200):  # e.g. 400 "Symbol not exists": this company only
        logger.info("nasdaq: no earnings date for %s (status %s)", ticker, code)
        return None
    data = payload.get("data")
    if not isinstance(data, dict):
        return None
    announcement = data.get("announcement")
    match = _ANNOUNCED_DATE.search(announcement) if isinstance(announcement, str) else None
    month = _MONTHS.get(match.group(1).upper()) if match else None
    if match is None or month is None:
        return None
    try:
        day = date(int(match.group(3)), month, int(match.group(2)))
    except ValueError:
        return None
    report_text = data.get("reportText")
    text = report_text if isinstance(report_text, str) else ""
    timing = next((t for phrase, t in _REPORT_TIMINGS if phrase in text.lower()), Timing.UNKNOWN)
    quarter = _REPORT_QUARTER.search(text)
    quarter_month = _MONTHS.get(quarter.group(1).upper()) if quarter else None
    return CalendarRow(
        ticker=ticker, company_name=None, report_date=day, timing=timing,
        period_year=int(quarter.group(2)) if quarter and quarter_month else None,
        period_month=quarter_month, fiscal_year=None, fiscal_quarter=None,
        estimates=(), estimate_count=None, actuals=(), source=SOURCE,
    )


def parse_row(raw: Mapping[str, Any], day: date) -> CalendarRow:
    """Turn one Nasdaq row into a CalendarRow; raise ValueError when it can't be read."""
    if not isinstance(raw, Mapping):
        raise TypeError("row is not an object")
    ticker = normalize_ticker(_text(raw.get("symbol")) or "")
    if not is_valid_ticker(ticker):
        raise ValueError(f"invalid symbol {raw.get('symbol')!r}")
    # Each field on its own: an unreadable estimate loses the estimate, not the report's date.
    estimate = _field(parse_money, raw, "epsForecast", ticker)
    actual = _field(parse_money, raw, "eps", ticker)
    count = _field(parse_count, raw, "noOfEsts", ticker)
    period = parse_quarter_ending(raw.get("fiscalQuarterEnding"))
    return CalendarRow(
        ticker=ticker,
        company_name=_text(raw.get("name")) or None,
        report_date=day,
        timing=_timing(raw.get("time"), ticker),
        period_year=period[0] if period else None,
        period_month=period[1] if period else None,
        fiscal_year=None,
        fiscal_quarter=None,
        estimates=(usd_eps(estimate),) if estimate is not None else (),
        estimate_count=count,
        actuals=(usd_eps(actual),) if actual is not None else (),
        source=SOURCE,
    )


def _field(parse: Callable[[Any], T | None], raw: Mapping[str, Any], name: str, ticker: str) -> T | None:
    try:
        return parse(raw.get(name))
    except (ValueError, TypeError) as exc:
        logger.warning("nasdaq: %s of %s left out: %s", name, ticker, exc)
        return None


def parse_money(value: Any) -> Decimal | None:
    """Read "$1.33", "($0.11)", "-$0.11" or "$1,234"; None for "", "N/A", "--" or null."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise ValueError(f"not a money value: {value!r}")
    text = str(value).strip()
    if text.upper() in _NONE_TEXTS:
        return None
    minus_signs = 0
    if text.startswith("(") and text.endswith(")"):
        minus_signs, text = 1, text[1:-1].strip()
    text = text.replace("$", "", 1).strip()  # "-$0.11" and "$-0.11" alike
    if text.startswith(("-", "−")):
        minus_signs, text = minus_signs + 1, text[1:].strip()
    if minus_signs > 1:  # "(-$0.11)": which sign was meant is anyone's guess
        raise ValueError(f"two minus signs: {value!r}")
    negative = minus_signs == 1
    cleaned = text.replace(",", "").strip()
    try:
        amount = Decimal(cleaned)
    except InvalidOperation:
        raise ValueError(f"not a money value: {value!r}") from None
    if not amount.is_finite() or cleaned.startswith(("-", "+")):
        raise ValueError(f"not a money value: {value!r}")
    return -amount if negative else amount


def parse_count(value: Any) -> int | None:
    """Read the number of estimates: "14" -> 14; "N/A", "" or null -> None."""
    text = _text(value)
    if text is None or text.upper() in _NONE_TEXTS:
        return None
    try:
        number = Decimal(text.replace(",", ""))
    except InvalidOperation:
        raise ValueError(f"not a count: {value!r}") from None
    if not number.is_finite() or number != number.to_integral_value():  # "8.0" is 8, "8.5" is nothing
        raise ValueError(f"not a count: {value!r}")
    count = int(number)
    if count < 0:
        raise ValueError(f"not a count: {value!r}")
    return count


def parse_quarter_ending(value: Any) -> tuple[int, int] | None:
    """Read "Jan/2025" as (2025, 1): the calendar month the fiscal quarter ends in."""
    text = _text(value)
    match = _QUARTER_ENDING.match(text or "")
    if match is None:
        return None
    month = _MONTHS.get(match.group(1).upper())
    return (int(match.group(2)), month) if month else None


def _timing(value: Any, ticker: str) -> Timing:
    timing = _TIMINGS.get(_text(value) or "")
    if timing is None:
        logger.debug("nasdaq: unknown time %r for %s", value, ticker)
        return Timing.UNKNOWN
    return timing


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    raise TypeError(f"expected text, got {type(value).__name__}")


def _symbol_of(raw: Any) -> Any:
    return raw.get("symbol") if isinstance(raw, Mapping) else None
