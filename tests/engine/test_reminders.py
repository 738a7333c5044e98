"""Reminders and the weekly preview, from the tables at an injected time: each chat's own minute,
both 2026 daylight-saving changes, a Saturday report, a moved date, downtime, a chat in Shanghai,
several companies in one slot, and the switches."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from bot.domain.market_time import Timing
from bot.engine.reminders import due_reminders
from bot.engine.subscriptions import get_chat
from bot.engine.sync import apply_calendar_rows
from bot.store.companies import find_company
from bot.store.tables import Alert, AlertKind, Delivery, EarningsEvent
from tests.engine.helpers import OUTBOX, add_company, calendar_row, eps, revenue, watching_chat

NEW_YORK = ZoneInfo("America/New_York")
SHANGHAI = ZoneInfo("Asia/Shanghai")
ALICE, BOB = 5_300_000_001, 5_300_000_002
PRECEDENCE = ("nasdaq", "finnhub")


def at(zone: ZoneInfo, *parts: int) -> datetime:
    return datetime(*parts, tzinfo=zone)  # type: ignore[misc]


def schedule(session: Session, ticker: str, day: date, *, timing: Timing = Timing.AMC,
             period: tuple[int, int] = (2026, 1), now: datetime | None = None) -> None:
    """Store the report as the calendars would: Nasdaq's EPS consensus, Finnhub's revenue."""
    seen = now or datetime.combine(day - timedelta(days=10), datetime.min.time(), UTC)
    apply_calendar_rows(session, [
        calendar_row(ticker, day=day, timing=timing, period=period, estimates=(eps("0.84"),), count=18),
        calendar_row(ticker, day=day, timing=timing, period=period, source="finnhub",
                     estimates=(revenue("38100000000"),), count=None),
    ], now=seen, precedence=PRECEDENCE)
    session.flush()


def in_zone(session: Session, chat_id: int, zone: str) -> None:
    chat = get_chat(session, chat_id)
    assert chat is not None
    chat.timezone = zone
    session.add(chat)
    session.flush()


def run_minutes(db: Engine, start: datetime, end: datetime) -> list[tuple[datetime, str, str]]:
    """Call due_reminders at second 1 of every minute from start to end, each in its own
    transaction like the scheduler; return (minute, kind, text) of each alert written."""
    queued: list[tuple[datetime, str, str]] = []
    moment = start.astimezone(UTC).replace(second=1, microsecond=0)
    while moment <= end:
        with Session(db) as session:
            before = _alert_ids(session)
            due_reminders(session, moment, OUTBOX)
            session.commit()
            for alert in session.exec(select(Alert).order_by(col(Alert.id))).all():
                if alert.id not in before:
                    queued.append((moment, alert.kind, alert.text))
        moment += timedelta(minutes=1)
    return queued


def _alert_ids(session: Session) -> set[int | None]:
    return set(session.exec(select(Alert.id)).all())


def minutes(queued: Iterable[tuple[datetime, str, str]], zone: ZoneInfo) -> list[tuple[str, str]]:
    return [(f"{when.astimezone(zone):%a %Y-%m-%d %H:%M}", kind) for when, kind, _text in queued]


CIKS = {"NVDA": 1045810, "MSFT": 789019, "AAPL": 320193, "BRK-B": 1067983}


def setup(db: Engine, *tickers: str, chat: int = ALICE, zone: str = "America/New_York") -> None:
    with Session(db) as session:
        for ticker in tickers:
            if find_company(session, ticker) is None:
                add_company(session, ticker, f"{ticker} CORP", cik=CIKS[ticker],
                            fiscal_year_end_month=1 if ticker == "NVDA" else 12)
        watching_chat(session, chat, *tickers)
        in_zone(session, chat, zone)
        session.commit()


def test_march_2026_a_monday_report_is_reminded_sunday_18_00_edt_and_monday_08_00(db: Engine) -> None:
    setup(db, "NVDA")
    with Session(db) as session:
        schedule(session, "NVDA", date(2026, 3, 9))
        session.commit()
    # DST starts Sunday 2026-03-08 02:00: 18:00 that day is EDT (22:00 UTC), the Saturday before EST
    queued = run_minutes(db, at(NEW_YORK, 2026, 3, 8, 17, 55), at(NEW_YORK, 2026, 3, 8, 18, 5))
    queued += run_minutes(db, at(NEW_YORK, 2026, 3, 9, 7, 55), at(NEW_YORK, 2026, 3, 9, 8, 5))
    assert minutes(queued, NEW_YORK) == [
        ("Sun 2026-03-08 18:00", AlertKind.REMINDER), ("Sun 2026-03-08 18:00", AlertKind.DIGEST),
        ("Mon 2026-03-09 08:00", AlertKind.REMINDER),
    ]
    assert queued[0][0] == datetime(2026, 3, 8, 22, 0, 1, tzinfo=UTC)
    assert queued[0][2] == ("⏰ <b>Tomorrow</b>: <b>NVDA</b> Q4 FY2026, Mon Mar 09 after the close. "
                            "Consensus EPS $0.84 (Nasdaq, 18 est.) · revenue $38.10B (Finnhub).")
    assert queued[2][2].startswith("⏰ <b>Today</b>: <b>NVDA</b> Q4 FY2026, Mon Mar 09 after the close.")
    assert queued[1][2].splitlines()[:3] == ["🗓 <b>Your week ahead</b>: Mon Mar 09 to Sun Mar 15", "",
                                             "<b>Mon Mar 09</b>"]


def test_november_2026_a_monday_report_is_reminded_at_18_00_est_the_day_standard_time_returns(db: Engine) -> None:
    setup(db, "NVDA")
    setup(db, "NVDA", chat=BOB, zone="Europe/London")  # London left summer time a week earlier
    with Session(db) as session:
        schedule(session, "NVDA", date(2026, 11, 2), timing=Timing.BMO, period=(2026, 10))
        session.commit()
    queued = run_minutes(db, at(NEW_YORK, 2026, 11, 1, 12, 55), at(NEW_YORK, 2026, 11, 1, 18, 5))
    reminders = [(when, text) for when, kind, text in queued if kind == AlertKind.REMINDER]
    # London: Sunday 18:00 GMT = 18:00 UTC; New York: Sunday 18:00 EST = 23:00 UTC
    assert [when for when, _ in reminders] == [datetime(2026, 11, 1, 18, 0, 1, tzinfo=UTC),
                                               datetime(2026, 11, 1, 23, 0, 1, tzinfo=UTC)]
    assert "Mon Nov 02 before the open (Mon ~13:00 your time)" in reminders[0][1]
    assert "Mon Nov 02 before the open. Consensus" in reminders[1][1]
    # before the open is 08:00 ET: not later than 09:00 in New York, so no Today reminder there;
    # it is 13:00 in London, so London gets one at 08:00
    monday = run_minutes(db, at(NEW_YORK, 2026, 11, 2, 2, 55), at(NEW_YORK, 2026, 11, 2, 8, 5))
    assert minutes(monday, ZoneInfo("Europe/London")) == [("Mon 2026-11-02 08:00", AlertKind.REMINDER)]


def test_shanghai_hears_of_a_wednesday_evening_report_on_wednesday_18_00_its_time(db: Engine) -> None:
    setup(db, "NVDA", zone="Asia/Shanghai")
    with Session(db) as session:
        schedule(session, "NVDA", date(2026, 2, 25))
        session.commit()
    # after the close on Wednesday is Thursday ~05:05 in Shanghai: Tomorrow on Wednesday 18:00
    # Shanghai time (10:00 UTC), no Today reminder (before 09:00 there)
    queued = run_minutes(db, at(SHANGHAI, 2026, 2, 25, 17, 58), at(SHANGHAI, 2026, 2, 25, 18, 2))
    queued += run_minutes(db, at(SHANGHAI, 2026, 2, 26, 7, 58), at(SHANGHAI, 2026, 2, 26, 8, 2))
    assert minutes(queued, SHANGHAI) == [("Wed 2026-02-25 18:00", AlertKind.REMINDER)]
    assert queued[0][2].startswith(
        "⏰ <b>Tomorrow</b>: <b>NVDA</b> Q4 FY2026, Wed Feb 25 after the close (Thu ~05:05 your time). "
        "Consensus EPS $0.84 (Nasdaq, 18 est.) · revenue $38.10B (Finnhub).")


def test_an_exact_time_is_shown_as_given_and_is_the_reminders_expiry(db: Engine) -> None:
    setup(db, "NVDA", zone="Asia/Shanghai")
    with Session(db) as session:
        schedule(session, "NVDA", date(2026, 2, 25))
        event = session.exec(select(EarningsEvent)).one()
        event.report_time = datetime(2026, 2, 25, 21, 20, tzinfo=UTC)
        session.add(event)
        session.commit()
    [(_, _, text)] = run_minutes(db, at(SHANGHAI, 2026, 2, 25, 18, 0), at(SHANGHAI, 2026, 2, 25, 18, 0, 30))
    assert "Wed Feb 25 after the close (Thu 05:20 your time)." in text
    with Session(db) as session:
        alert = session.exec(select(Alert)).one()
        assert alert.expires_at == datetime(2026, 2, 25, 21, 20, tzinfo=UTC)


def test_a_saturday_report_with_unknown_timing_is_reminded_friday_evening_and_in_the_preview(db: Engine) -> None:
    setup(db, "BRK-B")
    with Session(db) as session:
        schedule(session, "BRK-B", date(2026, 5, 2), timing=Timing.UNKNOWN, period=(2026, 3))
        session.commit()
    preview = run_minutes(db, at(NEW_YORK, 2026, 4, 26, 17, 59), at(NEW_YORK, 2026, 4, 26, 18, 1))
    assert minutes(preview, NEW_YORK) == [("Sun 2026-04-26 18:00", AlertKind.DIGEST)]
    assert "<b>Sat May 02</b>\n<b>BRK-B</b> Q1 2026, Sat May 02, time not announced." in preview[0][2]
    friday = run_minutes(db, at(NEW_YORK, 2026, 5, 1, 17, 59), at(NEW_YORK, 2026, 5, 1, 18, 1))
    saturday = run_minutes(db, at(NEW_YORK, 2026, 5, 2, 7, 59), at(NEW_YORK, 2026, 5, 2, 8, 1))
    assert minutes(friday + saturday, NEW_YORK) == [("Fri 2026-05-01 18:00", AlertKind.REMINDER)]
    assert "BRK-B</b> Q1 2026, Sat May 02, time not announced." in friday[0][2]
    with Session(db) as session:
        reminder = session.exec(select(Alert).where(Alert.kind == AlertKind.REMINDER)).one()
        assert reminder.expires_at == datetime(2026, 5, 2, 4, 0, tzinfo=UTC)  # the New York day begins


def test_a_moved_report_moves_its_reminders_and_one_sent_is_not_sent_again(db: Engine) -> None:
    setup(db, "NVDA")
    wednesday, thursday = date(2026, 2, 25), date(2026, 2, 26)
    with Session(db) as session:
        schedule(session, "NVDA", wednesday)
        session.commit()
    first = run_minutes(db, at(NEW_YORK, 2026, 2, 24, 17, 59), at(NEW_YORK, 2026, 2, 24, 18, 1))
    assert len(first) == 1 and "Wed Feb 25" in first[0][2]
    with Session(db) as session:  # moved to Thursday, and back, and on: the date-change alerts tell it
        schedule(session, "NVDA", thursday, now=at(NEW_YORK, 2026, 2, 24, 18, 5))
        session.commit()
    with Session(db) as session:
        schedule(session, "NVDA", wednesday, now=at(NEW_YORK, 2026, 2, 24, 18, 10))
        session.commit()
    assert run_minutes(db, at(NEW_YORK, 2026, 2, 24, 18, 11), at(NEW_YORK, 2026, 2, 24, 18, 20)) == []
    with Session(db) as session:
        schedule(session, "NVDA", thursday, now=at(NEW_YORK, 2026, 2, 24, 20, 0))
        session.commit()
    wednesday_run = run_minutes(db, at(NEW_YORK, 2026, 2, 25, 7, 59), at(NEW_YORK, 2026, 2, 25, 8, 1))
    wednesday_run += run_minutes(db, at(NEW_YORK, 2026, 2, 25, 17, 59), at(NEW_YORK, 2026, 2, 25, 18, 1))
    assert minutes(wednesday_run, NEW_YORK) == [("Wed 2026-02-25 18:00", AlertKind.REMINDER)]
    assert "⏰ <b>Tomorrow</b>: <b>NVDA</b> Q4 FY2026, Thu Feb 26 after the close." in wednesday_run[0][2]


def test_after_downtime_a_late_reminder_is_dropped_and_the_preview_still_comes_until_23_00(db: Engine) -> None:
    setup(db, "NVDA")
    setup(db, "NVDA", chat=BOB)
    with Session(db) as session:
        schedule(session, "NVDA", date(2026, 3, 9))
        session.commit()
    # down from 17:50 to 18:45: the Tomorrow reminder is 45 minutes late, the preview is not lost
    back = run_minutes(db, at(NEW_YORK, 2026, 3, 8, 18, 45), at(NEW_YORK, 2026, 3, 8, 18, 50))
    assert minutes(back, NEW_YORK) == [("Sun 2026-03-08 18:45", AlertKind.DIGEST)] * 2
    # down over Monday 08:00 until 08:25: the Today reminder is 25 minutes late and still goes
    monday = run_minutes(db, at(NEW_YORK, 2026, 3, 9, 8, 25), at(NEW_YORK, 2026, 3, 9, 8, 26))
    assert minutes(monday, NEW_YORK) == [("Mon 2026-03-09 08:25", AlertKind.REMINDER)] * 2


def test_a_bot_back_after_23_00_on_sunday_sends_no_preview(db: Engine) -> None:
    setup(db, "NVDA")
    with Session(db) as session:
        schedule(session, "NVDA", date(2026, 3, 9))
        session.commit()
    assert run_minutes(db, at(NEW_YORK, 2026, 3, 8, 23, 0), at(NEW_YORK, 2026, 3, 8, 23, 5)) == []


def test_several_companies_due_in_one_minute_are_written_together_for_one_message(db: Engine) -> None:
    setup(db, "NVDA", "MSFT", "AAPL")
    with Session(db) as session:
        schedule(session, "NVDA", date(2026, 3, 9))
        schedule(session, "MSFT", date(2026, 3, 9), timing=Timing.BMO, period=(2026, 3))
        schedule(session, "AAPL", date(2026, 3, 11), period=(2026, 3))
        session.commit()
    queued = run_minutes(db, at(NEW_YORK, 2026, 3, 8, 18, 0), at(NEW_YORK, 2026, 3, 8, 18, 3))
    assert {when for when, _, _ in queued} == {at(NEW_YORK, 2026, 3, 8, 18, 0, 1)}
    assert [text.split(",")[0] for _, kind, text in queued if kind == AlertKind.REMINDER] == [
        "⏰ <b>Tomorrow</b>: <b>MSFT</b> Q1 2026", "⏰ <b>Tomorrow</b>: <b>NVDA</b> Q4 FY2026"]
    [preview] = [text for _, kind, text in queued if kind == AlertKind.DIGEST]
    assert preview.index("<b>MSFT</b>") < preview.index("<b>NVDA</b>") < preview.index("<b>Wed Mar 11</b>")
    with Session(db) as session:
        deliveries = session.exec(select(Delivery)).all()
        assert len(deliveries) == 3 and len({d.next_attempt_at for d in deliveries}) == 1


def test_switched_off_reminders_and_preview_are_not_written_and_an_empty_week_sends_nothing(db: Engine) -> None:
    from bot.engine.preferences import set_switch

    setup(db, "NVDA")
    setup(db, "MSFT", chat=BOB)
    with Session(db) as session:
        schedule(session, "NVDA", date(2026, 3, 9))
        set_switch(session, ALICE, "reminders", False, now=at(NEW_YORK, 2026, 3, 1, 12, 0))
        session.commit()
    queued = run_minutes(db, at(NEW_YORK, 2026, 3, 8, 18, 0), at(NEW_YORK, 2026, 3, 8, 18, 1))
    assert minutes(queued, NEW_YORK) == [("Sun 2026-03-08 18:00", AlertKind.DIGEST)]  # Bob's week is empty
    with Session(db) as session:
        set_switch(session, ALICE, "preview", False, now=at(NEW_YORK, 2026, 3, 1, 12, 0))
        session.commit()
    assert run_minutes(db, at(NEW_YORK, 2026, 3, 15, 18, 0), at(NEW_YORK, 2026, 3, 15, 18, 1)) == []
