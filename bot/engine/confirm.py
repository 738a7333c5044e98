"""Confirm: once the 10-Q / 10-K lands, XBRL companyfacts give the GAAP revenue and diluted EPS of
the quarter. They are stored as reported figures of source "xbrl" (ranked below the press release),
so they fill in what a release did not state and leave a record to check the release against.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from bot.domain.figures import Basis, Figure, Metric, Unit
from bot.domain.periods import period_key_for
from bot.engine.evaluate import evaluate_event
from bot.engine.ports import Outbox, Transactions
from bot.engine.releases import event_for_release, rekey_event
from bot.engine.sync import has_period_key
from bot.errors import SourceError
from bot.sources.edgar.client import EdgarClient
from bot.sources.edgar.companyfacts import QuarterFact, quarterly_eps, quarterly_revenue
from bot.store.figures import record_reported
from bot.store.source_state import backing_off, record_source_error, record_source_success
from bot.store.tables import (
    Company,
    EarningsEvent,
    EventState,
    FilerKind,
    Filing,
    FilingKind,
    FilingState,
    ReportedFigure,
)

logger = logging.getLogger(__name__)

SOURCE = "xbrl"
SOURCE_KEY = "sec_companyfacts"
CONFIRM_FOR = timedelta(days=45)  # 10-Qs are due 40-45 days after the quarter; 10-Ks later still
QUARTER_TO_REPORT = timedelta(days=100)  # a release comes within weeks of its quarter's end


def xbrl_figure(fact: QuarterFact) -> Figure | None:
    """Return the domain figure of an XBRL quarter fact (GAAP revenue, diluted EPS), None for others."""
    if fact.metric == "revenue":
        return Figure(Metric.REVENUE, Basis.GAAP, Unit.MONEY, fact.unit, fact.value)
    if fact.metric == "eps" and fact.unit.endswith("/shares"):
        return Figure(Metric.EPS, Basis.GAAP, Unit.PER_SHARE, fact.unit.split("/")[0], fact.value)
    return None


async def confirm_reported_events(
    transactions: Transactions, client: EdgarClient, *, outbox: Outbox, clock: Callable[[], datetime],
    on_alerts: Callable[[], None] | None = None,
) -> int:
    """Fetch companyfacts for recently reported events not yet confirmed; return figures stored.

    Every database step runs in a transaction of its own, off the event loop.
    """
    now = clock()
    stored = 0
    for event, company in await transactions.run(_events_to_confirm, now):
        try:
            facts = await client.companyfacts(company.cik)  # type: ignore[arg-type]
        except SourceError as exc:
            logger.info("companyfacts unavailable for %s: %s", company.ticker, exc)
            await transactions.run(_record_source, clock(), exc)
            return stored
        await transactions.run(_record_source, clock(), None)
        quarter_facts = quarterly_revenue(facts) + quarterly_eps(facts) if facts else []
        key = event.fiscal_period if has_period_key(event) else _reported_quarter(quarter_facts, event)
        pairs = [(fact, figure) for fact in quarter_facts
                 if period_key_for(fact.end) == key and (figure := xbrl_figure(fact)) is not None]
        if not pairs or key is None:
            continue
        added, alerted = await transactions.run(_store_facts, event, key, pairs, outbox, now)
        stored += added
        if alerted and on_alerts is not None:
            on_alerts()
        logger.info("xbrl confirmed ticker=%s period=%s figures=%d", company.ticker, key, len(pairs))
    return stored


def _events_to_confirm(session: Session, now: datetime) -> list[tuple[EarningsEvent, Company]]:
    """Return recently reported (or filed without figures) events of domestic filers with no XBRL yet."""
    if backing_off(session, SOURCE_KEY, now):
        return []
    confirmed = select(ReportedFigure.event_id).where(ReportedFigure.source == SOURCE)
    events = list(session.exec(
        select(EarningsEvent).where(
            EarningsEvent.state == EventState.REPORTED,
            col(EarningsEvent.reported_at) >= now - CONFIRM_FOR,
            col(EarningsEvent.id).not_in(confirmed),
        )
    ).all())
    events += _filed_without_figures(session, now, {e.id for e in events})
    found = [(event, session.get(Company, event.company_id)) for event in events]
    return [(event, company) for event, company in found
            if company is not None and company.cik is not None and company.filer_kind != FilerKind.FOREIGN]


def _record_source(session: Session, now: datetime, error: SourceError | None) -> None:
    if error is None:
        record_source_success(session, SOURCE_KEY, now)
    else:
        record_source_error(session, SOURCE_KEY, now, error=error)


def _store_facts(
    session: Session, event: EarningsEvent, key: str, pairs: list[tuple[QuarterFact, Figure]], outbox: Outbox,
    now: datetime,
) -> tuple[int, bool]:
    """Store the quarter's facts on the event and evaluate it; return (figures stored, alert written)."""
    row = session.get(EarningsEvent, event.id)
    if row is None:
        return 0, False
    if key != row.fiscal_period:
        rekey_event(session, row, key)  # an event made from a filing that named no quarter
    stored = sum(record_reported(session, row, figure, source=SOURCE, reported_at=now, accession=fact.accn)
                 for fact, figure in pairs)
    evaluation = evaluate_event(session, row, outbox=outbox, now=now)
    return stored, evaluation.alert is not None


def _reported_quarter(facts: list[QuarterFact], event: EarningsEvent) -> str | None:
    """Return the key of the latest quarter that ended before the report, within a filing's delay."""
    if event.report_date is None:
        return None
    ends = [f.end for f in facts if event.report_date - QUARTER_TO_REPORT <= f.end < event.report_date]
    return period_key_for(max(ends)) if ends else None


def _filed_without_figures(session: Session, now: datetime, known: set[int | None]) -> list[EarningsEvent]:
    """Return events whose results were filed but whose release gave no figure to judge by: the
    quarter's XBRL facts are then the first figures they get."""
    filings = session.exec(
        select(Filing).where(
            Filing.kind == FilingKind.EARNINGS_RELEASE, Filing.state == FilingState.DONE,
            col(Filing.accepted_at) >= now - CONFIRM_FOR, col(Filing.company_id).is_not(None),
        )
    ).all()
    found: list[EarningsEvent] = []
    for filing in filings:
        company = session.get(Company, filing.company_id)
        event = event_for_release(session, company, filing.accepted_at) if company else None
        if event is None or event.id in known or event.state != EventState.SCHEDULED:
            continue
        has_xbrl = session.exec(select(ReportedFigure.id).where(
            ReportedFigure.event_id == event.id, ReportedFigure.source == SOURCE)).first()
        if has_xbrl is None:
            known.add(event.id)
            found.append(event)
    return found
