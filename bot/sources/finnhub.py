"""Finnhub's earnings calendar (free key): dates, hour, fiscal quarter, EPS and revenue consensus.

    source = FinnhubCalendar(client, "https://finnhub.io/api/v1", api_key, limiter=RateLimiter(1.0))
    rows = await source.fetch(date(2026, 8, 1), date(2026, 8, 31), tickers={"NVDA", "TSM"})

The key travels in the X-Finnhub-Token header, never in the URL, so it stays out of logs. The free
plan allows 60 calls a minute; the default limiter spaces calls one second apart. Finnhub's EPS and
revenue are non-GAAP (adjusted) and its year / quarter are fiscal. Rows come back unsorted, missing
estimates are null or absent (left out, never 0), and an ADR may come back under its home listing
("2330.TW" for TSM, in TWD): such rows are dropped, never attached to the requested ticker.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Collection, Mapping
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

import httpx

from bot.domain.figures import Figure
from bot.domain.market_time import Timing
from bot.domain.tickers import is_valid_ticker, normalize_ticker
from bot.errors import SourceDataInvalid, SourceUnavailable
from bot.sources.calendar import (
    CalendarRow,
    requested_tickers,
    sort_rows,
    usd_eps,
    usd_revenue,
)
from bot.sources.http import RateLimiter, get

logger = logging.getLogger(__name__)

SOURCE = "finnhub"
# Seconds to wait after a refusal when Finnhub does not say: its budget is per minute.
RATE_LIMIT_RETRY_AFTER = 60.0
# A plan without access to the endpoint does not change by itself; check again hourly.
NO_ACCESS_RETRY_AFTER = 3600.0
_TIMINGS = {"bmo": Timing.BMO, "amc": Timing.AMC, "dmh": Timing.DMH}


class FinnhubCalendar:
    """The Finnhub earnings calendar as a CalendarSource.

    With a few tickers it asks once per ticker (`symbol=`), which Finnhub answers more completely
    than a whole-market window; with many tickers, or none, it asks once for the window.
    """

    name = SOURCE

    def __init__(
        self, client: httpx.AsyncClient, api_url: str, api_key: str, *,
        limiter: RateLimiter | None = None, max_symbol_requests: int = 20,
    ) -> None:
        if not api_key.strip():
            raise ValueError("a Finnhub API key is required")
        self._client = client
        self._url = api_url.rstrip("/") + "/calendar/earnings"
        self._headers = {"X-Finnhub-Token": api_key.strip(), "Accept": "application/json"}
        self._limiter = limiter if limiter is not None else RateLimiter(per_second=1.0)
        self._max_symbol_requests = max_symbol_requests

    async def fetch(
        self, start: date, end: date, tickers: Collection[str] | None = None
    ) -> list[CalendarRow]:
        """Return the rows reported between start and end inclusive, for tickers if given."""
        wanted = requested_tickers(tickers)
        if wanted is not None and not wanted:
            return []
        window = {"from": start.isoformat(), "to": end.isoformat()}
        if wanted is not None and len(wanted) <= self._max_symbol_requests:
            raw_rows: list[Any] = []
            for ticker in sorted(wanted):
                raw_rows.extend(await self._request({**window, "symbol": finnhub_symbol(ticker)}))
        else:
            raw_rows = await self._request(window)
        rows = parse_rows(raw_rows, wanted)
        logger.debug("finnhub: %d rows for %s..%s", len(rows), start, end)
        return rows

    async def fetch_next(self, tickers: Collection[str], start: date, end: date) -> list[CalendarRow]:
        """Return the reports of just these companies between start and end (one request each)."""
        return await self.fetch(start, end, tickers)

    async def _request(self, params: Mapping[str, str]) -> list[Any]:
        try:
            response = await get(
                self._client, self._url, source=SOURCE, limiter=self._limiter,
                params=params, headers=self._headers,
            )
        except SourceUnavailable as exc:
            if exc.retry_after is not None:
                raise
            raise SourceUnavailable(str(exc), retry_after=RATE_LIMIT_RETRY_AFTER) from exc
        if response.status_code in (401, 403):
            raise SourceUnavailable(_refusal(response), retry_after=NO_ACCESS_RETRY_AFTER)
        if response.status_code != 200:
            raise SourceUnavailable(f"finnhub: HTTP {response.status_code} for /calendar/earnings")
        try:
            payload = response.json(parse_float=Decimal)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise SourceDataInvalid("finnhub: /calendar/earnings answered with non-JSON") from exc
        return calendar_entries(payload)


def finnhub_symbol(ticker: str) -> str:
    """Return Finnhub's spelling of a US ticker: share classes use a dot (BRK-B -> BRK.B)."""
    return ticker.replace("-", ".")


def calendar_entries(payload: Any) -> list[Any]:
    """Return the raw rows of a /calendar/earnings answer, or raise on a wrong shape."""
    if not isinstance(payload, dict):
        raise SourceDataInvalid("finnhub: /calendar/earnings answer is not a JSON object")
    if "earningsCalendar" not in payload:
        if isinstance(payload.get("error"), str):
            raise SourceUnavailable(f"finnhub: {payload['error']}")
        raise SourceDataInvalid("finnhub: /calendar/earnings answer has no 'earningsCalendar'")
    entries = payload["earningsCalendar"]
    if entries is None:
        return []
    if not isinstance(entries, list):
        raise SourceDataInvalid("finnhub: 'earningsCalendar' is not a list")
    return entries


def parse_rows(raw_rows: list[Any], wanted: frozenset[str] | None) -> list[CalendarRow]:
    """Turn raw rows into sorted CalendarRows for the wanted tickers; skip and log the rest."""
    rows: list[CalendarRow] = []
    seen: set[tuple[str, date]] = set()
    for raw in raw_rows:
        symbol = raw.get("symbol") if isinstance(raw, Mapping) else None
        ticker = normalize_ticker(symbol) if isinstance(symbol, str) else ""
        if wanted is not None and ticker not in wanted:
            # A foreign listing stands in for an ADR (2330.TW for TSM): its numbers are not ours.
            logger.debug("finnhub: skipping row for %r, not a requested ticker", symbol)
            continue
        if wanted is None and not is_valid_ticker(ticker):
            logger.debug("finnhub: skipping row for %r, not a US ticker", symbol)
            continue
        try:
            row = parse_row(raw)
        except (ValueError, TypeError, KeyError) as exc:
            logger.warning("finnhub: skipping a row for %r: %s", symbol, exc)
            continue
        if (row.ticker, row.report_date) in seen:
            continue
        seen.add((row.ticker, row.report_date))
        rows.append(row)
    return sort_rows(rows)


def parse_row(raw: Mapping[str, Any]) -> CalendarRow:
    """Turn one Finnhub row into a CalendarRow; raise ValueError when it can't be read."""
    ticker = normalize_ticker(raw["symbol"])
    if not is_valid_ticker(ticker):
        raise ValueError(f"invalid symbol {raw['symbol']!r}")
    report_date = date.fromisoformat(raw["date"])
    quarter = _integer(raw.get("quarter"))
    return CalendarRow(
        ticker=ticker,
        company_name=None,
        report_date=report_date,
        timing=_TIMINGS.get(str(raw.get("hour") or "").strip().lower(), Timing.UNKNOWN),
        period_year=None,
        period_month=None,
        fiscal_year=_integer(raw.get("year")),
        fiscal_quarter=quarter if quarter is not None and 1 <= quarter <= 4 else None,
        estimates=_figures(raw.get("epsEstimate"), raw.get("revenueEstimate")),
        estimate_count=None,
        actuals=_figures(raw.get("epsActual"), raw.get("revenueActual")),
        source=SOURCE,
    )


def _figures(eps: Any, revenue: Any) -> tuple[Figure, ...]:
    figures: list[Figure] = []
    eps_value, revenue_value = parse_number(eps), parse_number(revenue)
    if eps_value is not None:
        figures.append(usd_eps(eps_value))
    if revenue_value is not None:
        figures.append(usd_revenue(revenue_value))
    return tuple(figures)


def parse_number(value: Any) -> Decimal | None:
    """Read a JSON number exactly; None for null or an empty string."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        raise ValueError(f"not a number: {value!r}")
    try:
        number = Decimal(str(value).strip()) if isinstance(value, float | str) else Decimal(value)
    except (InvalidOperation, TypeError):
        raise ValueError(f"not a number: {value!r}") from None
    if not number.is_finite():
        raise ValueError(f"not a number: {value!r}")
    return number


def _integer(value: Any) -> int | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _refusal(response: httpx.Response) -> str:
    try:
        body = response.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        body = None
    detail = body.get("error") if isinstance(body, dict) else None
    if response.status_code == 401:
        return f"finnhub: the API key was refused (HTTP 401){': ' + detail if detail else ''}"
    return (
        "finnhub: this API key has no access to /calendar/earnings (HTTP 403)"
        f"{': ' + detail if detail else ''}"
    )
