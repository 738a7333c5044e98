"""Evaluate: compare what a company reported with every stored expectation, and write the alert.

One alert per report (dedup key ``result:<event>:<fingerprint of what the alert says>``). When
figures arrive later or are revised so that the alert would read differently, a correction replaces
the text of the messages already sent; a revision users could not see sends nothing.

The bar is frozen at the report: only expectations recorded strictly before the moment the company
reported (its release's acceptance, or the first figures seen) count.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, replace
from datetime import datetime

from sqlmodel import Session, col, select

from bot.delivery.outbox import enqueue_alert, enqueue_correction
from bot.delivery.render import ResultReport, render_result
from bot.domain.figures import (
    BASIS_NEUTRAL_METRICS,
    HEADLINE_METRICS,
    Basis,
    Expectation,
    Figure,
    Unit,
)
from bot.domain.market_time import Timing, as_utc
from bot.domain.verdicts import Comparison, InlineBand, compare, event_verdict, headline_comparisons
from bot.store.companies import issuer_watchers
from bot.store.figures import latest_expectations
from bot.store.tables import (
    Alert,
    AlertKind,
    Company,
    EarningsEvent,
    EventState,
    Filing,
    ReportedFigure,
)

logger = logging.getLogger(__name__)

# Which reported value wins when several sources give the same metric and basis: the company's
# release, then its filed XBRL facts, then vendors' calendars.
SOURCE_PRIORITY = {"sec": 0, "release": 0, "xbrl": 1, "finnhub": 2, "nasdaq": 3}


@dataclass(frozen=True)
class Evaluation:
    """The outcome of one evaluation: the alert written (None when nothing new)."""

    alert: Alert | None
    report: ResultReport | None
    is_correction: bool = False


def _priority(row: ReportedFigure) -> tuple[int, int]:
    return (SOURCE_PRIORITY.get(row.source.split(":")[0], 9), -(row.id or 0))


def _basis_key(metric: str, basis: str) -> str | None:
    """Revenue is one figure whatever basis a vendor labels it with; EPS has two."""
    return None if metric in BASIS_NEUTRAL_METRICS else str(basis)


def chosen_figures(rows: list[ReportedFigure]) -> list[ReportedFigure]:
    """Return one reported figure per (metric, basis, unit, currency), from the most trusted source."""
    best: dict[tuple[str, str | None, str, str | None], ReportedFigure] = {}
    for row in sorted(rows, key=_priority):
        best.setdefault((row.metric, _basis_key(row.metric, row.basis), row.unit, row.currency), row)
    return list(best.values())


def _comparisons(actuals: list[Figure], expectations: list[Expectation], band: InlineBand) -> list[Comparison]:
    result = []
    for expectation in expectations:
        same_metric = [a for a in actuals if a.metric == expectation.figure.metric]
        if not same_metric:
            continue
        comparable = [a for a in same_metric if a.comparable_with(expectation.figure)]
        result.append(compare((comparable or same_metric)[0], expectation, band))
    return result


def _fingerprint(says: str) -> str:
    """Return a short hash of what the alert says, not of raw values."""
    return hashlib.sha256(says.encode()).hexdigest()[:12]


def evaluate_event(
    session: Session, event: EarningsEvent, *, now: datetime, band: InlineBand | None = None
) -> Evaluation:
    """Compare the event's reported figures with its expectations; write a result alert once."""
    rows = session.exec(select(ReportedFigure).where(ReportedFigure.event_id == event.id)).all()
    figures = chosen_figures(list(rows))
    if not any(f.metric in HEADLINE_METRICS for f in figures):
        return Evaluation(None, None)
    company = session.get(Company, event.company_id)
    assert company is not None
    reported_at = min([as_utc(f.reported_at) for f in figures]
                      + ([as_utc(event.reported_at)] if event.reported_at else []))
    if event.state != EventState.REPORTED or event.reported_at is None or as_utc(event.reported_at) != reported_at:
        event.state = EventState.REPORTED
        event.reported_at = reported_at
        event.updated_at = now
        session.add(event)
    expectation_rows = [
        r for r in latest_expectations(session, event.id, until=reported_at)  # type: ignore[arg-type]
        if not r.source.startswith("chat:")
    ]
    for row in expectation_rows:
        if row.frozen_at is None:
            row.frozen_at = now
            session.add(row)
    actuals = [f.to_domain().figure for f in figures]
    comparisons = _comparisons(actuals, [r.to_domain() for r in expectation_rows], band or InlineBand())
    headline = headline_comparisons(comparisons)
    compared = {id(c) for c in headline}
    others = [c for c in comparisons if id(c) not in compared]
    shown = {(c.actual.metric, _basis_key(c.actual.metric, c.actual.basis)) for c in comparisons}
    uncompared = [a for a in actuals if (a.metric, _basis_key(a.metric, a.basis)) not in shown]
    uncompared += _other_basis_eps(actuals, comparisons)
    filing = _source_filing(session, figures)
    existing = _result_alerts(session, event.id)  # type: ignore[arg-type]
    report = ResultReport(
        ticker=company.ticker,
        company_name=company.name,
        period_label=event.period_label,
        timing=Timing(event.timing) if event.timing in Timing._value2member_map_ else Timing.UNKNOWN,
        verdict=event_verdict(headline),
        headline=headline,
        others=others,
        reported=actuals,
        uncompared=_dedupe(uncompared),
        source_url=filing.url if filing else None,
        source_label=f"{filing.form} on SEC EDGAR" if filing else None,
        reported_at=filing.accepted_at if filing else None,
        revision=len(existing) + 1,
    )
    says = render_result(replace(report, revision=1))  # the text without "(updated)"
    fingerprint = _fingerprint(says)
    if existing and _says_the_same(existing[-1], says, fingerprint):
        return Evaluation(None, report)
    text = render_result(report)
    if existing:
        # Numbered: figures that go back to what an earlier alert said are news again.
        alert = enqueue_correction(
            session, original_dedup_key=existing[0].dedup_key,
            dedup_key=f"result:{event.id}:{fingerprint}:{report.revision}", text=text, now=now,
        )
        logger.info("result revised ticker=%s event=%s revision=%d", company.ticker, event.id, report.revision)
        return Evaluation(alert, report, is_correction=True)
    alert = enqueue_alert(
        session, kind=AlertKind.RESULT, dedup_key=f"result:{event.id}:{fingerprint}", text=text, company_id=company.id,
        event_id=event.id, filing_id=filing.id if filing else None, chat_pks=issuer_watchers(session, company),
        now=now,
    )
    logger.info("result alert ticker=%s event=%s verdict=%s", company.ticker, event.id, report.verdict)
    return Evaluation(alert, report)


def _says_the_same(latest: Alert, says: str, fingerprint: str) -> bool:
    """Does the latest alert already say this (by its key, or by its text for older keys)?"""
    if latest.dedup_key.split(":")[2] == fingerprint:
        return True
    return latest.text.replace(" (updated)", "", 1) == says


def _other_basis_eps(actuals: list[Figure], comparisons: list[Comparison]) -> list[Figure]:
    """Return EPS figures on a basis no comparison used, so GAAP EPS still shows beside adjusted."""
    used = {(c.actual.metric, c.actual.basis) for c in comparisons}
    return [a for a in actuals if a.unit in (Unit.PER_SHARE, Unit.PER_ADS) and (a.metric, a.basis) not in used
            and a.basis in (Basis.GAAP, Basis.ADJUSTED)]


def _dedupe(figures: list[Figure]) -> list[Figure]:
    seen: dict[tuple[str, str | None, str, str | None], Figure] = {}
    for f in figures:
        seen.setdefault((f.metric, _basis_key(f.metric, f.basis), f.unit, f.currency), f)
    return list(seen.values())


def _source_filing(session: Session, figures: list[ReportedFigure]) -> Filing | None:
    accessions = [f.accession for f in figures if f.accession]
    if not accessions:
        return None
    return session.exec(select(Filing).where(Filing.accession == accessions[0])).first()


def _result_alerts(session: Session, event_id: int) -> list[Alert]:
    return list(
        session.exec(
            select(Alert)
            .where(Alert.event_id == event_id, col(Alert.kind).in_([AlertKind.RESULT, AlertKind.CORRECTION]))
            .order_by(col(Alert.id))
        ).all()
    )
