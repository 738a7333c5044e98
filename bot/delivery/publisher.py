"""The outbox behind the engine's port: render each alert once and queue it for its chats.

Once for New York (the alert's text), and once more for each other zone among its chats whose
reading differs (the time of a report): those chats' deliveries carry their own text. A result
is rendered once more for each (zone, own numbers, own in-line band) group of the chats that set
numbers of their own with /expect or a band with /settings (bot.delivery.own_texts); a chat for which
it is under its minimum surprise gets it without a sound.

A result is one alert per report (dedup key ``result:<event>:<fingerprint of what it says>``).
When a later evaluation would read differently, a correction replaces the text of the messages
already sent; one users could not tell apart from the last sends nothing.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from html import escape
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from bot.delivery.outbox import enqueue_alert, enqueue_broadcast, enqueue_correction
from bot.delivery.own_texts import mark_silent, write_own_texts
from bot.delivery.render import render_date_change, render_filing, render_result, render_revision
from bot.delivery.render_reminders import render_preview, render_reminder
from bot.domain.moments import zone_of
from bot.engine.alerts import (
    AlertData,
    BroadcastAlert,
    DateChangeAlert,
    FilingAlert,
    OwnNumbers,
    PreviewAlert,
    ReminderAlert,
    ResultAlert,
    ResultReport,
    RevisionAlert,
)
from bot.engine.ports import Publication
from bot.engine.reminders import preview_key, reminder_key
from bot.store.tables import Alert, AlertKind

logger = logging.getLogger(__name__)


class OutboxPublisher:
    """Implements bot.engine.ports.Outbox on the delivery tables."""

    def publish(self, session: Session, alert: AlertData, *, now: datetime) -> Publication:
        """Render the alert and write it with a delivery per chat, in the caller's transaction."""
        if isinstance(alert, ResultAlert):
            return _publish_result(session, alert, now)
        if isinstance(alert, FilingAlert):
            return _publish_filing(session, alert, now)
        if isinstance(alert, DateChangeAlert):
            return _publish_date_change(session, alert, now)
        if isinstance(alert, RevisionAlert):
            return _publish_revision(session, alert, now)
        if isinstance(alert, ReminderAlert | PreviewAlert):
            return _publish_reminder(session, alert, now)
        return _publish_broadcast(session, alert, now)


def _publish_result(session: Session, alert: ResultAlert, now: datetime) -> Publication:
    existing = result_alerts(session, alert.event_id)
    says = render_result(replace(alert.report, revision=1))  # the text without "(updated)"
    fingerprint = _fingerprint(says)
    if existing and _says_the_same(existing[-1], says, fingerprint):
        return Publication(None)
    revision = len(existing) + 1
    report = replace(alert.report, revision=revision)
    text = render_result(report)
    in_zone = _in_zone(lambda zone: render_result(report, zone))
    ticker = alert.report.ticker
    if existing:
        # Numbered: figures that go back to what an earlier alert said are news again.
        written = enqueue_correction(
            session, original_dedup_key=existing[0].dedup_key,
            dedup_key=f"result:{alert.event_id}:{fingerprint}:{revision}", text=text, now=now,
            zone_text=in_zone,
        )
        _own_texts(session, written, alert, report)
        logger.info("result revised ticker=%s event=%s revision=%d", ticker, alert.event_id, revision)
        return Publication(written, is_correction=True)
    written = enqueue_alert(
        session, kind=AlertKind.RESULT, dedup_key=f"result:{alert.event_id}:{fingerprint}", text=text,
        company_id=alert.company_id, event_id=alert.event_id, filing_id=alert.filing_id,
        chat_pks=alert.audience, now=now, zone_text=in_zone,
    )
    _own_texts(session, written, alert, report)
    logger.info("result alert ticker=%s event=%s verdict=%s", ticker, alert.event_id, alert.report.verdict)
    return Publication(written)


def _own_texts(session: Session, written: Alert | None, alert: ResultAlert, report: ResultReport) -> None:
    """Chats with own numbers get the result with their "yours" lines, chats with their own in-line
    band the result as it judges, per zone and group; chats under their minimum surprise get it
    without a sound."""
    if written is None or written.id is None:
        return
    if alert.silent:
        mark_silent(session, written.id, alert.silent)
    if not alert.own:
        return

    def group_text(group: OwnNumbers) -> Callable[[str], str]:
        banded = report if group.report is None else replace(group.report, revision=report.revision)
        return _in_zone(lambda zone: render_result(banded, zone, own=group.comparisons))

    write_own_texts(session, written.id, [(group.chat_pks, group_text(group)) for group in alert.own])


def _publish_filing(session: Session, alert: FilingAlert, now: datetime) -> Publication:
    kind = AlertKind.FILING if alert.notice.is_results else AlertKind.ANNOUNCEMENT
    written = enqueue_alert(
        session, kind=kind, dedup_key=f"filing:{alert.accession}", text=render_filing(alert.notice),
        company_id=alert.company_id, filing_id=alert.filing_id, event_id=alert.event_id,
        chat_pks=alert.audience, now=now, zone_text=_in_zone(lambda zone: render_filing(alert.notice, zone)),
    )
    if written is not None:
        logger.info("filing alert ticker=%s accession=%s form=%s", alert.notice.ticker, alert.accession,
                    alert.notice.form)
    return Publication(written)


def _publish_date_change(session: Session, alert: DateChangeAlert, now: datetime) -> Publication:
    notice = alert.notice
    written = enqueue_alert(
        session, kind=AlertKind.DATE_CHANGE,
        dedup_key=f"date:{alert.event_id}:{notice.new_date.isoformat()}:{notice.new_timing.value}",
        text=render_date_change(notice), company_id=alert.company_id, event_id=alert.event_id,
        chat_pks=alert.audience, now=now, zone_text=_in_zone(lambda zone: render_date_change(notice, zone)),
    )
    return Publication(written)


def _publish_revision(session: Session, alert: RevisionAlert, now: datetime) -> Publication:
    """One revision alert per report, metric and day, whichever source moved first."""
    written = enqueue_alert(
        session, kind=AlertKind.REVISION,
        dedup_key=f"revision:{alert.event_id}:{alert.notice.figure.metric}:{alert.day.isoformat()}",
        text=render_revision(alert.notice), company_id=alert.company_id, event_id=alert.event_id,
        chat_pks=alert.audience, now=now, zone_text=_in_zone(lambda zone: render_revision(alert.notice, zone)),
    )
    return Publication(written)


def _publish_reminder(session: Session, alert: ReminderAlert | PreviewAlert, now: datetime) -> Publication:
    """A reminder or a preview: one alert for one chat, in its zone (so no per-chat text)."""
    if isinstance(alert, ReminderAlert):
        written = enqueue_alert(
            session, kind=AlertKind.REMINDER, text=render_reminder(alert),
            dedup_key=reminder_key(alert.chat_pk, alert.event_id, alert.kind, alert.report_day),
            company_id=alert.company_id, event_id=alert.event_id, chat_pks=(alert.chat_pk,), now=now,
            expires_at=alert.expires_at,
        )
        if written is not None:
            logger.info("reminder ticker=%s event=%s kind=%s chat_pk=%s", alert.upcoming.ticker, alert.event_id,
                        alert.kind, alert.chat_pk)
        return Publication(written)
    written = enqueue_alert(
        session, kind=AlertKind.DIGEST, dedup_key=preview_key(alert.chat_pk, alert.week_start),
        text=render_preview(alert), chat_pks=(alert.chat_pk,), now=now,
    )
    if written is not None:
        logger.info("weekly preview chat_pk=%s reports=%d", alert.chat_pk, len(alert.upcoming))
    return Publication(written)


def _publish_broadcast(session: Session, alert: BroadcastAlert, now: datetime) -> Publication:
    written = enqueue_broadcast(session, text=escape(alert.text, quote=False), now=now,
                                admin_chat_id=alert.admin_chat_id)
    return Publication(written)


def _in_zone(render: Callable[[ZoneInfo], str]) -> Callable[[str], str]:
    """A renderer by zone name, as the outbox asks for each distinct zone of an alert's chats
    (a name no longer valid reads as New York)."""
    return lambda name: render(zone_of(name))


def _fingerprint(says: str) -> str:
    """Return a short hash of what the alert says, not of raw values."""
    return hashlib.sha256(says.encode()).hexdigest()[:12]


def _says_the_same(latest: Alert, says: str, fingerprint: str) -> bool:
    """Does the latest alert already say this (by its key, or by its text for older keys)?"""
    if latest.dedup_key.split(":")[2] == fingerprint:
        return True
    return latest.text.replace(" (updated)", "", 1) == says


def result_alerts(session: Session, event_id: int) -> list[Alert]:
    """Return the event's result alert and its corrections, oldest first."""
    return list(
        session.exec(
            select(Alert)
            .where(Alert.event_id == event_id, col(Alert.kind).in_([AlertKind.RESULT, AlertKind.CORRECTION]))
            .order_by(col(Alert.id))
        ).all()
    )
