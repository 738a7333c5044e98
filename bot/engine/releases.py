"""Releases: a company has filed its results. Record the filing, tell watchers at once, then
store the figures read from the press release and evaluate them."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from bot.delivery.outbox import enqueue_alert
from bot.delivery.render import FilingNotice, render_filing
from bot.domain.figures import Figure
from bot.domain.market_time import as_utc, new_york_date
from bot.engine.evaluate import Evaluation, evaluate_event
from bot.engine.figures_store import record_reported
from bot.store.companies import share_class_ids
from bot.store.tables import (
    Alert,
    AlertKind,
    Company,
    EarningsEvent,
    EventState,
    Filing,
    FilingKind,
    FilingState,
    Watch,
)

logger = logging.getLogger(__name__)

SOURCE = "sec"
# A release belongs to the scheduled event reported up to a week before or two days after its date.
EVENT_WINDOW_BEFORE = timedelta(days=7)
EVENT_WINDOW_AFTER = timedelta(days=2)


@dataclass(frozen=True)
class FilingSeen:
    """A filing as a detector reports it."""

    accession: str
    cik: int
    form: str
    items: tuple[str, ...]
    accepted_at: datetime
    url: str
    kind: FilingKind
    item_titles: tuple[str, ...] = ()


def record_filing(session: Session, company: Company, seen: FilingSeen, *, now: datetime) -> tuple[Filing, Alert | None]:
    """Store the filing once (by accession) and write the "has just filed" alert for its watchers."""
    filing = session.exec(select(Filing).where(Filing.accession == seen.accession)).first()
    if filing is None:
        filing = Filing(
            accession=seen.accession, company_id=company.id, cik=seen.cik, form=seen.form,
            items=",".join(seen.items), accepted_at=seen.accepted_at, url=seen.url, kind=seen.kind,
            seen_at=now,
        )
        session.add(filing)
        session.flush()
    notice = FilingNotice(
        ticker=company.ticker, company_name=company.name, form=seen.form, items=seen.items,
        accepted_at=seen.accepted_at, url=seen.url, is_results=seen.kind == FilingKind.EARNINGS_RELEASE,
        item_titles=seen.item_titles,
    )
    kind = AlertKind.FILING if seen.kind == FilingKind.EARNINGS_RELEASE else AlertKind.ANNOUNCEMENT
    # One filing for every class of the stock: a chat watching GOOG hears of Alphabet's 8-K as one
    # watching GOOGL does, once.
    watchers = session.exec(
        select(Watch.chat_pk).where(col(Watch.company_id).in_(share_class_ids(session, company)))
    ).all()
    alert = enqueue_alert(
        session, kind=kind, dedup_key=f"filing:{seen.accession}", text=render_filing(notice),
        company_id=company.id, filing_id=filing.id, chat_pks=watchers, now=now,
    )
    if alert is not None:
        logger.info("filing alert ticker=%s accession=%s form=%s", company.ticker, seen.accession, seen.form)
    return filing, alert


def event_for_release(session: Session, company: Company, accepted_at: datetime) -> EarningsEvent | None:
    """Return the company's event this release reports: the scheduled one nearest its date."""
    day = new_york_date(accepted_at)
    candidates = session.exec(
        select(EarningsEvent).where(
            EarningsEvent.company_id == company.id,
            col(EarningsEvent.report_date) >= day - EVENT_WINDOW_AFTER,
            col(EarningsEvent.report_date) <= day + EVENT_WINDOW_BEFORE,
        )
    ).all()
    if not candidates:
        return None
    scheduled = [e for e in candidates if e.state != EventState.CANCELLED]
    return min(scheduled or candidates, key=lambda e: abs((e.report_date or day) - day))


def apply_release_figures(
    session: Session, filing: Filing, figures: list[Figure], *, now: datetime
) -> list[Evaluation]:
    """Store the figures read from a filing's press release on its event and evaluate them.

    Every listed class of the filer's stock has its own event (GOOG and GOOGL): each gets the
    figures, so each one's watchers get the verdict. Returns one evaluation per event found.
    """
    company = session.get(Company, filing.company_id) if filing.company_id else None
    filing.state = FilingState.DONE
    session.add(filing)
    if company is None:
        return []
    evaluations: list[Evaluation] = []
    for company_id in share_class_ids(session, company):
        share_class = session.get(Company, company_id)
        event = event_for_release(session, share_class, filing.accepted_at) if share_class else None
        if event is None:
            continue
        if event.reported_at is None or as_utc(filing.accepted_at) < as_utc(event.reported_at):
            event.reported_at = filing.accepted_at  # the bar freezes here, whenever figures arrive
            session.add(event)
        for figure in figures:
            record_reported(session, event, figure, source=SOURCE, reported_at=filing.accepted_at,
                            accession=filing.accession)
        session.flush()
        evaluations.append(evaluate_event(session, event, now=now))
    if not evaluations:
        logger.info("no scheduled event for filing accession=%s", filing.accession)
    return evaluations
