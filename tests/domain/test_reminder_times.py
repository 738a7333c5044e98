"""When reminders, the preview and quiet hours fall in a chat's zone, across both 2026 DST changes."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from bot.domain.moments import ReportMoment
from bot.domain.reminder_times import (
    ReminderKind,
    is_due,
    parse_span,
    preview_week,
    quiet_until,
    reminder_slots,
)

NEW_YORK = ZoneInfo("America/New_York")
SHANGHAI = ZoneInfo("Asia/Shanghai")


def slots(report: ReportMoment, zone: ZoneInfo) -> list[tuple[ReminderKind, datetime]]:
    return [(slot.kind, slot.due.astimezone(UTC)) for slot in reminder_slots(report, zone)]


def test_a_monday_after_the_close_in_march_is_reminded_sunday_18_00_edt_and_monday_08_00_edt() -> None:
    report = ReportMoment.of(date(2026, 3, 9), "amc")
    assert slots(report, NEW_YORK) == [(ReminderKind.TOMORROW, datetime(2026, 3, 8, 22, 0, tzinfo=UTC)),
                                       (ReminderKind.TODAY, datetime(2026, 3, 9, 12, 0, tzinfo=UTC))]


def test_a_monday_report_in_november_is_reminded_at_18_00_est() -> None:
    report = ReportMoment.of(date(2026, 11, 2), "amc")
    assert slots(report, NEW_YORK) == [(ReminderKind.TOMORROW, datetime(2026, 11, 1, 23, 0, tzinfo=UTC)),
                                       (ReminderKind.TODAY, datetime(2026, 11, 2, 13, 0, tzinfo=UTC))]


def test_before_the_open_in_new_york_gets_no_today_reminder_and_shanghai_reads_the_next_morning() -> None:
    assert [kind for kind, _ in slots(ReportMoment.of(date(2026, 3, 9), "bmo"), NEW_YORK)] == [ReminderKind.TOMORROW]
    wednesday_evening = ReportMoment.of(date(2026, 2, 25), "amc")
    assert slots(wednesday_evening, SHANGHAI) == [(ReminderKind.TOMORROW, datetime(2026, 2, 25, 10, 0, tzinfo=UTC))]


def test_unknown_timing_gets_only_a_tomorrow_reminder_on_the_eve_of_the_new_york_date() -> None:
    report = ReportMoment.of(date(2026, 5, 2), "unknown")
    assert slots(report, SHANGHAI) == [(ReminderKind.TOMORROW, datetime(2026, 5, 1, 10, 0, tzinfo=UTC))]


def test_a_reminder_is_due_for_thirty_minutes_from_the_start_of_its_minute() -> None:
    due = datetime(2026, 3, 8, 22, 0, tzinfo=UTC)
    assert not is_due(due, datetime(2026, 3, 8, 21, 59, 59, tzinfo=UTC))
    assert is_due(due, due) and is_due(due, datetime(2026, 3, 8, 22, 29, 59, tzinfo=UTC))
    assert not is_due(due, datetime(2026, 3, 8, 22, 30, tzinfo=UTC))


def test_the_preview_is_due_on_sunday_from_18_00_until_23_00_local() -> None:
    assert preview_week(datetime(2026, 3, 8, 21, 59, tzinfo=UTC), NEW_YORK) is None  # 17:59 EDT
    assert preview_week(datetime(2026, 3, 8, 22, 0, tzinfo=UTC), NEW_YORK) == date(2026, 3, 9)
    assert preview_week(datetime(2026, 3, 9, 3, 0, tzinfo=UTC), NEW_YORK) is None  # 23:00 EDT
    assert preview_week(datetime(2026, 3, 8, 10, 0, tzinfo=UTC), SHANGHAI) == date(2026, 3, 9)


def test_quiet_hours_that_pass_midnight_end_the_next_morning_in_the_chats_zone() -> None:
    assert parse_span("22:00-07:00") == ("22:00", "07:00")
    assert parse_span("9:30 - 12:00") == ("09:30", "12:00")
    assert parse_span("22:00-22:00") is None and parse_span("25:00-07:00") is None and parse_span("late") is None
    night = datetime(2026, 3, 8, 5, 30, tzinfo=UTC)  # 00:30 EST; DST starts at 02:00
    assert quiet_until(night, NEW_YORK, "22:00", "07:00") == datetime(2026, 3, 8, 11, 0, tzinfo=UTC)  # 07:00 EDT
    assert quiet_until(datetime(2026, 3, 8, 2, 59, tzinfo=UTC), NEW_YORK, "22:00", "07:00") is None  # 21:59 EST
    assert quiet_until(datetime(2026, 3, 8, 3, 0, tzinfo=UTC), NEW_YORK, "22:00", "07:00") == datetime(
        2026, 3, 8, 11, 0, tzinfo=UTC)  # from 22:00 EST to 07:00 EDT: eight hours
    assert quiet_until(datetime(2026, 3, 8, 14, 0, tzinfo=UTC), NEW_YORK, "22:00", "07:00") is None
    assert quiet_until(datetime(2026, 3, 8, 14, 0, tzinfo=UTC), NEW_YORK, "09:00", "12:00") == datetime(
        2026, 3, 8, 16, 0, tzinfo=UTC)
