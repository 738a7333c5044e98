"""Estimate-revision alerts: tell the chats that opted in when a watched report's consensus moves.

A move counts when it is larger than 2% of the old value (for EPS at least one cent, whichever is
larger) and comes in the 30 days before the report; each report's EPS and revenue are told at most
once a day (the publisher's dedup key), whichever source moved first.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta
from decimal import Decimal

from sqlmodel import Session, col, select

from bot.domain.figures import Metric
from bot.domain.market_time import Timing, new_york_date
from bot.engine.alerts import RevisionAlert, RevisionNotice
from bot.engine.ports import Outbox
from bot.engine.sync import ConsensusChange
from bot.store.companies import issuer_watchers
from bot.store.tables import Chat, Company, EarningsEvent, EventState

REVISION_WINDOW = timedelta(days=30)
REVISION_PERCENT = Decimal(2)
EPS_MIN_MOVE = Decimal("0.01")
TOLD_METRICS = frozenset({Metric.EPS, Metric.REVENUE})


def is_material(metric: str, old: Decimal, new: Decimal) -> bool:
    """Is a move from old to new worth telling: over 2% of old, and for EPS over one cent too?"""
    bar = abs(old) * REVISION_PERCENT / 100
    if metric == Metric.EPS:
        bar = max(bar, EPS_MIN_MOVE)
    return abs(new - old) > bar


def in_window(report_date: date | None, today: date) -> bool:
    """Is the report in the next 30 days (today included)?"""
    return report_date is not None and today <= report_date <= today + REVISION_WINDOW


def revision_audience(session: Session, company: Company) -> list[int]:
    """Return the active chats watching the company (any class of its stock) that turned revisions on."""
    watchers = issuer_watchers(session, company)
    if not watchers:
        return []
    return [pk for pk in session.exec(
        select(Chat.id).where(col(Chat.id).in_(watchers), col(Chat.revisions).is_(True))
    ).all() if pk is not None]


def alert_revisions(session: Session, changes: Iterable[ConsensusChange], *, outbox: Outbox, now: datetime) -> int:
    """Queue an alert for each material consensus move of a watched report; return how many were new."""
    today = new_york_date(now)
    written = 0
    for change in changes:
        if change.figure.metric not in TOLD_METRICS or not is_material(
            change.figure.metric, change.old_value, change.figure.value
        ):
            continue
        event = session.get(EarningsEvent, change.event_id)
        if event is None or event.state != EventState.SCHEDULED or not in_window(event.report_date, today):
            continue
        company = session.get(Company, event.company_id)
        audience = revision_audience(session, company) if company is not None else []
        if company is None or not audience or event.report_date is None:
            continue
        notice = RevisionNotice(
            ticker=company.ticker, company_name=company.name, period_label=event.period_label,
            report_date=event.report_date, timing=Timing(event.timing) if event.timing in Timing._value2member_map_
            else Timing.UNKNOWN, figure=change.figure, old_value=change.old_value, source=change.source,
            estimates=change.estimates,
        )
        published = outbox.publish(session, RevisionAlert(
            notice=notice, event_id=change.event_id, company_id=event.company_id, day=today,
            audience=tuple(audience),
        ), now=now)
        written += published.alert is not None
    return written
