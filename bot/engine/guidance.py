"""Guidance a release states, stored for the period it names (never as the quarter's actual).

    store_guidance(session, company, event, [GuidanceSeen(figure, "2025", None, None)], source="sec", now=now)

The next quarter's revenue outlook is for the quarter after the one reported; a KPI's outlook names
its period ("in 2025": the fiscal year 2025; "over the next three years"; "next quarter").
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Protocol

from sqlmodel import Session

from bot.domain.comparability import Span
from bot.domain.figures import Figure, Metric
from bot.domain.kpis import is_guidance_metric
from bot.domain.periods import period_label
from bot.engine.track_record import next_fiscal_quarter, next_quarter_event, shifted_key
from bot.store.companies import share_class_ids
from bot.store.history import record_guidance
from bot.store.tables import Company, EarningsEvent, GuidanceStatement, saved_id

_YEAR = re.compile(r"(?i)^(?:fiscal\s+(?:year\s+)?|full[\s-]year\s+)?(?P<year>20\d\d)$")
_YEARS = re.compile(r"(?i)^next\s+(?P<count>\w+)\s+years$")


@dataclass(frozen=True, slots=True)
class GuidanceSeen:
    """One guidance statement as a release reader gives it: the figure (a range's midpoint), the
    period as the release names it, and the range's bounds."""

    figure: Figure
    period: str | None
    low: Decimal | None = None
    high: Decimal | None = None


class GuidedFigure(Protocol):
    """What a release reader gives for a figure (bot.sources.edgar.press_release.ExtractedFigure)."""

    @property
    def metric(self) -> str: ...
    @property
    def period(self) -> str | None: ...
    @property
    def low(self) -> Decimal | None: ...
    @property
    def high(self) -> Decimal | None: ...
    def as_figure(self) -> Figure: ...


def guidance_seen(figures: Sequence[GuidedFigure]) -> list[GuidanceSeen]:
    """Return the guidance statements among a release's figures (revenue outlook, KPI outlooks)."""
    return [GuidanceSeen(f.as_figure(), f.period, f.low, f.high) for f in figures if is_guidance_metric(f.metric)]


def store_guidance(
    session: Session, company: Company, event: EarningsEvent, guidance: Sequence[GuidanceSeen], *, source: str,
    now: datetime,
) -> int:
    """Store each statement for its period on the reporting event; return how many changed."""
    changed = 0
    for seen in guidance:
        resolved = _period(session, company, event, seen)
        if resolved is None:
            continue
        span, period, label = resolved
        changed += record_guidance(session, GuidanceStatement(
            company_id=saved_id(company), event_id=saved_id(event), metric=seen.figure.metric, span=span,
            period=period, period_label=label, basis=seen.figure.basis, unit=seen.figure.unit,
            currency=seen.figure.currency, value=seen.figure.value, low=seen.low, high=seen.high, source=source,
            stated_at=now,
        ))
    return changed


def _period(session: Session, company: Company, event: EarningsEvent, seen: GuidanceSeen,
            ) -> tuple[Span, str, str] | None:
    text = (seen.period or "").strip()
    if seen.figure.metric != Metric.REVENUE_GUIDANCE:
        year = _YEAR.match(text)
        if year:
            return Span.YEAR, f"FY{year['year']}", year["year"]
        years = _YEARS.match(text)
        if years:
            return Span.YEARS, "", f"the next {years['count'].lower()} years"
    key = shifted_key(event.fiscal_period, 3)
    if key is None:
        return None
    return Span.QUARTER, key, next_quarter_label(session, company, event, key)


def next_quarter_label(session: Session, company: Company, event: EarningsEvent, key: str) -> str:
    """Return the label of the quarter after the event's: its own event's when stored ("Q1 FY2026")."""
    stored = next_quarter_event(session, share_class_ids(session, company), event)
    if stored is not None and stored.period_label:
        return stored.period_label
    if event.fiscal_year and event.fiscal_quarter:
        year, quarter = next_fiscal_quarter(event.fiscal_year, event.fiscal_quarter)
        return period_label(key, year, quarter, company.fiscal_year_end_month or 12)
    return period_label(key)
