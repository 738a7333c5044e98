"""Quiet hours and expiry, through the real sender to the loopback Bot API at injected times: only
results go out in quiet hours, the rest waits to their end, a reminder that would arrive after its
report is dropped (or whose report moved meanwhile), and `all` holds results too."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, update
from sqlmodel import Session
from telegram import Bot

from bot.delivery.outbox import enqueue_alert
from bot.delivery.sender import Sender
from bot.engine.date_changes import alert_date_changes
from bot.engine.reminders import due_reminders
from bot.engine.sync import apply_calendar_rows
from bot.sandbox.bot_api import LoopbackBotApi
from bot.store.db import session_scope
from bot.store.tables import AlertKind, Chat, DeliveryStatus
from tests.delivery.helpers import add_chats, add_company, deliveries
from tests.engine.helpers import OUTBOX, Clock, calendar_row, watching_chat
from tests.engine.helpers import add_company as add_issuer

SHANGHAI = ZoneInfo("Asia/Shanghai")
NIGHT = datetime(2026, 3, 10, 23, 30, tzinfo=SHANGHAI)  # inside 22:00-07:00 Shanghai time
MORNING = datetime(2026, 3, 11, 7, 0, tzinfo=SHANGHAI)


def quiet_chat(db: Engine, chat_id: int, *, everything: bool = False) -> int:
    company = add_company(db, f"Q{abs(chat_id) % 1000}")
    [pk] = add_chats(db, [chat_id], company_id=company).values()
    with session_scope(db) as session:
        session.exec(update(Chat).where(Chat.id == pk).values(  # type: ignore[call-overload, arg-type]
            timezone="Asia/Shanghai", quiet_start="22:00", quiet_end="07:00", quiet_all=everything))
    return pk


def queue(db: Engine, pk: int, key: str, text: str, kind: AlertKind, *, now: datetime,
          expires_at: datetime | None = None) -> None:
    with session_scope(db) as session:
        enqueue_alert(session, kind=kind, dedup_key=key, text=text, chat_pks=[pk], now=now, expires_at=expires_at)


async def test_quiet_hours_let_results_through_and_hold_the_rest_to_their_end(
    db: Engine, api: LoopbackBotApi, bot: Bot,
) -> None:
    pk = quiet_chat(db, 71)
    clock = Clock(NIGHT)
    queue(db, pk, "result:1", "🟢 NVDA beat", AlertKind.RESULT, now=NIGHT)
    queue(db, pk, "date:1", "📅 MSFT moved", AlertKind.DATE_CHANGE, now=NIGHT)
    queue(db, pk, "reminder:1", "⏰ Today: AAPL", AlertKind.REMINDER, now=NIGHT,
          expires_at=datetime(2026, 3, 11, 9, 0, tzinfo=SHANGHAI))  # after the quiet hours end
    queue(db, pk, "reminder:2", "⏰ Tomorrow: BABA", AlertKind.REMINDER, now=NIGHT,
          expires_at=datetime(2026, 3, 11, 5, 0, tzinfo=SHANGHAI))  # before they end: worthless then
    sender = Sender(db, bot, rate_per_second=30, clock=clock)

    await sender.drain_once()
    assert [m.visible_text for m in api.messages_to(71)] == ["🟢 NVDA beat"]
    rows = {d.alert_id: d for d in deliveries(db)}
    waiting = [d for d in rows.values() if d.status == DeliveryStatus.PENDING]
    assert {d.next_attempt_at for d in waiting} == {MORNING.astimezone(UTC)}
    assert [d.last_error for d in rows.values() if d.status == DeliveryStatus.CANCELLED] == [
        "expired: its report is out when quiet hours end"]

    clock.now = MORNING - timedelta(seconds=1)
    await sender.drain_once()
    assert len(api.messages_to(71)) == 1
    clock.now = MORNING
    await sender.drain_once()
    assert [m.visible_text for m in api.messages_to(71)][1:] == ["📅 MSFT moved\n\n⏰ Today: AAPL"]


async def test_quiet_hours_for_everything_hold_results_too(db: Engine, api: LoopbackBotApi, bot: Bot) -> None:
    pk = quiet_chat(db, 72, everything=True)
    clock = Clock(NIGHT)
    queue(db, pk, "result:2", "🔴 MSFT miss", AlertKind.RESULT, now=NIGHT)
    sender = Sender(db, bot, rate_per_second=30, clock=clock)
    await sender.drain_once()
    assert api.messages_to(72) == []
    clock.now = MORNING + timedelta(seconds=5)
    await sender.drain_once()
    assert [m.visible_text for m in api.messages_to(72)] == ["🔴 MSFT miss"]


async def test_an_alert_past_its_expiry_is_cancelled_not_sent(db: Engine, api: LoopbackBotApi, bot: Bot) -> None:
    company = add_company(db, "LATE")
    [pk] = add_chats(db, [73], company_id=company).values()
    report = datetime(2026, 3, 10, 21, 5, tzinfo=UTC)
    queue(db, pk, "reminder:3", "⏰ Today: LATE", AlertKind.REMINDER, now=report - timedelta(hours=1),
          expires_at=report)
    await Sender(db, bot, rate_per_second=30, clock=Clock(report)).drain_once()
    assert api.messages_to(73) == []
    [row] = deliveries(db)
    assert (row.status, row.last_error) == (DeliveryStatus.CANCELLED, "expired: its report is out")


async def test_a_reminder_waiting_out_quiet_hours_is_dropped_when_its_report_moves(
    db: Engine, api: LoopbackBotApi, bot: Bot,
) -> None:
    new_york = ZoneInfo("America/New_York")
    chat_id = 74

    def move_to(day: date, now: datetime) -> None:
        with Session(db) as session:
            report = apply_calendar_rows(session, [calendar_row(day=day, period=(2026, 1))], now=now,
                                         precedence=("nasdaq",))
            alert_date_changes(session, report.date_changes, outbox=OUTBOX, now=now)
            session.commit()

    def remind(now: datetime) -> None:
        with Session(db) as session:
            due_reminders(session, now, OUTBOX)
            session.commit()

    with Session(db) as session:
        add_issuer(session)
        watching_chat(session, chat_id, "NVDA")
        session.commit()
    with session_scope(db) as session:
        session.exec(update(Chat).where(Chat.chat_id == chat_id).values(  # type: ignore[call-overload, arg-type]
            quiet_start="17:00", quiet_end="20:00"))
    move_to(date(2026, 2, 25), datetime(2026, 2, 20, 12, 0, tzinfo=new_york))
    tuesday = datetime(2026, 2, 24, 18, 0, 1, tzinfo=new_york)
    remind(tuesday)
    clock = Clock(tuesday)
    sender = Sender(db, bot, rate_per_second=30, clock=clock)
    await sender.drain_once()
    assert api.messages_to(chat_id) == []  # quiet until 20:00
    move_to(date(2026, 2, 26), datetime(2026, 2, 24, 19, 0, tzinfo=new_york))
    clock.now = datetime(2026, 2, 24, 20, 0, tzinfo=new_york)
    await sender.drain_once()
    [moved] = [m.visible_text for m in api.messages_to(chat_id)]
    assert moved.startswith("📅 NVDA Q4 FY2026 report is now expected Thu Feb 26, 2026, after the close")
    assert "its report moved" in [d.last_error for d in deliveries(db)]
    remind(datetime(2026, 2, 25, 18, 0, 1, tzinfo=new_york))
    clock.now = datetime(2026, 2, 25, 20, 0, tzinfo=new_york)  # the end of Wednesday's quiet hours
    await sender.drain_once()
    assert api.messages_to(chat_id)[-1].visible_text.startswith("⏰ Tomorrow: NVDA Q4 FY2026, Thu Feb 26")
