"""Health: the facts /healthz and `earnings-bot status` show, and whether they are healthy.

Unhealthy when the sender lags (the oldest due delivery waits over SENDER_LAG_LIMIT), or when
companies are watched and no poll has succeeded for STALE_POLLS x the idle interval. An
unreachable database is the caller's to report (`unreachable`): no session can be had then.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from bot.domain.market_time import as_utc
from bot.engine.status import SourceHealth, status_report
from bot.engine.universe import SOURCE_KEY as COMPANY_LIST_KEY
from bot.store.tables import Delivery, DeliveryStatus, Watch

SENDER_LAG_LIMIT = timedelta(minutes=5)
STALE_POLLS = 3  # no poll succeeded for this many idle intervals: unhealthy
ROLE = "leader"  # the one process that polls and schedules; the others say "standby"


@dataclass(frozen=True)
class HealthReport:
    """What a health check shows; `problems` empty means healthy."""

    checked_at: datetime
    database_reachable: bool
    sources: list[SourceHealth] = field(default_factory=list)
    sender_lag_seconds: float = 0.0
    last_poll_at: datetime | None = None
    watched_companies: int = 0
    problems: list[str] = field(default_factory=list)
    role: str | None = ROLE  # this process's, when a running bot asks
    leader: str | None = None  # who leads ("host:pid"), when `earnings-bot status` asks

    @property
    def healthy(self) -> bool:
        return not self.problems

    def as_json(self) -> dict[str, Any]:
        """Return the report as JSON-ready values (times in ISO 8601, UTC)."""
        return {
            "healthy": self.healthy, "role": self.role, "checked_at": _iso(self.checked_at),
            "database": {"reachable": self.database_reachable},
            "sources": {s.key: {"last_success_at": _iso(s.last_success_at), "last_error": s.last_error,
                                "backing_off_until": _iso(s.backing_off_until)} for s in self.sources},
            "sender_lag_seconds": round(self.sender_lag_seconds, 3),
            "last_poll_at": _iso(self.last_poll_at), "watched_companies": self.watched_companies,
            "problems": list(self.problems),
        }


def health_report(
    session: Session, *, now: datetime, poll_idle_seconds: float, running_since: datetime | None = None,
    role: str | None = ROLE,
) -> HealthReport:
    """Return the health facts at `now`. `running_since` (the process's start, when a running bot
    asks) gives a fresh start STALE_POLLS idle intervals before missing polls count."""
    sources = status_report(session, now=now, sec_configured=True, finnhub_configured=True).sources
    lag = sender_lag(session, now)
    watched = session.exec(select(func.count(func.distinct(Watch.company_id)))).one()
    polls = [as_utc(s.last_success_at) for s in sources if s.last_success_at and s.key != COMPANY_LIST_KEY]
    last_poll = max(polls, default=None)
    problems = []
    if lag > SENDER_LAG_LIMIT:
        problems.append(f"sender lag {lag.total_seconds():.0f} s: the oldest due message waits over "
                        f"{SENDER_LAG_LIMIT.total_seconds() / 60:.0f} minutes")
    stale_after = timedelta(seconds=STALE_POLLS * poll_idle_seconds)
    reference = max([t for t in (last_poll, running_since) if t is not None], key=as_utc, default=None)
    if watched and (reference is None or as_utc(now) - as_utc(reference) > stale_after):
        since = f"since {_iso(last_poll)}" if last_poll else "ever"
        problems.append(f"no poll succeeded {since} (limit {stale_after.total_seconds():.0f} s, "
                        f"{STALE_POLLS} x POLL_IDLE_SECONDS)")
    return HealthReport(checked_at=now, database_reachable=True, sources=sources,
                        sender_lag_seconds=lag.total_seconds(), last_poll_at=last_poll,
                        watched_companies=watched, problems=problems, role=role)


def sender_lag(session: Session, now: datetime) -> timedelta:
    """Return the age of the oldest due delivery (pending, its attempt time passed); zero if none."""
    oldest = session.exec(
        select(func.min(Delivery.next_attempt_at)).where(
            Delivery.status == DeliveryStatus.PENDING, col(Delivery.next_attempt_at) <= now)
    ).one()
    if oldest is None:
        return timedelta(0)
    return max(as_utc(now) - as_utc(oldest), timedelta(0))


def unreachable(now: datetime, reason: str, role: str | None = ROLE) -> HealthReport:
    """Return the report of a database that could not be reached (reason: one line, no secrets)."""
    return HealthReport(checked_at=now, database_reachable=False,
                        problems=[f"database unreachable: {reason}"], role=role)


def _iso(moment: datetime | None) -> str | None:
    return as_utc(moment).isoformat() if moment is not None else None
