"""Past earnings surprises: each past quarter's EPS actual against the estimate, from the providers
that keep them, to seed the history a beat streak is counted from.

    nasdaq = NasdaqSurprises(client, "https://api.nasdaq.com", limiter=RateLimiter(1.0))
    await nasdaq.fetch("NVDA")  # [PastResult("2025-01", Figure(eps adjusted 0.89), Decimal("0.85")), ...]

Nasdaq: /api/company/{symbol}/earnings-surprise (no key) lists the last four quarters
(`earningsSurpriseTable.rows`: fiscalQtrEnd "Jan 2025", eps, consensusForecast). Finnhub:
/stock/earnings?symbol= (key; the free plan: the last four quarters) lists actual, estimate and the
quarter's end date. Both speak of the EPS the consensus is made of: adjusted, per share, in US$.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Mapping
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any, Protocol

import httpx

from bot.domain.figures import Basis, Figure, Metric, Unit
from bot.domain.periods import period_key, period_key_for
from bot.domain.track_record import PastResult
from bot.errors import SourceDataInvalid, SourceUnavailable
from bot.sources.finnhub import finnhub_symbol
from bot.sources.http import RateLimiter, get
from bot.sources.nasdaq import BROWSER_HEADERS

logger = logging.getLogger(__name__)

_MONTHS = {m: i for i, m in enumerate(("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov",
                                       "dec"), start=1)}
_QUARTER_END = re.compile(r"^\s*([A-Za-z]{3})[A-Za-z]*\.?\s+(\d{4})\s*$")


class SurpriseSource(Protocol):
    """A provider of past quarters' EPS actual against estimate."""

    name: str

    async def fetch(self, ticker: str) -> list[PastResult]: ...


def _eps(value: Decimal) -> Figure:
    return Figure(Metric.EPS, Basis.ADJUSTED, Unit.PER_SHARE, "USD", value)


def _number(value: Any) -> Decimal | None:
    """Read 1.38, "1.31", "$1.31", "($0.11)"; None for null, "", "N/A", "--"."""
    if value is None or isinstance(value, bool):
        return None
    text = str(value).strip().replace("$", "").replace(",", "")
    if text.upper() in {"", "N/A", "NA", "--", "-", "NONE", "NULL"}:
        return None
    negative = text.startswith("(") and text.endswith(")")
    try:
        number = Decimal(text.strip("()"))
    except InvalidOperation:
        raise ValueError(f"not a number: {value!r}") from None
    if not number.is_finite():
        raise ValueError(f"not a number: {value!r}")
    return -number if negative else number


def parse_nasdaq_surprises(payload: Any) -> list[PastResult]:
    """Read an earnings-surprise answer; rows that can't be read are skipped and logged."""
    if not isinstance(payload, Mapping):
        raise SourceDataInvalid("nasdaq: the earnings-surprise answer is not a JSON object")
    data = payload.get("data")
    if data is None:
        return []  # "Symbol not exists" and the like: nothing known
    table = data.get("earningsSurpriseTable") if isinstance(data, Mapping) else None
    rows = table.get("rows") if isinstance(table, Mapping) else None
    if rows is None:
        return []
    if not isinstance(rows, list):
        raise SourceDataInvalid("nasdaq: earningsSurpriseTable.rows is not a list")
    found = []
    for raw in rows:
        try:
            match = _QUARTER_END.match(str(raw["fiscalQtrEnd"]))
            month = _MONTHS.get(match.group(1).lower()) if match else None
            actual = _number(raw.get("eps"))
            if match is None or month is None or actual is None:
                raise ValueError(f"no quarter or actual in {raw!r}")
            found.append(PastResult(period_key(int(match.group(2)), month), _eps(actual),
                                    _number(raw.get("consensusForecast"))))
        except (KeyError, TypeError, ValueError) as exc:
            logger.warning("nasdaq: skipping an earnings-surprise row: %s", exc)
    return found


def parse_finnhub_surprises(payload: Any) -> list[PastResult]:
    """Read a /stock/earnings answer; rows that can't be read are skipped and logged."""
    if isinstance(payload, Mapping) and isinstance(payload.get("error"), str):
        raise SourceUnavailable(f"finnhub: {payload['error']}")
    if not isinstance(payload, list):
        raise SourceDataInvalid("finnhub: the /stock/earnings answer is not a list")
    found = []
    for raw in payload:
        try:
            actual = _number(raw.get("actual"))
            if actual is None:
                continue
            key = period_key_for(date.fromisoformat(str(raw["period"])))
            found.append(PastResult(key, _eps(actual), _number(raw.get("estimate"))))
        except (AttributeError, KeyError, TypeError, ValueError) as exc:
            logger.warning("finnhub: skipping a /stock/earnings row: %s", exc)
    return found


class NasdaqSurprises:
    """Nasdaq's earnings-surprise table of a company (the last four quarters)."""

    name = "nasdaq"

    def __init__(self, client: httpx.AsyncClient, api_url: str, *, limiter: RateLimiter | None = None) -> None:
        self._client = client
        self._url = api_url.rstrip("/") + "/api/company/{symbol}/earnings-surprise"
        self._limiter = limiter or RateLimiter(per_second=1.0)

    async def fetch(self, ticker: str) -> list[PastResult]:
        response = await get(self._client, self._url.format(symbol=ticker.lower()), source=self.name,
                             limiter=self._limiter, headers=BROWSER_HEADERS)
        if response.status_code == 404:
            return []
        if response.status_code != 200:
            raise SourceUnavailable(f"nasdaq: HTTP {response.status_code} for the earnings surprises of {ticker}")
        try:
            payload = response.json()
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise SourceDataInvalid(f"nasdaq: the earnings surprises of {ticker} are not JSON") from exc
        return parse_nasdaq_surprises(payload)


class FinnhubSurprises:
    """Finnhub's /stock/earnings of a company (past actual against estimate)."""

    name = "finnhub"

    def __init__(self, client: httpx.AsyncClient, api_url: str, api_key: str, *,
                 limiter: RateLimiter | None = None) -> None:
        self._client = client
        self._url = api_url.rstrip("/") + "/stock/earnings"
        self._headers = {"X-Finnhub-Token": api_key.strip(), "Accept": "application/json"}
        self._limiter = limiter or RateLimiter(per_second=1.0)

    async def fetch(self, ticker: str) -> list[PastResult]:
        response = await get(self._client, self._url, source=self.name, limiter=self._limiter,
                             params={"symbol": finnhub_symbol(ticker)}, headers=self._headers)
        if response.status_code in (401, 403):
            raise SourceUnavailable("finnhub: no access to /stock/earnings with this key")
        if response.status_code != 200:
            raise SourceUnavailable(f"finnhub: HTTP {response.status_code} for /stock/earnings")
        try:
            payload = response.json(parse_float=Decimal)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise SourceDataInvalid("finnhub: /stock/earnings answered with non-JSON") from exc
        return parse_finnhub_surprises(payload)
