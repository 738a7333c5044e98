"""Polling: a watched report that is due is asked about at once, whatever the day; otherwise only
the window refresh runs; an unwatched company costs nothing; a failing source backs off."""

from __future__ import annotations

from collections.abc import Collection
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import Engine
from sqlmodel import Session, select

from bot.engine.poll import CalendarPoller
from bot.errors import SourceUnavailable
from bot.sources.calendar import CalendarRow
from bot.store.db import ThreadedTransactions, session_scope
from bot.store.tables import Alert, SourceState
from tests.engine.helpers import OUTBOX, add_company, calendar_row, eps, watching_chat

SATURDAY = datetime(2025, 3, 1, 15, 0, tzinfo=UTC)


class RecordingCalendar:
    """A provider answering from a list, remembering what it was asked."""

    name = "recording"

    def __init__(self, rows: list[CalendarRow]) -> None:
        self.rows = rows
        self.asked: list[tuple[date, date, list[str]]] = []
        self.fail: SourceUnavailable | None = None

    async def fetch(self, start: date, end: date, tickers: Collection[str] | None = None) -> list[CalendarRow]:
        self.asked.append((start, end, sorted(tickers or [])))
        if self.fail:
            raise self.fail
        return [r for r in self.rows if start <= r.report_date <= end]


def poller(db: Engine, source: RecordingCalendar, now: datetime = SATURDAY) -> CalendarPoller:
    return CalendarPoller(ThreadedTransactions(db), [source], outbox=OUTBOX, clock=lambda: now)


async def test_nothing_watched_asks_nothing(db: Engine) -> None:
    with Session(db) as session:
        add_company(session)
        session.commit()
    source = RecordingCalendar([])
    assert (await poller(db, source).sync_window()).mode == "idle"
    assert (await poller(db, source).poll_due()).mode == "idle"
    assert source.asked == []


async def test_a_due_report_is_polled_on_a_saturday_and_alerts(db: Engine) -> None:
    with Session(db) as session:
        add_company(session)
        watching_chat(session, 42, "NVDA")
        session.commit()
    saturday = SATURDAY.date()
    source = RecordingCalendar([calendar_row(day=saturday, estimates=(eps("0.84"),))])
    window = await poller(db, source).sync_window()
    assert window.mode == "full" and window.rows == 1
    assert source.asked[0] == (saturday - timedelta(days=3), saturday + timedelta(days=28), ["NVDA"])
    source.rows.append(calendar_row(day=saturday, source="finnhub", actuals=(eps("0.90"),)))
    due = await poller(db, source).poll_due()
    assert due.mode == "active" and due.alerts == 1
    assert source.asked[-1] == (saturday, saturday, ["NVDA"])
    with session_scope(db) as session:
        assert "NVDA beat" in session.exec(select(Alert)).one().text
    assert (await poller(db, source).poll_due()).mode == "idle"  # reported: no longer due


async def test_a_report_next_week_is_not_due(db: Engine) -> None:
    with Session(db) as session:
        add_company(session)
        watching_chat(session, 42, "NVDA")
        session.commit()
    source = RecordingCalendar([calendar_row(day=SATURDAY.date() + timedelta(days=5))])
    await poller(db, source).sync_window()
    assert (await poller(db, source).poll_due()).mode == "idle"
    assert len(source.asked) == 1


async def test_a_failing_source_is_recorded_and_skipped_while_backing_off(db: Engine) -> None:
    with Session(db) as session:
        add_company(session)
        watching_chat(session, 42, "NVDA")
        session.commit()
    source = RecordingCalendar([])
    source.fail = SourceUnavailable("recording: HTTP 503", retry_after=120)
    outcome = await poller(db, source).sync_window()
    assert outcome.errors == ["recording: recording: HTTP 503"]
    await poller(db, source, SATURDAY + timedelta(seconds=60)).sync_window()
    assert len(source.asked) == 1
    await poller(db, source, SATURDAY + timedelta(seconds=121)).sync_window()
    assert len(source.asked) == 2
    with session_scope(db) as session:
        state = session.exec(select(SourceState).where(SourceState.key == "recording")).one()
        assert state.failures == 2 and "503" in (state.last_error or "")


async def test_consecutive_calendar_failures_back_off_longer_each_time_until_a_success(db: Engine) -> None:
    from dataclasses import dataclass

    from bot.sandbox.calendars import FakeCalendars, nasdaq_row
    from bot.sources.http import RateLimiter, make_client
    from bot.sources.nasdaq import NasdaqCalendar

    @dataclass
    class Clock:
        now: datetime

        def __call__(self) -> datetime:
            return self.now

    with Session(db) as session:
        add_company(session)
        watching_chat(session, 42, "NVDA")
        session.commit()
    clock = Clock(SATURDAY)
    async with FakeCalendars() as fake, make_client() as client:
        fake.fail_with = 503
        poll = CalendarPoller(ThreadedTransactions(db), [NasdaqCalendar(client, fake.url, limiter=RateLimiter(1000))], outbox=OUTBOX, clock=clock)
        gaps: list[float] = []
        for _ in range(6):
            day = clock.now.date()
            assert (await poll.poll(day, day, ["NVDA"], mode="active")).errors
            asked = len(fake.requests)
            assert not (await poll.poll(day, day, ["NVDA"], mode="active")).errors  # backing off
            assert len(fake.requests) == asked
            with session_scope(db) as session:
                state = session.exec(select(SourceState).where(SourceState.key == "nasdaq")).one()
            assert state.backoff_until is not None
            until = state.backoff_until.replace(tzinfo=UTC)
            gaps.append((until - clock.now).total_seconds())
            clock.now = until + timedelta(seconds=1)
        assert all(later > earlier for earlier, later in zip(gaps, gaps[1:], strict=False)), gaps
        fake.fail_with = None
        fake.nasdaq_rows[clock.now.date()] = [nasdaq_row("NVDA", eps="$0.84")]
        day = clock.now.date()
        assert (await poll.poll(day, day, ["NVDA"], mode="active")).rows == 1
    with session_scope(db) as session:
        state = session.exec(select(SourceState).where(SourceState.key == "nasdaq")).one()
    assert (state.failures, state.backoff_until) == (0, None)
