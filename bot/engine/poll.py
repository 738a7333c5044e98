"""Calendar polling: which companies to ask about, how often, and what to do with the answers.

A watched event that is due (report date today or a few days overdue, not yet reported) is polled at
the active interval whatever the hour or weekday (`poll_due`); the full calendar window is refreshed
at the idle interval (`sync_window`). The two run as separate jobs, so a slow window refresh never
delays a due report. A company just watched gets its next report read at once (`sync_companies`):
one or two requests per company and source instead of a day-by-day window. Every stage writes to
the database before the next reads it.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import or_
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import SelectOfScalar

from bot.domain.market_time import new_york_date, utc_now
from bot.engine.date_changes import alert_date_changes
from bot.engine.evaluate import evaluate_event
from bot.engine.ports import Outbox, Transactions
from bot.engine.revisions import alert_revisions
from bot.engine.sync import SyncReport, apply_calendar_rows
from bot.errors import SourceError
from bot.sources.calendar import CalendarRow, CalendarSource
from bot.store.companies import find_company, share_class_ids
from bot.store.source_state import (
    backing_off,
    calendar_asked_key,
    record_source_error,
    record_source_success,
)
from bot.store.tables import Chat, ChatStatus, Company, EarningsEvent, EventState, Watch

logger = logging.getLogger(__name__)

OVERDUE_DAYS = 3
LOOKAHEAD_DAYS = 28
NEXT_REPORT_DAYS = 100  # a quarter and then some: how far ahead a new watch looks for its next report


@dataclass
class PollOutcome:
    """What one poll did."""

    mode: str  # "active", "full" or "idle"
    rows: int = 0
    alerts: int = 0
    errors: list[str] = field(default_factory=list)
    sync: SyncReport | None = None
    answered: int = 0  # sources that answered


def _watched_ids() -> SelectOfScalar[int | None]:
    """The ids of every company an active chat watches, with every listed class of its stock."""
    watched = (
        select(Watch.company_id)
        .join(Chat, col(Chat.id) == col(Watch.chat_pk))
        .where(Chat.status == ChatStatus.ACTIVE)
    )
    watched_ciks = select(Company.cik).where(col(Company.id).in_(watched), col(Company.cik).is_not(None))
    return select(col(Company.id)).where(or_(col(Company.id).in_(watched), col(Company.cik).in_(watched_ciks)))


def watched_companies(session: Session) -> list[Company]:
    """Return the companies at least one active chat watches, and every other class of their
    stock: a calendar may list Alphabet under GOOGL only, for a chat that watches GOOG."""
    return list(session.exec(select(Company).where(col(Company.id).in_(_watched_ids()))).all())


def due_events(session: Session, today: date, *, overdue_days: int = OVERDUE_DAYS) -> list[EarningsEvent]:
    """Return watched, unreported events whose report date is today or a few days past."""
    return list(
        session.exec(
            select(EarningsEvent)
            .where(
                col(EarningsEvent.company_id).in_(_watched_ids()),
                EarningsEvent.state == EventState.SCHEDULED,
                col(EarningsEvent.report_date) <= today,
                col(EarningsEvent.report_date) >= today - timedelta(days=overdue_days),
            )
        ).all()
    )


def with_share_classes(session: Session, tickers: Sequence[str]) -> list[str]:
    """Return the tickers with every other listed class of the same companies, in order."""
    companies = [c for t in tickers if (c := find_company(session, t)) is not None]
    found: dict[str, None] = dict.fromkeys(tickers)
    for company in companies:
        for company_id in share_class_ids(session, company):
            sibling = session.get(Company, company_id)
            if sibling is not None:
                found.setdefault(sibling.ticker)
    return list(found)


class PollPace:
    """When a source is read: every active interval while a watched report is due, every idle
    interval otherwise. Its job runs every active interval and asks `due()` first."""

    def __init__(self, transactions: Transactions, *, active_seconds: float, idle_seconds: float,
                 clock: Callable[[], datetime]) -> None:
        self.transactions = transactions
        self.active_seconds = active_seconds
        self.idle_seconds = idle_seconds
        self.clock = clock
        self._last_poll: datetime | None = None

    def interval(self, session: Session) -> float:
        """Return the polling interval now: active while a watched report is due."""
        return self.active_seconds if due_events(session, new_york_date(self.clock())) else self.idle_seconds

    async def due(self) -> bool:
        """True, and the poll counted as made now, once the interval for the current mode has passed."""
        now = self.clock()
        if self._last_poll is not None and (
                (now - self._last_poll).total_seconds() + 0.5 < await self.transactions.run(self.interval)):
            return False
        self._last_poll = now
        return True


class CalendarPoller:
    """Polls the calendar sources and turns what they say into events, figures and alerts."""

    def __init__(
        self, transactions: Transactions, sources: Sequence[CalendarSource], *, outbox: Outbox,
        clock: Callable[[], datetime] = utc_now, on_alerts: Callable[[], None] | None = None,
    ) -> None:
        self.transactions = transactions
        self.sources = list(sources)
        self.outbox = outbox
        self.clock = clock
        self.on_alerts = on_alerts

    async def _watched(self) -> tuple[list[str], list[date], date]:
        today = new_york_date(self.clock())

        def read(session: Session) -> tuple[list[str], list[date], date]:
            tickers = sorted(c.ticker for c in watched_companies(session))
            due_dates = sorted({e.report_date for e in due_events(session, today) if e.report_date})
            return tickers, due_dates, today

        return await self.transactions.run(read)

    async def poll_due(self) -> PollOutcome:
        """Poll the days of watched reports that are due (today or overdue, not yet reported)."""
        tickers, due_dates, today = await self._watched()
        if not tickers or not due_dates:
            return PollOutcome("idle")
        return await self.poll(due_dates[0], today, tickers, mode="active")

    async def sync_window(self) -> PollOutcome:
        """Refresh the whole calendar window (a few days back, four weeks ahead) for watched companies."""
        tickers, _due, today = await self._watched()
        if not tickers:
            return PollOutcome("idle")
        return await self.poll(today - timedelta(days=OVERDUE_DAYS), today + timedelta(days=LOOKAHEAD_DAYS),
                               tickers, mode="full")

    async def poll(self, start: date, end: date, tickers: list[str], *, mode: str) -> PollOutcome:
        """Fetch [start, end] from every source for these tickers, store it, evaluate what reported."""
        return await self._read(mode, lambda source: source.fetch(start, end, tickers))

    async def sync_companies(self, tickers: Sequence[str]) -> PollOutcome:
        """Read the next report of just these companies from every source (a source with
        `fetch_next` asks per company; any other reads the usual window for them)."""
        if not tickers or not self.sources:
            return PollOutcome("idle")  # nothing asked, or no calendar to ask
        today = new_york_date(self.clock())
        start = today - timedelta(days=OVERDUE_DAYS)
        wanted = await self.transactions.run(with_share_classes, tickers)

        def ask(source: CalendarSource) -> Awaitable[list[CalendarRow]]:
            fetch_next: Callable[..., Awaitable[list[CalendarRow]]] | None = getattr(source, "fetch_next", None)
            if fetch_next is not None:
                return fetch_next(wanted, start, today + timedelta(days=NEXT_REPORT_DAYS))
            return source.fetch(start, today + timedelta(days=LOOKAHEAD_DAYS), wanted)

        outcome = await self._read("companies", ask)
        if outcome.answered:
            await self.transactions.run(self._record_asked, wanted)
        return outcome

    def _record_asked(self, session: Session, tickers: Sequence[str]) -> None:
        """Note when the calendars were last asked about these companies (/next says so)."""
        for ticker in tickers:
            record_source_success(session, calendar_asked_key(ticker), self.clock())

    async def _read(
        self, mode: str, ask: Callable[[CalendarSource], Awaitable[list[CalendarRow]]]
    ) -> PollOutcome:
        outcome = PollOutcome(mode)
        rows: list[CalendarRow] = []
        for source in self.sources:
            if await self.transactions.run(backing_off, source.name, self.clock()):
                continue
            try:
                fetched = await ask(source)
            except SourceError as exc:
                logger.warning("calendar source failed source=%s error=%s", source.name, exc)
                outcome.errors.append(f"{source.name}: {exc}")
                await self.transactions.run(self._record_outcome, source.name, exc)
                continue
            rows.extend(fetched)
            outcome.answered += 1
            await self.transactions.run(self._record_outcome, source.name, None)
        outcome.rows = len(rows)
        outcome.alerts, outcome.sync = await self.transactions.run(self.store, rows)
        if outcome.alerts and self.on_alerts is not None:
            self.on_alerts()  # on the event loop: the sender's wake-up event is not thread-safe
        return outcome

    def _record_outcome(self, session: Session, source: str, error: SourceError | None) -> None:
        if error is None:
            record_source_success(session, source, self.clock())
        else:
            record_source_error(session, source, self.clock(), error=error)

    def store(self, session: Session, rows: list[CalendarRow]) -> tuple[int, SyncReport]:
        """Apply rows and evaluate every event that got new reported figures; return alerts written."""
        now = self.clock()
        alerts = 0
        report = apply_calendar_rows(session, rows, now=now, precedence=[s.name for s in self.sources])
        alerts += alert_date_changes(session, report.date_changes, outbox=self.outbox, now=now)
        alerts += alert_revisions(session, report.consensus_changes, outbox=self.outbox, now=now)
        for event_id in sorted(report.reported_events):
            event = session.get(EarningsEvent, event_id)
            if event is not None and evaluate_event(session, event, outbox=self.outbox, now=now).alert is not None:
                alerts += 1
        return alerts, report
