"""What every earnings-calendar source returns: one CalendarRow per company and report date.

A row carries only what the provider said. A missing estimate is left out of `estimates`, never
turned into 0, so that "no consensus" can never read as "consensus of zero".
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Protocol

from bot.domain.figures import Basis, Figure, Metric, Unit
from bot.domain.market_time import Timing
from bot.domain.tickers import normalize_ticker


@dataclass(frozen=True, slots=True)
class CalendarRow:
    """One scheduled (or past) earnings report as a calendar provider lists it."""

    ticker: str
    company_name: str | None
    report_date: date
    timing: Timing
    period_year: int | None
    period_month: int | None
    fiscal_year: int | None
    fiscal_quarter: int | None
    estimates: tuple[Figure, ...]
    estimate_count: int | None
    actuals: tuple[Figure, ...]
    source: str
    # The provider says the company itself set this date. Nasdaq's and Finnhub's rows never do
    # (docs/decisions/010-trusted-dates.md): their dates are estimates until the release.
    confirmed: bool = False

    def estimate(self, metric: str) -> Figure | None:
        """Return the consensus figure for metric, if the provider gave one."""
        return next((f for f in self.estimates if f.metric == metric), None)

    def actual(self, metric: str) -> Figure | None:
        """Return the reported figure for metric, if the provider gave one."""
        return next((f for f in self.actuals if f.metric == metric), None)


class CalendarSource(Protocol):
    """A provider of earnings dates, timing and consensus for a date window."""

    name: str

    async def fetch(
        self, start: date, end: date, tickers: Collection[str] | None = None
    ) -> list[CalendarRow]:
        """Return the rows reported between start and end (inclusive), for tickers if given."""
        ...


class NextReportSource(CalendarSource, Protocol):
    """A provider that can also be asked about a few companies' next reports directly (Finnhub's
    symbol=, Nasdaq's per-symbol earnings date), cheaper than reading a window day by day."""

    async def fetch_next(self, tickers: Collection[str], start: date, end: date) -> list[CalendarRow]:
        """Return the rows of these companies reported between start and end (inclusive)."""
        ...


def usd_eps(value: Decimal) -> Figure:
    """Return an adjusted per-share EPS figure in USD (how Nasdaq and Finnhub publish EPS)."""
    return Figure(Metric.EPS, Basis.ADJUSTED, Unit.PER_SHARE, "USD", value)


def usd_revenue(value: Decimal) -> Figure:
    """Return an adjusted revenue figure in whole US dollars (Finnhub's non-GAAP revenue)."""
    return Figure(Metric.REVENUE, Basis.ADJUSTED, Unit.MONEY, "USD", value)


def requested_tickers(tickers: Collection[str] | None) -> frozenset[str] | None:
    """Return the normalised set of requested tickers, or None for "every company"."""
    if tickers is None:
        return None
    return frozenset(normalize_ticker(t) for t in tickers if t.strip())


def sort_rows(rows: list[CalendarRow]) -> list[CalendarRow]:
    """Return rows ordered by report date, then ticker."""
    return sorted(rows, key=lambda row: (row.report_date, row.ticker))
