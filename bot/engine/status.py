"""Status: what /status shows about the data sources and the outbox, as data (telegram renders it)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func
from sqlmodel import Session, col, select

from bot.engine.feed_state import KEY_PREFIX as FEED_KEY_PREFIX
from bot.engine.feed_state import feed_name, stale_reason
from bot.engine.race import RaceLine, race_stats
from bot.store.source_state import CALENDAR_ASKED_PREFIX
from bot.store.tables import Delivery, DeliveryStatus, SourceState


@dataclass(frozen=True)
class SourceHealth:
    """One source's last success, its last error when that came later, and its backoff."""

    key: str
    last_success_at: datetime | None
    last_error: str | None
    backing_off_until: datetime | None
    stale: str | None = None  # a feed with no new item for 30 days, or failing for an hour: why
    name: str = ""  # as users know it: "NVIDIA IR feed", "GlobeNewswire feed"; else the key


@dataclass(frozen=True)
class StatusReport:
    """The sources' health and how many messages wait to be sent."""

    sources: list[SourceHealth]
    pending_messages: int
    sec_configured: bool
    finnhub_configured: bool
    race: list[RaceLine] = field(default_factory=list)  # which source showed results first, 30 days


def status_report(session: Session, *, now: datetime, sec_configured: bool, finnhub_configured: bool) -> StatusReport:
    """Return each source's last success or error, and the pending deliveries."""
    # a company's "calendars last asked" marks are no source of their own
    states = session.exec(
        select(SourceState).where(~col(SourceState.key).startswith(CALENDAR_ASKED_PREFIX)).order_by(SourceState.key)
    ).all()
    pending = session.exec(
        select(func.count()).select_from(Delivery).where(Delivery.status == DeliveryStatus.PENDING)
    ).one()
    return StatusReport(
        sources=[_health(session, state, now) for state in states], pending_messages=pending,
        sec_configured=sec_configured, finnhub_configured=finnhub_configured, race=race_stats(session, now=now),
    )


RACE_TITLE = "First with results (30 days)"


@dataclass(frozen=True)
class StaleFeed:
    """A feed gone quiet (no new item for 30 days) or failing for an hour, named as users know it."""

    name: str
    reason: str


def race_report(session: Session, *, now: datetime) -> tuple[list[RaceLine], list[StaleFeed]]:
    """The race lines /status shows (each source first n/m, its median lag) and the stale feeds,
    for `earnings-bot status`."""
    states = session.exec(select(SourceState).where(col(SourceState.key).startswith(FEED_KEY_PREFIX))
                          .order_by(SourceState.key)).all()
    stale = [StaleFeed(feed_name(session, state.key), reason) for state in states
             if (reason := stale_reason(session, state, now)) is not None]
    return race_stats(session, now=now), stale


def _health(session: Session, state: SourceState, now: datetime) -> SourceHealth:
    error_is_newer = state.last_error and (
        not state.last_success_at or (state.last_error_at or now) > state.last_success_at
    )
    return SourceHealth(
        key=state.key, name=f"{feed_name(session, state.key)} feed" if state.key.startswith(FEED_KEY_PREFIX) else state.key,
        last_success_at=state.last_success_at,
        last_error=state.last_error if error_is_newer else None,
        backing_off_until=state.backoff_until if state.backoff_until and state.backoff_until > now else None,
        stale=stale_reason(session, state, now),
    )

