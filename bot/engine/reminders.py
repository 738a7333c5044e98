"""Reminders and the weekly preview, computed from the tables at a given moment.

`due_reminders(session, now, outbox)` is called once a minute; every call asks "what is due now?"
from the database alone, so a missed minute, a restart or a clock that jumps never loses or
repeats one. Each reminder is an alert for one chat with a dedup key per chat, event, kind and
report date; the preview one per chat and week. What is due for one chat in one minute is
written in one transaction, so the sender sends it as one message.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlmodel import Session, col, select

from bot.domain.figures import Expectation, Metric
from bot.domain.market_time import new_york_date
from bot.domain.moments import ReportMoment, zone_of
from bot.domain.reminder_times import (
    ReminderKind,
    ReminderSlot,
    is_due,
    preview_week,
    reminder_expiry,
    reminder_slots,
)
from bot.engine.alerts import PreviewAlert, ReminderAlert, UpcomingReport
from bot.engine.ports import Outbox
from bot.store.companies import share_class_ids
from bot.store.figures import latest_expectations
from bot.store.tables import (
    Alert,
    Chat,
    ChatStatus,
    Company,
    EarningsEvent,
    EventState,
    Watch,
    saved_id,
)

HEADLINE_METRICS = (Metric.EPS, Metric.REVENUE)
# A report's date in any zone is within a day of New York's: these New York dates can have a
# reminder due within the next or last half hour.
_DAYS_BEHIND, _DAYS_AHEAD = 2, 3


def reminder_key(chat_pk: int, event_id: int, kind: ReminderKind, report_day: date) -> str:
    """One reminder per chat, event, kind and the report's local date: a moved report is reminded again."""
    return f"reminder:{chat_pk}:{event_id}:{kind.value}:{report_day.isoformat()}"


def reminded_day(dedup_key: str) -> date | None:
    """Return the report date a reminder's key names, None for another key."""
    parts = dedup_key.split(":")
    if len(parts) != 5 or parts[0] != "reminder":
        return None
    try:
        return date.fromisoformat(parts[4])
    except ValueError:
        return None


def still_on(state: str, report_date: date | None, timing: str, report_time: datetime | None, *, zone: str,
             day: date) -> bool:
    """True while a report is still to come on this date in the zone (it did not move or come out)."""
    if state != EventState.SCHEDULED or report_date is None:
        return False
    return ReportMoment.of(report_date, timing, report_time).local_date(zone_of(zone)) == day


def preview_key(chat_pk: int, week_start: date) -> str:
    return f"digest:{chat_pk}:{week_start.isoformat()}"


def due_reminders(session: Session, now: datetime, outbox: Outbox) -> int:
    """Queue every reminder and preview due at `now` and not queued before; return how many."""
    return _queue_reminders(session, now, outbox) + _queue_previews(session, now, outbox)


@dataclass(frozen=True)
class _Due:
    chat: Chat
    event: EarningsEvent
    company: Company
    report: ReportMoment
    slot: ReminderSlot


def _queue_reminders(session: Session, now: datetime, outbox: Outbox) -> int:
    today = new_york_date(now)
    events = session.exec(
        select(EarningsEvent).where(
            EarningsEvent.state == EventState.SCHEDULED,
            col(EarningsEvent.report_date) >= today - timedelta(days=_DAYS_BEHIND),
            col(EarningsEvent.report_date) <= today + timedelta(days=_DAYS_AHEAD),
        ).order_by(col(EarningsEvent.report_date), col(EarningsEvent.id))
    ).all()
    zones = _zones_in_use(session, Chat.reminders)
    due: list[_Due] = []
    for event in events:
        company = session.get(Company, event.company_id)
        if company is None or event.report_date is None:
            continue
        report = ReportMoment.of(event.report_date, event.timing, event.report_time)
        due_zones = {name for name in zones
                     if any(is_due(slot.due, now) for slot in reminder_slots(report, zone_of(name)))}
        if not due_zones:
            continue  # the common minute: nothing of this report is due in any chat's zone
        for chat in _watchers(session, company):
            if not chat.reminders or chat.timezone not in due_zones:
                continue
            due += [_Due(chat, event, company, report, slot)
                    for slot in reminder_slots(report, zone_of(chat.timezone)) if is_due(slot.due, now)]
    keys = {reminder_key(saved_id(d.chat), saved_id(d.event), d.slot.kind, d.slot.report_day): d for d in due}
    written = 0
    new = [keys[key] for key in set(keys) - _existing(session, list(keys))]
    new.sort(key=lambda d: (saved_id(d.chat), d.slot.due, reminder_expiry(d.report), d.company.ticker))
    for item in new:
        alert = ReminderAlert(
            kind=item.slot.kind, upcoming=_upcoming(session, item.event, item.company, item.report),
            report_day=item.slot.report_day, zone=item.chat.timezone, chat_pk=saved_id(item.chat),
            event_id=saved_id(item.event), company_id=saved_id(item.company), expires_at=reminder_expiry(item.report),
        )
        written += outbox.publish(session, alert, now=now).alert is not None
    return written


def _queue_previews(session: Session, now: datetime, outbox: Outbox) -> int:
    zones = [name for name in _zones_in_use(session, Chat.preview) if preview_week(now, zone_of(name))]
    if not zones:
        return 0
    chats = session.exec(select(Chat).where(Chat.status == ChatStatus.ACTIVE, col(Chat.preview).is_(True),
                                            col(Chat.timezone).in_(zones))).all()
    weeks = {saved_id(chat): week for chat in chats if (week := preview_week(now, zone_of(chat.timezone)))}
    if not weeks:
        return 0
    by_key = {preview_key(pk, week): pk for pk, week in weeks.items()}
    written = 0
    for key in sorted(set(by_key) - _existing(session, list(by_key))):
        chat = next(c for c in chats if c.id == by_key[key])
        upcoming = week_ahead(session, chat, weeks[saved_id(chat)])
        if not upcoming:
            continue  # an empty week: nothing is sent
        alert = PreviewAlert(week_start=weeks[saved_id(chat)], upcoming=tuple(upcoming), zone=chat.timezone,
                             chat_pk=saved_id(chat))
        written += outbox.publish(session, alert, now=now).alert is not None
    return written


def week_ahead(session: Session, chat: Chat, monday: date) -> list[UpcomingReport]:
    """Return the chat's watched reports whose local date falls from this Monday to Sunday, in order."""
    zone = zone_of(chat.timezone)
    company_ids = _watched_issuers(session, saved_id(chat))
    if not company_ids:
        return []
    events = session.exec(
        select(EarningsEvent).where(
            col(EarningsEvent.company_id).in_(list(company_ids)),
            EarningsEvent.state == EventState.SCHEDULED,
            col(EarningsEvent.report_date) >= monday - timedelta(days=1),
            col(EarningsEvent.report_date) <= monday + timedelta(days=7),
        )
    ).all()
    found: list[tuple[datetime, str, UpcomingReport]] = []
    for event in events:
        company = session.get(Company, company_ids[event.company_id])
        if company is None or event.report_date is None:
            continue
        report = ReportMoment.of(event.report_date, event.timing, event.report_time)
        if monday <= report.local_date(zone) <= monday + timedelta(days=6):
            order = report.moment or reminder_expiry(report) + timedelta(hours=23, minutes=59)
            found.append((order, company.ticker, _upcoming(session, event, company, report)))
    return [item for _order, _ticker, item in sorted(found, key=lambda f: (f[0], f[1]))]


def _watched_issuers(session: Session, chat_pk: int) -> dict[int, int]:
    """Return {company id of any listed class: the class the chat watches} for the chat's watchlist."""
    watched = session.exec(select(Company).join(Watch, col(Watch.company_id) == col(Company.id))
                           .where(Watch.chat_pk == chat_pk).order_by(col(Company.ticker))).all()
    issuers: dict[int, int] = {}
    for company in watched:
        for sibling in share_class_ids(session, company):
            issuers.setdefault(sibling, saved_id(company))
    return issuers


def _watchers(session: Session, company: Company) -> list[Chat]:
    """Return the active chats watching any class of the company's stock."""
    return list(session.exec(
        select(Chat).distinct().join(Watch, col(Watch.chat_pk) == col(Chat.id))
        .where(col(Watch.company_id).in_(share_class_ids(session, company)), Chat.status == ChatStatus.ACTIVE)
        .order_by(col(Chat.id))
    ).all())


def _zones_in_use(session: Session, switch: bool) -> list[str]:
    """Return the time zones of the active chats with this switch (Chat.reminders, Chat.preview) on."""
    return list(session.exec(
        select(Chat.timezone).distinct().where(Chat.status == ChatStatus.ACTIVE, col(switch).is_(True))
    ).all())


def _existing(session: Session, keys: list[str]) -> set[str]:
    found: set[str] = set()
    for start in range(0, len(keys), 500):
        chunk = keys[start:start + 500]
        found |= set(session.exec(select(Alert.dedup_key).where(col(Alert.dedup_key).in_(chunk))).all())
    return found


def _upcoming(session: Session, event: EarningsEvent, company: Company, report: ReportMoment) -> UpcomingReport:
    return UpcomingReport(
        ticker=company.ticker, company_name=company.name, period_label=event.period_label, report=report,
        consensus=consensus(session, saved_id(event)),
    )


def consensus(session: Session, event_id: int) -> tuple[Expectation, ...]:
    """Return the latest stored expectation of each headline metric (EPS, then revenue)."""
    newest: dict[str, Expectation] = {}
    latest: defaultdict[str, list[Expectation]] = defaultdict(list)
    for row in latest_expectations(session, event_id):
        latest[row.metric].append(row.to_domain())
    for metric, rows in latest.items():
        newest[metric] = max(rows, key=lambda e: e.as_of)  # the first of equals: rows come oldest first
    return tuple(newest[m] for m in HEADLINE_METRICS if m in newest)
