"""Releases: a company has filed its results. Record the filing, tell watchers at once, then
store the figures read from the press release and evaluate them."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import update
from sqlmodel import Session, col, select

from bot.domain.figures import Figure
from bot.domain.market_time import NEW_YORK, Timing, as_utc, new_york_date
from bot.domain.periods import fiscal_year_end_month_of, period_key_for
from bot.engine.alerts import FilingAlert, FilingNotice
from bot.engine.evaluate import Evaluation, evaluate_event
from bot.engine.guidance import GuidanceSeen, store_guidance
from bot.engine.ports import Outbox
from bot.engine.race import RELEASE_PREFIX, record_arrival
from bot.engine.sync import fold_event, has_period_key, label_for_company, learn_fiscal_year_end
from bot.store.companies import issuer_watchers, share_class_ids
from bot.store.event_dates import record_event_date
from bot.store.figures import record_reported
from bot.store.tables import (
    Alert,
    AlertKind,
    Company,
    DateStatus,
    EarningsEvent,
    EventState,
    Filing,
    FilingKind,
    FilingState,
)

logger = logging.getLogger(__name__)

SOURCE = "sec"
# A release belongs to the scheduled event reported up to a week before or two days after its date.
EVENT_WINDOW_BEFORE = timedelta(days=7)
EVENT_WINDOW_AFTER = timedelta(days=2)
EVENT_WINDOW_BEFORE_KNOWN_PERIOD = timedelta(days=45)
MARKET_OPEN = time(9, 30)
MARKET_CLOSE = time(16, 0)


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


def record_filing(
    session: Session, company: Company, seen: FilingSeen, *, outbox: Outbox, now: datetime
) -> tuple[Filing, Alert | None]:
    """Store the filing once (by accession) and publish the "has just filed" alert for its watchers."""
    filing = session.exec(select(Filing).where(Filing.accession == seen.accession)).first()
    if filing is None:
        filing = Filing(
            accession=seen.accession, company_id=company.id, cik=seen.cik, form=seen.form,
            items=",".join(seen.items), accepted_at=seen.accepted_at, url=seen.url, kind=seen.kind,
            seen_at=now,
        )
        session.add(filing)
        session.flush()
    is_results = seen.kind == FilingKind.EARNINGS_RELEASE
    notice = FilingNotice(
        ticker=company.ticker, company_name=company.name, form=seen.form, items=seen.items,
        accepted_at=seen.accepted_at, url=seen.url, is_results=is_results, item_titles=seen.item_titles,
    )
    # The event, when a calendar knows it already: the sender folds the notice into its result.
    event = event_for_release(session, company, seen.accepted_at) if is_results else None
    # One filing for every class of the stock: a chat watching GOOG hears of Alphabet's 8-K as one
    # watching GOOGL does, once.
    published = outbox.publish(session, FilingAlert(
        notice=notice, accession=seen.accession, company_id=company.id, filing_id=filing.id,
        event_id=event.id if event else None, audience=tuple(issuer_watchers(session, company)),
    ), now=now)
    return filing, published.alert


def event_for_release(
    session: Session, company: Company, accepted_at: datetime, *, period_end: date | None = None
) -> EarningsEvent | None:
    """Return the issuer's event this release reports, or None when none is stored yet.

    Events belong to the issuer: the event of any listed class of its stock counts (GOOG's release
    is GOOGL's report when only GOOGL's calendar row is known). With the release's period end, the
    event of that fiscal quarter wins, and an event keyed to another quarter is never taken.
    Otherwise the scheduled event nearest the release's date, up to a week before it or two days
    after, is the one.
    """
    classes = share_class_ids(session, company)
    key = period_key_for(period_end) if period_end is not None else None
    if key is not None:
        exact = session.exec(
            select(EarningsEvent).where(
                col(EarningsEvent.company_id).in_(classes), EarningsEvent.fiscal_period == key
            ).order_by(col(EarningsEvent.id))
        ).first()
        if exact is not None:
            return exact
    day = new_york_date(accepted_at)
    # A quarter named by the release may match an event whose estimated date is weeks off.
    before = EVENT_WINDOW_BEFORE if key is None else EVENT_WINDOW_BEFORE_KNOWN_PERIOD
    candidates = [
        e for e in session.exec(
            select(EarningsEvent).where(
                col(EarningsEvent.company_id).in_(classes),
                col(EarningsEvent.report_date) >= day - EVENT_WINDOW_AFTER,
                col(EarningsEvent.report_date) <= day + before,
            ).order_by(col(EarningsEvent.id))
        ).all()
        if key is None or not has_period_key(e)
    ]
    if not candidates:
        return None
    scheduled = [e for e in candidates if e.state != EventState.CANCELLED]
    return min(scheduled or candidates, key=lambda e: abs((e.report_date or day) - day))


def event_from_release(
    session: Session, company: Company, accepted_at: datetime, *, period_end: date | None, now: datetime,
    fiscal_quarter: int | None = None,
) -> EarningsEvent:
    """Return the event this release reports, creating it from the release itself when no calendar
    knows it yet (just watched, a company no calendar lists, an early report).

    The period end gives the fiscal period key, so a calendar row for the same quarter that comes
    later joins this event (bot.engine.sync) instead of making a second one. Without a period end
    the key is the report's date, which a calendar row near that date takes over. The fiscal quarter
    the release names, with its period end, tells the fiscal year end when no calendar has: the
    event a chat's own number made for "Q4 FY2025" is then this report's.
    """
    if period_end is not None and fiscal_quarter and not company.fiscal_year_end_month:
        month = int(period_key_for(period_end)[5:7])
        learn_fiscal_year_end(session, company, fiscal_year_end_month_of(fiscal_quarter, month))
    found = event_for_release(session, company, accepted_at, period_end=period_end)
    day = new_york_date(accepted_at)
    if found is not None and found.report_date is None:
        # an own number's quarter, undated: a calendar's event dated near the release is the report
        # (keyed by its date when its vendor named no quarter); the number moves to it
        dated = event_for_release(session, company, accepted_at)
        if dated is not None and dated.id != found.id and not has_period_key(dated) \
                and fold_event(session, found, into=dated):
            found = dated
    if found is not None:
        if period_end is not None and not has_period_key(found):
            rekey_event(session, found, period_key_for(period_end))
        if found.report_date is None:  # an own number's quarter no calendar dated: the filing does
            found.report_date, found.timing = day, timing_of(accepted_at)
            found.date_status, found.date_source = DateStatus.CONFIRMED, SOURCE
            session.add(found)
            session.flush()
            record_event_date(session, found, source=SOURCE, report_date=day, timing=found.timing, confirmed=True,
                              now=now, report_time=as_utc(accepted_at))
        return found
    key = period_key_for(period_end) if period_end is not None else f"date:{day.isoformat()}"
    label, fiscal_year, quarter = (
        label_for_company(company, key) if period_end is not None else (f"report of {day:%b %d, %Y}", None, None)
    )
    event = EarningsEvent(
        company_id=company.id,  # type: ignore[arg-type]
        fiscal_period=key, fiscal_year=fiscal_year, fiscal_quarter=quarter, period_label=label,
        report_date=day, timing=timing_of(accepted_at), date_status=DateStatus.CONFIRMED,
        date_source=SOURCE, updated_at=now,
    )
    session.add(event)
    session.flush()
    # the company's own filing: its day and moment are confirmed
    record_event_date(session, event, source=SOURCE, report_date=day, timing=event.timing, confirmed=True,
                      now=now, report_time=as_utc(accepted_at))
    logger.info("event created from a release ticker=%s period=%s", company.ticker, key)
    return event


def rekey_event(session: Session, event: EarningsEvent, key: str) -> None:
    """Give an event known only by its date the fiscal period key a release or filing states."""
    taken = session.exec(
        select(EarningsEvent.id).where(
            EarningsEvent.company_id == event.company_id, EarningsEvent.fiscal_period == key
        )
    ).first()
    if taken is None:
        event.fiscal_period = key
        company = session.get(Company, event.company_id)
        if company is not None and not (event.fiscal_year and event.fiscal_quarter):
            event.period_label, event.fiscal_year, event.fiscal_quarter = label_for_company(company, key)
        session.add(event)


def timing_of(accepted_at: datetime) -> Timing:
    """Return when in the exchange's day a release came: before the open, after the close, or during."""
    local = as_utc(accepted_at).astimezone(NEW_YORK).time()
    if local < MARKET_OPEN:
        return Timing.BMO
    if local >= MARKET_CLOSE:
        return Timing.AMC
    return Timing.DMH


def apply_release_figures(
    session: Session, filing: Filing, figures: list[Figure], *, outbox: Outbox, now: datetime,
    period_end: date | None = None, guidance: Sequence[GuidanceSeen] = (), fiscal_quarter: int | None = None,
) -> list[Evaluation]:
    """Store the figures read from a filing's press release on the issuer's event and evaluate them.

    No result is ever lost: when no calendar knows the event, it is created from the release
    (`event_from_release`). Every listed class of the stock shares the one event, and its alert
    reaches the watchers of every class once. Returns the evaluation (none when the filing's
    company is unknown).
    """
    company = session.get(Company, filing.company_id) if filing.company_id else None
    filing.state = FilingState.DONE
    session.add(filing)
    if company is None:
        return []
    event = event_from_release(session, company, filing.accepted_at, period_end=period_end, now=now,
                               fiscal_quarter=fiscal_quarter)
    link_notice_to_event(session, filing, event)
    if event.reported_at is None or as_utc(filing.accepted_at) < as_utc(event.reported_at):
        event.reported_at = filing.accepted_at  # the bar freezes here, whenever figures arrive
        session.add(event)
    for figure in figures:
        record_reported(session, event, figure, source=SOURCE, reported_at=filing.accepted_at,
                        accession=filing.accession)
    store_guidance(session, company, event, guidance, source=SOURCE, now=now)
    session.flush()
    return [evaluate_event(session, event, outbox=outbox, now=now)]


def link_notice_to_event(session: Session, filing: Filing, event: EarningsEvent) -> None:
    """Name the event on the filing's "has just filed" alert, so the sender can fold it into the result."""
    session.exec(
        update(Alert)
        .where(col(Alert.filing_id) == filing.id, col(Alert.kind) == AlertKind.FILING,
               col(Alert.event_id).is_(None))
        .values(event_id=event.id)
    )


def apply_feed_release(
    session: Session, event_id: int, *, source: str, published_at: datetime, url: str, figures: list[Figure],
    outbox: Outbox, now: datetime, guidance: Sequence[GuidanceSeen] = (),
) -> list[Evaluation]:
    """Store the figures a newswire or IR feed's release page gave (source "release:<feed name>") on
    the event the item speaks of, note the feed's arrival, and evaluate: the first source to show a
    result starts the alert, a later one edits it only when it changes what it says."""
    event = session.get(EarningsEvent, event_id)
    if event is None:
        return []
    if event.reported_at is None or as_utc(published_at) < as_utc(event.reported_at):
        event.reported_at = published_at  # the bar freezes at the first public moment
        session.add(event)
    for figure in figures:
        record_reported(session, event, figure, source=RELEASE_PREFIX + source, reported_at=published_at)
    company = session.get(Company, event.company_id)
    if company is not None:
        store_guidance(session, company, event, guidance, source=RELEASE_PREFIX + source, now=now)
    session.flush()
    record_arrival(session, event, source, seen_at=now, published_at=published_at, url=url)
    return [evaluate_event(session, event, outbox=outbox, now=now)]
