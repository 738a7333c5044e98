"""Render reminders and the weekly preview as Telegram HTML, read in the chat's zone. Pure functions."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from html import escape
from zoneinfo import ZoneInfo

from bot.delivery.render import format_value, metric_name, source_name
from bot.domain.figures import Expectation, Metric
from bot.domain.market_time import NEW_YORK, TIMING_LABELS, Timing
from bot.domain.moments import ReportMoment, is_exchange_zone, zone_of
from bot.domain.reminder_times import ReminderKind
from bot.engine.alerts import PreviewAlert, ReminderAlert, UpcomingReport

REMINDER_TITLES = {ReminderKind.TOMORROW: "Tomorrow", ReminderKind.TODAY: "Today"}
NO_CONSENSUS = "No consensus stored yet."


def when_text(report: ReportMoment, zone: ZoneInfo) -> str:
    """Return 'Wed Feb 26 after the close (Thu 05:20 your time)': the exchange's day and timing,
    and the local moment beside it ('~' when estimated from the timing; 'ET' in New York)."""
    text = f"{report.report_date:%a %b %d}"
    if report.timing is not Timing.UNKNOWN:
        text += f" {TIMING_LABELS[report.timing]}"
    if report.moment is None:
        return f"{text}, {TIMING_LABELS[Timing.UNKNOWN]}"
    if is_exchange_zone(zone):
        return f"{text} ({report.moment.astimezone(NEW_YORK):%H:%M} ET)" if report.exact else text
    local = report.moment.astimezone(zone)
    approx = "" if report.exact else "~"
    return f"{text} ({local:%a} {approx}{local:%H:%M} your time)"


def consensus_text(expectations: Sequence[Expectation]) -> str:
    """Return 'Consensus EPS $0.84 (Nasdaq, 18 est.) · revenue $38.10B (Finnhub).'"""
    if not expectations:
        return NO_CONSENSUS
    parts = []
    for expectation in expectations:
        figure = expectation.figure
        name = "EPS" if figure.metric == Metric.EPS else metric_name(figure.metric).lower()
        source = source_name(expectation.source)
        if expectation.estimates:
            source += f", {expectation.estimates} est."
        parts.append(f"{name} {format_value(figure)} ({source})")
    return "Consensus " + " · ".join(parts) + "."


def _report_line(upcoming: UpcomingReport, zone: ZoneInfo) -> str:
    label = f" {escape(upcoming.period_label)}" if upcoming.period_label else ""
    return (f"<b>{escape(upcoming.ticker)}</b>{label}, {escape(when_text(upcoming.report, zone))}. "
            f"{escape(consensus_text(upcoming.consensus))}")


def render_reminder(alert: ReminderAlert) -> str:
    """Return '⏰ Tomorrow: NVDA Q4 FY2025, Wed Feb 26 after the close (Thu 05:20 your time). Consensus …'"""
    return f"⏰ <b>{REMINDER_TITLES[alert.kind]}</b>: {_report_line(alert.upcoming, zone_of(alert.zone))}"


def render_preview(alert: PreviewAlert) -> str:
    """Return the weekly preview: the coming week's reports grouped by local day, with timing and
    consensus."""
    zone = zone_of(alert.zone)
    sunday = alert.week_start + timedelta(days=6)
    lines = [f"🗓 <b>Your week ahead</b>: {alert.week_start:%a %b %d} to {sunday:%a %b %d}"]
    day = None
    for upcoming in alert.upcoming:
        local_day = upcoming.report.local_date(zone)
        if local_day != day:
            day = local_day
            lines += ["", f"<b>{local_day:%a %b %d}</b>"]
        lines.append(_report_line(upcoming, zone))
    return "\n".join(lines)
