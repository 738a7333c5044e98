"""Replay of real reports (bot/sandbox/demo/february_2025.json): companies, vendor consensus, releases."""

from __future__ import annotations

import json
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from importlib import resources
from typing import Any

from bot.domain.figures import Basis, Figure, Metric, Unit
from bot.domain.market_time import Timing, as_utc
from bot.domain.tickers import normalize_ticker
from bot.sources.calendar import CalendarRow
from bot.store.tables import FilingKind

DATA_FILE = "february_2025.json"


@dataclass(frozen=True)
class DemoCompany:
    ticker: str
    cik: int
    name: str
    currency: str
    filer_kind: str
    fiscal_year_end_month: int


@dataclass(frozen=True)
class DemoRelease:
    """One report: when it came out, how (filing or press release), and the figures."""

    ticker: str
    report_date: date
    released_at: datetime
    figures: tuple[Figure, ...]
    form: str | None = None
    items: tuple[str, ...] = ()
    accession: str | None = None
    title: str | None = None

    @property
    def filing_kind(self) -> FilingKind:
        return FilingKind.EARNINGS_RELEASE


@dataclass(frozen=True)
class DemoData:
    companies: list[DemoCompany]
    events: list[dict[str, Any]]

    def releases(self) -> list[DemoRelease]:
        """Return the releases in the order they happened."""
        result = []
        for event in self.events:
            filing = event.get("filing") or {}
            moment = filing.get("accepted_at") or event["released_at"]
            result.append(
                DemoRelease(
                    ticker=event["ticker"],
                    report_date=date.fromisoformat(event["report_date"]),
                    released_at=as_utc(datetime.fromisoformat(moment)),
                    figures=tuple(_figure(f) for f in event["reported"]),
                    form=filing.get("form"),
                    items=tuple(filing.get("items", ())),
                    accession=filing.get("accession"),
                    title=filing.get("title"),
                )
            )
        return sorted(result, key=lambda r: r.released_at)


def load_demo_data() -> DemoData:
    """Read the packaged data file."""
    raw = json.loads(resources.files("bot.sandbox.demo").joinpath(DATA_FILE).read_text(encoding="utf-8"))
    companies = [DemoCompany(**c) for c in raw["companies"]]
    return DemoData(companies, raw["events"])


def _figure(raw: dict[str, str]) -> Figure:
    return Figure(raw["metric"], Basis(raw["basis"]), Unit(raw["unit"]), raw["currency"], Decimal(raw["value"]))


class ReplayCalendar:
    """A calendar source over the data file: each vendor's consensus as that vendor's row.

    Actuals are not in the calendar: they arrive as releases, the way EDGAR delivers them.
    """

    name = "replay"

    def __init__(self, data: DemoData, clock: Callable[[], datetime]) -> None:
        self.data = data
        self.clock = clock

    async def fetch(self, start: date, end: date, tickers: Collection[str] | None = None) -> list[CalendarRow]:
        wanted = {normalize_ticker(t) for t in tickers} if tickers is not None else None
        rows = []
        for event in self.data.events:
            day = date.fromisoformat(event["report_date"])
            if not start <= day <= end or (wanted is not None and event["ticker"] not in wanted):
                continue
            period_end = date.fromisoformat(event["period_end"])
            year, month = (period_end.year, period_end.month) if period_end.day > 7 else (
                (period_end.year, period_end.month - 1) if period_end.month > 1 else (period_end.year - 1, 12)
            )
            for consensus in event["consensus"]:
                rows.append(
                    CalendarRow(
                        ticker=event["ticker"], company_name=None, report_date=day,
                        timing=Timing(event["timing"]), period_year=year, period_month=month,
                        fiscal_year=None, fiscal_quarter=None, estimates=_estimates(consensus),
                        estimate_count=consensus.get("estimates"), actuals=(), source=consensus["vendor"],
                    )
                )
        return rows


def _estimates(consensus: dict[str, Any]) -> tuple[Figure, ...]:
    currency = consensus.get("currency", "USD")
    figures = []
    if "eps" in consensus:
        figures.append(Figure(Metric.EPS, Basis(consensus.get("eps_basis", "adjusted")),
                              Unit(consensus.get("eps_unit", "per_share")), currency, Decimal(consensus["eps"])))
    if "revenue" in consensus:
        figures.append(Figure(Metric.REVENUE, Basis.GAAP, Unit.MONEY, currency, Decimal(consensus["revenue"])))
    return tuple(figures)
