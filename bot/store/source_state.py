"""Per-source bookkeeping: last success, last error, failures in a row, and when to try again.

    if source_due(session, "nasdaq", now, every=timedelta(hours=1)):
        try:
            rows = await nasdaq.fetch(...)
        except SourceError as exc:
            record_source_error(session, "nasdaq", now, exc)   # backs off (see backoff_seconds)
        else:
            record_source_success(session, "nasdaq", now)

Every failure backs off, whatever the error: consecutive failures wait exponentially longer
(BACKOFF_BASE doubling, capped at BACKOFF_CAP, with up to +25% jitter) until a success resets the
count; a retry_after the server gave (Retry-After, SEC's 403 block) is honoured when it is longer.

The functions flush but never commit: the caller's session decides.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlmodel import Session, select

from bot.domain.market_time import as_utc
from bot.errors import SourceUnavailable
from bot.redaction import redact
from bot.store.tables import SourceState

_ERROR_LENGTH = 500
BACKOFF_BASE = 5.0  # seconds after the first failure
BACKOFF_CAP = 900.0  # at most 15 minutes between two tries (longer only when the server says so)
BACKOFF_JITTER = 0.25  # up to 25% more, so that several bots do not retry in step


def backoff_seconds(
    failures: int, *, retry_after: float | None = None, base: float = BACKOFF_BASE, cap: float = BACKOFF_CAP,
    rand: Callable[[], float] = random.random,
) -> float:
    """Return how long to wait after the `failures`-th failure in a row.

    base doubles with each failure up to cap, plus up to 25% jitter (never less, so each wait is
    longer than the one before until the cap); the server's retry_after wins when it is longer.
    """
    exponent = min(max(failures, 1) - 1, 30)
    delay = min(cap, base * 2**exponent) * (1 + BACKOFF_JITTER * rand())
    return max(delay, retry_after or 0.0)


CALENDAR_ASKED_PREFIX = "calendar-asked:"


def calendar_asked_key(ticker: str) -> str:
    """The bookkeeping key of when the calendars were last asked about one company's next report."""
    return CALENDAR_ASKED_PREFIX + ticker


def get_source_state(session: Session, key: str) -> SourceState | None:
    """Return the bookkeeping row of a source, if it ever ran."""
    return session.exec(select(SourceState).where(SourceState.key == key)).first()


def record_source_success(
    session: Session, key: str, now: datetime, *, cursor: str | None = None
) -> SourceState:
    """Note that the source answered at now: failures reset, backoff lifted, cursor kept if given."""
    state = _get_or_create(session, key)
    state.last_success_at = now
    state.failures = 0
    state.backoff_until = None
    if cursor is not None:
        state.cursor = cursor
    session.add(state)
    session.flush()
    return state


def record_source_error(
    session: Session, key: str, now: datetime, error: str | BaseException | None = None,
    backoff_until: datetime | None = None, *, base: float = BACKOFF_BASE, cap: float = BACKOFF_CAP,
    rand: Callable[[], float] = random.random,
) -> SourceState:
    """Note that the source failed at now and back off (see backoff_seconds); an explicit
    backoff_until is kept when it is later."""
    state = _get_or_create(session, key)
    state.failures += 1
    state.last_error = _describe(error)
    state.last_error_at = now
    retry_after = error.retry_after if isinstance(error, SourceUnavailable) else None
    until = now + timedelta(seconds=backoff_seconds(state.failures, retry_after=retry_after, base=base,
                                                    cap=cap, rand=rand))
    if backoff_until is not None:
        until = max(until, backoff_until)
    state.backoff_until = until
    session.add(state)
    session.flush()
    return state


def backing_off(session: Session, key: str, now: datetime) -> bool:
    """Return True while the source must not be asked (its backoff has not run out)."""
    state = get_source_state(session, key)
    return _backing_off(state, now)


def seconds_until_retry(session: Session, key: str, now: datetime) -> float:
    """Return the seconds until the source may be asked again (0 when it may be now)."""
    state = get_source_state(session, key)
    if state is None or state.backoff_until is None or not _backing_off(state, now):
        return 0.0
    return (as_utc(state.backoff_until) - as_utc(now)).total_seconds()


def source_due(session: Session, key: str, now: datetime, every: timedelta) -> bool:
    """Return True when the source has not succeeded within `every` and is not backing off."""
    state = get_source_state(session, key)
    if state is None:
        return True
    if _backing_off(state, now):
        return False
    if state.last_success_at is None:
        return True
    return as_utc(now) - as_utc(state.last_success_at) >= every


def _backing_off(state: SourceState | None, now: datetime) -> bool:
    return bool(state and state.backoff_until and as_utc(now) < as_utc(state.backoff_until))


def _get_or_create(session: Session, key: str) -> SourceState:
    state = get_source_state(session, key)
    if state is None:
        state = SourceState(key=key)
    return state


def _describe(error: str | BaseException | None) -> str | None:
    if error is None:
        return None
    text = str(error).strip() if not isinstance(error, str) else error.strip()
    if isinstance(error, BaseException) and not text:
        text = type(error).__name__
    return redact(text)[:_ERROR_LENGTH] or None
