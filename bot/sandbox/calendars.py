"""Loopback fakes of the calendar providers, over real HTTP, in their real response formats.

    async with FakeCalendars() as fake:
        fake.nasdaq_rows[date.today()] = [nasdaq_row("NVDA", eps="$0.84", estimates="14")]
        settings = Settings(nasdaq_api_url=fake.url, finnhub_api_url=fake.url + "/api/v1", ...)

Nasdaq's per-symbol /api/analyst/{symbol}/earnings-date answers from nasdaq_rows: the first day
from `today` on that lists the symbol. `delay` makes every answer slow (a long window read).
"""

from __future__ import annotations

import asyncio
import time
from collections import defaultdict
from datetime import date
from typing import Any

from aiohttp import web

from bot.sandbox.net import listen_on_loopback


def nasdaq_row(symbol: str, *, eps: str = "", estimates: str = "N/A", time: str = "time-after-hours",
               quarter: str = "Jan/2025", name: str | None = None) -> dict[str, str]:
    """Return one row as api.nasdaq.com lists it."""
    return {
        "lastYearRptDt": "N/A", "lastYearEPS": "N/A", "time": time, "symbol": symbol,
        "name": name or f"{symbol} Inc.", "marketCap": "$1,000,000,000", "fiscalQuarterEnding": quarter,
        "epsForecast": eps, "noOfEsts": estimates,
    }


def finnhub_row(symbol: str, day: date, *, eps: float | None = None, revenue: int | None = None,
                eps_actual: float | None = None, revenue_actual: int | None = None, hour: str = "amc",
                quarter: int = 4, year: int = 2025) -> dict[str, Any]:
    """Return one row as Finnhub's /calendar/earnings lists it."""
    return {
        "symbol": symbol, "date": day.isoformat(), "hour": hour, "quarter": quarter, "year": year,
        "epsEstimate": eps, "epsActual": eps_actual, "revenueEstimate": revenue, "revenueActual": revenue_actual,
    }


def nasdaq_surprise_row(quarter_end: str, *, eps: float, consensus: str, reported: str = "N/A") -> dict[str, Any]:
    """Return one row of Nasdaq's earnings-surprise table ("Jan 2025", 0.89, "0.85")."""
    surprise = (eps - float(consensus)) / abs(float(consensus)) * 100 if float(consensus) else 0.0
    return {"fiscalQtrEnd": quarter_end, "dateReported": reported, "eps": eps, "consensusForecast": consensus,
            "percentageSurprise": f"{surprise:.2f}"}


def finnhub_surprise_row(symbol: str, period: date, *, actual: float, estimate: float, quarter: int,
                         year: int) -> dict[str, Any]:
    """Return one row of Finnhub's /stock/earnings."""
    return {"actual": actual, "estimate": estimate, "period": period.isoformat(), "quarter": quarter,
            "surprise": round(actual - estimate, 4), "surprisePercent": round((actual - estimate) / estimate * 100, 4),
            "symbol": symbol, "year": year}


class FakeCalendars:
    """Nasdaq at /api/calendar/earnings and Finnhub at /api/v1/calendar/earnings; past surprises at
    Nasdaq's /api/company/{symbol}/earnings-surprise and Finnhub's /api/v1/stock/earnings."""

    def __init__(self, finnhub_key: str = "test-finnhub-key") -> None:
        self.finnhub_key = finnhub_key
        self.nasdaq_rows: dict[date, list[dict[str, str]]] = defaultdict(list)
        self.finnhub_rows: list[dict[str, Any]] = []
        self.nasdaq_surprises: dict[str, list[dict[str, Any]]] = {}  # symbol -> earnings-surprise rows
        self.finnhub_surprises: dict[str, list[dict[str, Any]]] = {}  # symbol -> /stock/earnings rows
        self.requests: list[tuple[str, dict[str, str], dict[str, str]]] = []
        self.fail_with: int | None = None
        self.delay = 0.0  # seconds every answer takes
        self.today: date | None = None  # the first day earnings-date looks at (default: today)
        self.request_times: list[float] = []
        # Nasdaq alone refuses (e.g. 429 with Retry-After, as when it throttles an address)
        self.nasdaq_fail_with: int | None = None
        self.nasdaq_retry_after: str | None = None
        self.url = ""
        self._runner: web.AppRunner | None = None

    async def __aenter__(self) -> FakeCalendars:
        app = web.Application()
        app.router.add_get("/api/calendar/earnings", self._nasdaq)
        app.router.add_get("/api/analyst/{symbol}/earnings-date", self._nasdaq_earnings_date)
        app.router.add_get("/api/v1/calendar/earnings", self._finnhub)
        app.router.add_get("/api/company/{symbol}/earnings-surprise", self._nasdaq_surprises)
        app.router.add_get("/api/v1/stock/earnings", self._finnhub_surprises)
        self._runner = web.AppRunner(app)
        self.url = await listen_on_loopback(self._runner)
        return self

    async def __aexit__(self, *_exc: object) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def _remember(self, request: web.Request) -> None:
        self.requests.append((request.path, dict(request.query), dict(request.headers)))
        self.request_times.append(time.monotonic())
        if self.delay:
            await asyncio.sleep(self.delay)

    def nasdaq_paths(self) -> list[str]:
        """Return the paths of the Nasdaq requests, in order."""
        return [path for path, _query, _headers in self.requests if not path.startswith("/api/v1")]

    def _nasdaq_refusal(self) -> web.Response | None:
        """Return the refusal every provider (fail_with) or Nasdaq alone (nasdaq_fail_with) gives now."""
        if self.fail_with:
            return web.Response(status=self.fail_with, text="unavailable")
        if self.nasdaq_fail_with:
            headers = {"Retry-After": self.nasdaq_retry_after} if self.nasdaq_retry_after else None
            return web.Response(status=self.nasdaq_fail_with, text="unavailable", headers=headers)
        return None

    async def _nasdaq(self, request: web.Request) -> web.Response:
        await self._remember(request)
        refused = self._nasdaq_refusal()
        if refused is not None:
            return refused
        day = date.fromisoformat(request.query["date"])
        rows = self.nasdaq_rows.get(day) or None
        body: dict[str, Any] = {"data": {"asOf": day.strftime("%a, %b %d, %Y"), "headers": {}, "rows": rows},
                "message": None, "status": {"rCode": 200, "bCodeMessage": None, "developerMessage": None}}
        return web.json_response(body)

    async def _nasdaq_earnings_date(self, request: web.Request) -> web.Response:
        await self._remember(request)
        refused = self._nasdaq_refusal()
        if refused is not None:
            return refused
        symbol = request.match_info["symbol"].upper()
        first = self.today or date.today()
        days = sorted(d for d, rows in self.nasdaq_rows.items()
                      if d >= first and any(r["symbol"] == symbol for r in rows))
        if not days:
            return web.json_response({"data": None, "message": None, "status": {
                "rCode": 400, "bCodeMessage": [{"code": 1001, "errorMessage": "Symbol not exists"}],
                "developerMessage": None}})
        day = days[0]
        row = next(r for r in self.nasdaq_rows[day] if r["symbol"] == symbol)
        when = {"time-pre-market": " before market open", "time-after-hours": " after market close"}.get(
            row["time"], "")
        month, year = row["fiscalQuarterEnding"].split("/")
        report = (f"{row['name']} is expected* to report earnings on {day.month:02d}/{day.day:02d}/{day.year}"
                  f"{when}. The report will be for the fiscal Quarter ending {month} {year}.")
        return web.json_response({
            "data": {"symbol": symbol, "announcement": f"Earnings announcement* for {symbol}: {day:%b} {day.day}, {day.year}",
                     "reportText": report},
            "message": None, "status": {"rCode": 200, "bCodeMessage": None, "developerMessage": None}})

    async def _finnhub(self, request: web.Request) -> web.Response:
        await self._remember(request)
        if request.headers.get("X-Finnhub-Token") != self.finnhub_key:
            return web.json_response({"error": "Invalid API key"}, status=401)
        if self.fail_with:
            return web.Response(status=self.fail_with, text="unavailable")
        start, end = date.fromisoformat(request.query["from"]), date.fromisoformat(request.query["to"])
        symbol = request.query.get("symbol")
        rows = [r for r in self.finnhub_rows if start <= date.fromisoformat(r["date"]) <= end
                and (symbol is None or r["symbol"] == symbol)]
        return web.json_response({"earningsCalendar": rows})

    async def _nasdaq_surprises(self, request: web.Request) -> web.Response:
        await self._remember(request)
        refused = self._nasdaq_refusal()
        if refused is not None:
            return refused
        symbol = request.match_info["symbol"].upper()
        rows = self.nasdaq_surprises.get(symbol)
        if rows is None:
            return web.json_response({"data": None, "message": None, "status": {
                "rCode": 400, "bCodeMessage": [{"code": 1001, "errorMessage": "Symbol not exists"}],
                "developerMessage": None}})
        return web.json_response({"data": {"symbol": symbol, "earningsSurpriseTable": {
            "headers": {"fiscalQtrEnd": "Fiscal Quarter End", "dateReported": "Date Reported", "eps": "Earnings Per Share*",
                        "consensusForecast": "Consensus EPS* Forecast", "percentageSurprise": "% Surprise"},
            "rows": rows}}, "message": None, "status": {"rCode": 200, "bCodeMessage": None, "developerMessage": None}})

    async def _finnhub_surprises(self, request: web.Request) -> web.Response:
        await self._remember(request)
        if request.headers.get("X-Finnhub-Token") != self.finnhub_key:
            return web.json_response({"error": "Invalid API key"}, status=401)
        if self.fail_with:
            return web.Response(status=self.fail_with, text="unavailable")
        return web.json_response(self.finnhub_surprises.get(request.query.get("symbol", ""), []))
