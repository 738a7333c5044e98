"""Per-source bookkeeping: successes, errors, backoff, cursors."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine

from bot.errors import SourceDataInvalid, SourceUnavailable
from bot.store.db import session_scope
from bot.store.source_state import (
    backing_off,
    get_source_state,
    record_source_error,
    record_source_success,
    source_due,
)

NOW = datetime(2026, 8, 26, 20, 5, tzinfo=UTC)


def test_errors_count_up_and_a_success_resets_them(db: Engine) -> None:
    with session_scope(db) as session:
        record_source_error(session, "nasdaq", NOW, SourceDataInvalid("nasdaq: not JSON"))
        record_source_error(session, "nasdaq", NOW + timedelta(seconds=15), "timeout")
    with session_scope(db) as session:
        state = get_source_state(session, "nasdaq")
        assert state is not None
        assert (state.failures, state.last_error) == (2, "timeout")
        assert state.last_error_at == NOW + timedelta(seconds=15)
        assert state.last_success_at is None

        record_source_success(session, "nasdaq", NOW + timedelta(seconds=30), cursor="2026-08-26")
    with session_scope(db) as session:
        state = get_source_state(session, "nasdaq")
        assert state is not None
        assert (state.failures, state.cursor) == (0, "2026-08-26")
        assert state.last_success_at == NOW + timedelta(seconds=30)
        assert state.last_error == "timeout"  # kept for /status
        assert get_source_state(session, "finnhub") is None


def test_retry_after_becomes_a_backoff(db: Engine) -> None:
    with session_scope(db) as session:
        record_source_error(
            session, "finnhub", NOW, SourceUnavailable("finnhub: HTTP 429", retry_after=60)
        )
    with session_scope(db) as session:
        state = get_source_state(session, "finnhub")
        assert state is not None and state.backoff_until == NOW + timedelta(seconds=60)
        assert backing_off(session, "finnhub", NOW + timedelta(seconds=59))
        assert not backing_off(session, "finnhub", NOW + timedelta(seconds=60))
        assert not source_due(session, "finnhub", NOW + timedelta(seconds=30), timedelta(0))
        assert source_due(session, "finnhub", NOW + timedelta(seconds=61), timedelta(0))

        record_source_success(session, "finnhub", NOW + timedelta(seconds=61))
        assert not backing_off(session, "finnhub", NOW + timedelta(seconds=61))


def test_an_explicit_backoff_wins(db: Engine) -> None:
    until = NOW + timedelta(minutes=20)
    with session_scope(db) as session:
        record_source_error(
            session, "sec", NOW, SourceUnavailable("sec: HTTP 403", retry_after=600),
            backoff_until=until,
        )
        assert backing_off(session, "sec", NOW + timedelta(minutes=19))


def test_secrets_never_reach_the_stored_error(db: Engine) -> None:
    with session_scope(db) as session:
        state = record_source_error(
            session, "finnhub", NOW,
            "finnhub: HTTP 500 for https://finnhub.io/api/v1/quote?symbol=X&token=abc123secret",
        )
        assert state.last_error is not None
        assert "abc123secret" not in state.last_error
        assert "token=<secret>" in state.last_error
        state = record_source_error(session, "telegram", NOW, TimeoutError())
        assert state.last_error == "TimeoutError"
        state = record_source_error(session, "long", NOW, "x" * 2000)
        assert state.last_error is not None and len(state.last_error) == 500


def test_a_source_never_run_is_due(db: Engine) -> None:
    with session_scope(db) as session:
        assert source_due(session, "sec_tickers", NOW, timedelta(days=1))
        assert not backing_off(session, "sec_tickers", NOW)


def _gaps(db: Engine, key: str, errors: list[BaseException | str], *, rand: float = 0.5) -> list[float]:
    """Record one failure a second after the backoff ran out, each time; return the waits."""
    gaps: list[float] = []
    now = NOW
    with session_scope(db) as session:
        for error in errors:
            state = record_source_error(session, key, now, error, rand=lambda: rand)
            assert state.backoff_until is not None
            gaps.append((state.backoff_until - now).total_seconds())
            assert backing_off(session, key, now)
            now = state.backoff_until + timedelta(seconds=1)  # the backoff is over: try again, fail again
    return gaps


def test_consecutive_failures_back_off_longer_each_time_whatever_the_error(db: Engine) -> None:
    errors: list[BaseException | str] = [
        SourceDataInvalid("sec: the feed is not Atom (HTML)"), SourceDataInvalid("sec: truncated feed"),
        SourceDataInvalid("sec: unexpected HTTP 404"), SourceUnavailable("sec: ConnectError"),
        SourceUnavailable("sec: HTTP 503"), "timeout",
    ]
    gaps = _gaps(db, "sec_edgar", errors)
    assert all(later > earlier for earlier, later in zip(gaps, gaps[1:], strict=False)), gaps
    assert gaps[0] >= 1


def test_the_backoff_is_capped_and_jittered(db: Engine) -> None:
    low = _gaps(db, "nasdaq", ["down"] * 20, rand=0.0)
    high = _gaps(db, "finnhub", ["down"] * 20, rand=1.0)
    assert max(low) <= 15 * 60 and max(high) <= 15 * 60 * 1.25
    assert low[-1] == 15 * 60 and high[-1] > low[-1]


def test_a_success_resets_the_backoff(db: Engine) -> None:
    _gaps(db, "nasdaq", ["down"] * 6)
    with session_scope(db) as session:
        record_source_success(session, "nasdaq", NOW + timedelta(hours=2))
        assert not backing_off(session, "nasdaq", NOW + timedelta(hours=2))
        state = record_source_error(session, "nasdaq", NOW + timedelta(hours=3), "down", rand=lambda: 0.5)
        assert state.backoff_until is not None
        assert state.backoff_until - (NOW + timedelta(hours=3)) < timedelta(seconds=30)


def test_a_longer_retry_after_wins_and_a_sec_block_waits_at_least_fifteen_minutes(db: Engine) -> None:
    with session_scope(db) as session:
        state = record_source_error(session, "finnhub", NOW, SourceUnavailable("429", retry_after=120))
        assert state.backoff_until == NOW + timedelta(seconds=120)
    from bot.sources.edgar.client import BLOCKED_RETRY_AFTER

    with session_scope(db) as session:
        state = record_source_error(session, "sec_edgar", NOW, SourceUnavailable("sec: HTTP 403",
                                                                                 retry_after=BLOCKED_RETRY_AFTER))
        assert state.backoff_until is not None and state.backoff_until >= NOW + timedelta(minutes=15)
