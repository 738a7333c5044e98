"""Per-source bookkeeping: last success, last error, failures in a row, and when to try again.

    if source_due(session, "nasdaq", now, every=timedelta(hours=1)):
        try:
            rows = await nasdaq.fetch(...)
        except SourceError as exc:
            record_source_error(session, "nasdaq", now, exc)   # backs off for exc.retry_after
        else:
            record_source_success(session, "nasdaq", now)

The functions flush but never commit: the caller's session decides.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import Session, select

from bot.domain.market_time import as_utc
from bot.errors import SourceUnavailable
from bot.sources.http import redact
from bot.store.tables import SourceState

_ERROR_LENGTH = 500


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
    backoff_until: datetime | None = None,
) -> SourceState:
    """Note that the source failed at now; back off until backoff_until or the error's retry_after."""
    state = _get_or_create(session, key)
    state.failures += 1
    state.last_error = _describe(error)
    state.last_error_at = now
    if backoff_until is None and isinstance(error, SourceUnavailable) and error.retry_after:
        backoff_until = now + timedelta(seconds=error.retry_after)
    if backoff_until is not None:
        state.backoff_until = backoff_until
    session.add(state)
    session.flush()
    return state


def backing_off(session: Session, key: str, now: datetime) -> bool:
    """Return True while the source must not be asked (its backoff has not run out)."""
    state = get_source_state(session, key)
    return _backing_off(state, now)


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
