"""Growth, streak and outlook of a result: what the report's figures say against the company's past
quarters and against the consensus for the quarter it guides.

    track = track_record(session, company, event, actuals, headline, stated_growth, band)

Growth is year over year only: the growth the release states for a headline figure, else the same
fiscal quarter a year earlier from the stored history (`result_history`), in the same terms. The
streak counts the headline EPS verdicts of consecutive quarters, this one first, over the last
eight; a quarter with no known verdict ends it. The outlook is every guidance statement the report
made, each compared with the consensus for the quarter it names when one is stored (a full-year
plan never with a quarter's consensus).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from bot.domain.comparability import Scope, Span
from bot.domain.figures import Basis, Expectation, Figure, Metric, Unit
from bot.domain.kpis import KPI_PREFIX, growth_metric_of, segment_growth
from bot.domain.outlook import Outlook, OutlookComparison, actual_metric_of, compare_outlook
from bot.domain.periods import FiscalPeriod, period_key
from bot.domain.track_record import (
    GROWTH_PREFIX,
    HISTORY_QUARTERS,
    Growth,
    Streak,
    streak,
    year_over_year,
)
from bot.domain.verdicts import Comparison, InlineBand, Verdict, compare
from bot.store.companies import share_class_ids
from bot.store.figures import latest_expectations
from bot.store.history import company_history, event_guidance, record_history
from bot.store.tables import Company, EarningsEvent, EventState, GuidanceStatement, ResultHistory

NEXT_QUARTER_WITHIN = timedelta(days=140)  # a quarter and a few weeks: the next report after this one
BOT_SOURCE = "bot"  # the results the bot judged itself
# Which source's record of a past quarter wins: the bot's own judgement, then the vendors', then XBRL.
HISTORY_PRIORITY = {BOT_SOURCE: 0, "nasdaq": 1, "finnhub": 2, "xbrl": 3}


@dataclass(frozen=True, slots=True)
class TrackRecord:
    growth: tuple[Growth, ...] = ()
    streak: Streak | None = None
    outlook: tuple[OutlookComparison, ...] = ()


def shifted_key(key: str, months: int) -> str | None:
    """Return the quarter key `months` later (negative: earlier); None for a key that is not a month."""
    try:
        year, month = (int(part) for part in key.split("-"))
    except ValueError:
        return None
    index = year * 12 + (month - 1) + months
    return period_key(index // 12, index % 12 + 1)


def track_record(
    session: Session, company: Company, event: EarningsEvent, actuals: Sequence[Figure],
    headline: Sequence[Comparison], stated: Sequence[Figure], guided: Sequence[Figure], band: InlineBand,
) -> TrackRecord:
    """Return the report's growth, streak and outlook (see the module's docstring)."""
    classes = share_class_ids(session, company)
    return TrackRecord(
        growth=tuple(_growth(session, classes, event, actuals, headline, stated)),
        streak=_streak(session, classes, event, headline, band),
        outlook=tuple(_outlook(session, classes, event, guided)),
    )


def _headline_actuals(actuals: Sequence[Figure], headline: Sequence[Comparison]) -> list[Figure]:
    """The revenue and EPS figures the alert leads with: the compared ones, else the reported ones."""
    shown = [c.actual for c in headline]
    for metric in (Metric.EPS, Metric.REVENUE):
        if not any(f.metric == metric for f in shown):
            found = [a for a in actuals if a.metric == metric]
            adjusted = [a for a in found if a.basis is Basis.ADJUSTED]
            if adjusted or found:
                shown.append((adjusted or found)[0])
    return sorted(shown, key=lambda f: 0 if f.metric == Metric.REVENUE else 1)


def _growth(
    session: Session, classes: list[int], event: EarningsEvent, actuals: Sequence[Figure],
    headline: Sequence[Comparison], stated: Sequence[Figure],
) -> list[Growth]:
    year_ago = shifted_key(event.fiscal_period, -12)
    found: list[Growth] = []
    for actual in _headline_actuals(actuals, headline):
        said = next((s for s in stated if s.metric == GROWTH_PREFIX + actual.metric and s.basis == actual.basis), None)
        if said is not None:
            found.append(Growth(actual.metric, actual.basis, said.value, stated=True))
            continue
        if year_ago is None:
            continue
        rows = [r for r in company_history(session, classes, actual.metric) if r.fiscal_period == year_ago]
        for row in sorted(rows, key=_row_priority):
            percent = year_over_year(actual, row.actual_figure())
            if percent is not None:
                found.append(Growth(actual.metric, actual.basis, percent, stated=False))
                break
    return found


def kpi_growth(session: Session, company: Company, event: EarningsEvent, actuals: Sequence[Figure],
               present: set[str]) -> list[Figure]:
    """Return the growth KPIs the release did not state, each computed from its segment's amount and
    the stored amount of the same fiscal quarter a year earlier ('kpi:cloud_growth' from
    'kpi:cloud_revenue'): never from the quarter before. `present` holds every metric the event's
    sources gave (disputed ones too): a growth any source stated is never replaced by a computed one."""
    year_ago = shifted_key(event.fiscal_period, -12)
    if year_ago is None:
        return []
    classes = share_class_ids(session, company)
    found: list[Figure] = []
    for actual in actuals:
        metric = growth_metric_of(actual.metric)
        if metric is None or metric in present or any(f.metric == metric for f in found):
            continue
        rows = [r for r in company_history(session, classes, actual.metric) if r.fiscal_period == year_ago]
        for row in sorted(rows, key=_row_priority):
            figure = segment_growth(actual, row.actual_figure())
            if figure is not None:
                found.append(figure)
                break
    return found


def _row_priority(row: ResultHistory) -> tuple[int, int]:
    return HISTORY_PRIORITY.get(row.source, 9), row.id or 0


def past_verdicts(session: Session, classes: list[int], before_key: str, band: InlineBand,
                  quarters: int = HISTORY_QUARTERS - 1) -> list[Verdict | None]:
    """Return the EPS verdicts of the quarters before `before_key`, newest first (None: unknown)."""
    rows = [r for r in company_history(session, classes, Metric.EPS) if r.estimate is not None]
    verdicts: list[Verdict | None] = []
    key: str | None = before_key
    for _ in range(quarters):
        key = shifted_key(key, -3) if key else None
        if key is None:
            break
        quarter = sorted((r for r in rows if r.fiscal_period == key), key=_row_priority)
        verdicts.append(_verdict(quarter[0], band) if quarter else None)
    return verdicts


def _verdict(row: ResultHistory, band: InlineBand) -> Verdict | None:
    assert row.estimate is not None
    actual = row.actual_figure()
    expected = Figure(actual.metric, actual.basis, actual.unit, actual.currency, row.estimate)
    verdict = compare(actual, Expectation(expected, row.source, row.recorded_at), band).verdict
    return verdict if verdict in (Verdict.BEAT, Verdict.MISS, Verdict.IN_LINE) else None


def _streak(session: Session, classes: list[int], event: EarningsEvent, headline: Sequence[Comparison],
            band: InlineBand) -> Streak | None:
    eps = next((c for c in headline if c.actual.metric == Metric.EPS), None)
    if eps is None or shifted_key(event.fiscal_period, 0) is None:
        return None
    return streak([eps.verdict, *past_verdicts(session, classes, event.fiscal_period, band)])


def _outlook(session: Session, classes: list[int], event: EarningsEvent, guided: Sequence[Figure],
             ) -> list[OutlookComparison]:
    assert event.id is not None
    next_event = next_quarter_event(session, classes, event)
    consensus = latest_expectations(session, next_event.id) if next_event and next_event.id else []
    statements = event_guidance(session, event.id)
    outlooks = [Outlook(row.figure(), _scope(row), row.low, row.high, row.period_label) for row in statements]
    # a guided figure stored without its statement (a source that gives the value alone): the next quarter
    outlooks += [Outlook(f, Scope(Span.QUARTER), period_label=next_event.period_label if next_event else "")
                 for f in guided if f.metric not in {row.metric for row in statements}]
    result = []
    for outlook in outlooks:
        wanted = actual_metric_of(outlook.figure.metric)
        candidates = sorted((c.to_domain() for c in consensus if c.metric == wanted),
                            key=lambda e: (-(e.estimates or 0), -e.as_of.timestamp()))
        best = None
        for candidate in candidates:
            compared = compare_outlook(outlook, candidate, Scope(Span.QUARTER))
            if compared.percent is not None:
                best = compared
                break
        result.append(best or compare_outlook(outlook, candidates[0] if candidates else None, Scope(Span.QUARTER)))
    return result


def next_quarter_event(session: Session, classes: list[int], event: EarningsEvent) -> EarningsEvent | None:
    """Return the issuer's event of the quarter after this one: by its quarter key, by its fiscal
    quarter, else the next scheduled report within NEXT_QUARTER_WITHIN of this one's date."""
    in_issuer = col(EarningsEvent.company_id).in_(classes)
    key = shifted_key(event.fiscal_period, 3)
    if key is not None:
        found = session.exec(select(EarningsEvent).where(in_issuer, EarningsEvent.fiscal_period == key)).first()
        if found is not None:
            return found
    if event.fiscal_year and event.fiscal_quarter:
        year, quarter = next_fiscal_quarter(event.fiscal_year, event.fiscal_quarter)
        found = session.exec(select(EarningsEvent).where(
            in_issuer, EarningsEvent.fiscal_year == year, EarningsEvent.fiscal_quarter == quarter)).first()
        if found is not None:
            return found
    if event.report_date is None:
        return None
    return session.exec(select(EarningsEvent).where(
        in_issuer, EarningsEvent.state == EventState.SCHEDULED, col(EarningsEvent.id) != event.id,
        col(EarningsEvent.report_date) > event.report_date,
        col(EarningsEvent.report_date) <= event.report_date + NEXT_QUARTER_WITHIN,
    ).order_by(col(EarningsEvent.report_date))).first()


def next_fiscal_quarter(fiscal_year: int, quarter: int) -> tuple[int, int]:
    """Return the fiscal (year, quarter) after this one: Q4 FY2025 -> Q1 FY2026."""
    return (fiscal_year + 1, 1) if quarter == 4 else (fiscal_year, quarter + 1)


def _scope(row: GuidanceStatement) -> Scope:
    if row.span == Span.YEAR and row.period.startswith("FY"):
        return Scope(Span.YEAR, FiscalPeriod(int(row.period[2:])))
    return Scope(Span(row.span))


def record_judged_result(session: Session, company: Company, event: EarningsEvent, actuals: Sequence[Figure],
                         headline: Sequence[Comparison], now: datetime) -> None:
    """Keep this report in the history: each headline comparison (actual and the consensus it was
    judged against), the reported revenue and EPS nothing was expected of, and the segment amounts
    and counts of its KPIs (for their growth a year later)."""
    if shifted_key(event.fiscal_period, 0) is None:
        return
    assert company.id is not None
    compared = {(c.actual.metric, c.actual.basis) for c in headline}
    for comparison in headline:
        if comparison.verdict in (Verdict.BEAT, Verdict.MISS, Verdict.IN_LINE):
            record_history(session, company.id, event.fiscal_period, comparison.actual, source=BOT_SOURCE, now=now,
                           estimate=comparison.expectation.figure.value)
    for actual in actuals:
        if actual.metric in (Metric.EPS, Metric.REVENUE) and (actual.metric, actual.basis) not in compared:
            record_history(session, company.id, event.fiscal_period, actual, source=BOT_SOURCE, now=now)
        elif actual.metric.startswith(KPI_PREFIX) and actual.unit in (Unit.MONEY, Unit.COUNT):
            record_history(session, company.id, event.fiscal_period, actual, source=BOT_SOURCE, now=now)
