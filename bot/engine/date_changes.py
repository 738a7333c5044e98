"""Date-change alerts: tell a company's watchers when its next report moves to another day or time."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlmodel import Session

from bot.domain.market_time import new_york_date
from bot.engine.alerts import DateChangeAlert, DateChangeNotice
from bot.engine.ports import Outbox
from bot.engine.sync import DateChange
from bot.store.companies import issuer_watchers
from bot.store.tables import Company, EarningsEvent, EventState


def net_changes(changes: Iterable[DateChange]) -> list[DateChange]:
    """Fold several moves of one event within a sync into one (first old, last new); drop round trips."""
    folded: dict[int, DateChange] = {}
    for change in changes:
        first = folded.get(change.event_id)
        if first is None:
            folded[change.event_id] = change
        else:
            folded[change.event_id] = DateChange(
                change.event_id, first.old_date, change.new_date, first.old_timing, change.new_timing, change.source
            )
    return [
        c for c in folded.values() if (c.old_date, c.old_timing) != (c.new_date, c.new_timing)
    ]


def alert_date_changes(session: Session, changes: Iterable[DateChange], *, outbox: Outbox, now: datetime) -> int:
    """Queue an alert for each watched report that moved to today or later; return how many were new."""
    today = new_york_date(now)
    written = 0
    for change in net_changes(changes):
        event = session.get(EarningsEvent, change.event_id)
        if event is None or event.state != EventState.SCHEDULED or change.new_date < today:
            continue
        company = session.get(Company, event.company_id)
        if company is None:
            continue
        notice = DateChangeNotice(
            ticker=company.ticker, company_name=company.name, period_label=event.period_label,
            old_date=change.old_date, old_timing=change.old_timing,
            new_date=change.new_date, new_timing=change.new_timing, source=change.source,
        )
        published = outbox.publish(session, DateChangeAlert(
            notice=notice, event_id=change.event_id, company_id=company.id,  # type: ignore[arg-type]
            audience=tuple(issuer_watchers(session, company)),
        ), now=now)
        written += published.alert is not None
    return written
