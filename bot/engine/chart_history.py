"""What `/chart TICKER` draws: EPS and revenue, actual against consensus, over the last reported quarters.

Each quarter's pair is what its result alert compared: the headline comparison of each metric
(bot.engine.evaluate.result_report), against the consensus as it stood at the report. A consensus
that is not comparable with the actual (another currency, per ADS against per share) or that was
not judged is left out: the bar of the actual stands alone, with no surprise. One metric's bars
share one unit and currency, the newest quarter's; a quarter whose figure is in another is left
out of that metric's panel rather than drawn on the wrong scale.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlmodel import Session, col, select

from bot.domain.figures import BASIS_NEUTRAL_METRICS, Basis, Figure, Metric, Unit
from bot.domain.market_time import Timing, as_utc
from bot.domain.tickers import is_valid_ticker, normalize_ticker
from bot.domain.verdicts import NO_VERDICT, Comparison, Verdict
from bot.engine.evaluate import Heading, chosen_figures, in_line_band, result_report
from bot.store.companies import find_company, share_class_ids, suggest_tickers
from bot.store.figures import latest_expectations
from bot.store.tables import Company, EarningsEvent, ReportedFigure, saved_id

QUARTERS = 8
CHART_METRICS = (Metric.EPS, Metric.REVENUE)


@dataclass(frozen=True, slots=True)
class Scale:
    """The unit and currency one metric's panel is drawn in."""

    unit: Unit
    currency: str | None
    basis: Basis


@dataclass(frozen=True, slots=True)
class Bar:
    """One quarter of one metric: the actual, the consensus it was compared with, the surprise."""

    actual: Decimal
    scale: Scale
    consensus: Decimal | None = None
    surprise_percent: Decimal | None = None
    verdict: Verdict | None = None


@dataclass(frozen=True, slots=True)
class Quarter:
    """One reported quarter: its label and a bar per metric that has one."""

    label: str
    reported_at: datetime | None
    bars: dict[str, Bar]


@dataclass(frozen=True, slots=True)
class ChartHistory:
    """The quarters of one company to draw, oldest first (at most QUARTERS)."""

    ticker: str
    company_name: str
    quarters: tuple[Quarter, ...]
    scales: dict[str, Scale]

    def bar_count(self, metric: str) -> int:
        """Return how many bars a metric's panel has: one per actual, one per consensus."""
        return sum(
            (1 if metric in q.bars else 0) + (1 if metric in q.bars and q.bars[metric].consensus is not None else 0)
            for q in self.quarters
        )


@dataclass(frozen=True, slots=True)
class ChartRequest:
    """What /chart found: a history to draw, or why there is none."""

    typed: str
    history: ChartHistory | None = None
    known: bool = True  # False: no such company (suggestions may help)
    suggestions: tuple[str, ...] = ()


def chart_history(session: Session, typed: str, *, quarters: int = QUARTERS) -> ChartRequest:
    """Return the last `quarters` reported quarters of the company a user typed."""
    symbol = normalize_ticker(typed)
    if not is_valid_ticker(symbol):
        return ChartRequest(typed[:20], known=False)
    company = find_company(session, symbol)
    if company is None:
        return ChartRequest(symbol, known=False, suggestions=tuple(c.ticker for c in suggest_tickers(session, symbol)))
    found = [_quarter(session, company, event, rows) for event, rows in _reported_events(session, company, quarters)]
    points = [q for q in found if q is not None]
    if not points:
        return ChartRequest(company.ticker, ChartHistory(company.ticker, company.name, (), {}))
    scales = _scales(points)
    shown = tuple(_on_scale(q, scales) for q in points)
    return ChartRequest(company.ticker, ChartHistory(company.ticker, company.name, shown, scales))


def _reported_events(
    session: Session, company: Company, quarters: int
) -> list[tuple[EarningsEvent, list[ReportedFigure]]]:
    """Return the issuer's newest `quarters` events with reported EPS or revenue, oldest first."""
    events = session.exec(
        select(EarningsEvent).where(col(EarningsEvent.company_id).in_(share_class_ids(session, company)))
    ).all()
    with_figures: list[tuple[datetime, EarningsEvent, list[ReportedFigure]]] = []
    for event in events:
        rows = list(session.exec(select(ReportedFigure).where(
            ReportedFigure.event_id == event.id, col(ReportedFigure.metric).in_([str(m) for m in CHART_METRICS])
        )).all())
        if rows:
            moment = as_utc(event.reported_at) if event.reported_at else min(as_utc(r.reported_at) for r in rows)
            with_figures.append((moment, event, rows))
    with_figures.sort(key=lambda item: (item[0], saved_id(item[1])))
    return [(event, rows) for _moment, event, rows in with_figures[-quarters:]]


def _quarter(session: Session, company: Company, event: EarningsEvent, rows: list[ReportedFigure]) -> Quarter | None:
    figures = [row.to_domain().figure for row in chosen_figures(rows)]
    reported_at = as_utc(event.reported_at) if event.reported_at else min(as_utc(r.reported_at) for r in rows)
    expectations = [r.to_domain() for r in latest_expectations(session, saved_id(event), until=reported_at)]
    heading = Heading(company.ticker, company.name, event.period_label, Timing.UNKNOWN)
    report = result_report(heading, figures, expectations, in_line_band())
    bars: dict[str, Bar] = {}
    for comparison in report.headline:
        if comparison.verdict not in NO_VERDICT:
            bars[comparison.actual.metric] = _bar(comparison)
    for metric in CHART_METRICS:
        if metric not in bars and (alone := _actual_alone(figures, metric)) is not None:
            bars[metric] = Bar(alone.value, _scale(alone))
    if not bars:
        return None
    return Quarter(_short_label(event.period_label), reported_at, bars)


def _bar(comparison: Comparison) -> Bar:
    return Bar(comparison.actual.value, _scale(comparison.actual), comparison.expectation.figure.value,
               comparison.surprise_percent, comparison.verdict)


def _scale(figure: Figure) -> Scale:
    return Scale(figure.unit, figure.currency, figure.basis)


def _actual_alone(figures: list[Figure], metric: str) -> Figure | None:
    """The figure drawn when nothing comparable was expected: adjusted EPS before GAAP."""
    same = [f for f in figures if f.metric == metric]
    return next((f for f in same if f.basis is Basis.ADJUSTED), same[0] if same else None)


def _scales(points: list[Quarter]) -> dict[str, Scale]:
    """Each metric's scale: that of its newest quarter."""
    return {metric: bar.scale for quarter in points for metric, bar in quarter.bars.items()}


def _on_scale(quarter: Quarter, scales: dict[str, Scale]) -> Quarter:
    bars = {metric: bar for metric, bar in quarter.bars.items() if _same_scale(metric, bar.scale, scales[metric])}
    return Quarter(quarter.label, quarter.reported_at, bars)


def _same_scale(metric: str, scale: Scale, panel: Scale) -> bool:
    """Revenue has one basis; EPS drawn adjusted beside GAAP would mislead, so it must match too."""
    same = (scale.unit, scale.currency) == (panel.unit, panel.currency)
    return same and (metric in BASIS_NEUTRAL_METRICS or scale.basis == panel.basis)


def _short_label(label: str) -> str:
    """'Q4 FY2025' -> "Q4 FY25": room for eight labels under a phone-wide chart."""
    parts = label.split()
    if len(parts) == 2 and parts[0][:1] == "Q" and parts[1].removeprefix("FY").isdigit():
        year = parts[1].removeprefix("FY")
        return f"{parts[0]} {'FY' if parts[1].startswith('FY') else ''}{year[-2:]}"
    return label
