"""Replies of /upcoming and /next, as Telegram HTML. Pure functions; every dynamic string escaped."""

from __future__ import annotations

from datetime import date, timedelta
from html import escape
from itertools import groupby

from bot.delivery.render import format_value, source_name
from bot.domain.figures import Expectation, Metric
from bot.domain.moments import describe_instant, describe_moment
from bot.engine.calendar_view import MAX_DAYS, NextLookup, Upcoming, UpcomingReport

UPCOMING_USAGE = (
    f"Use <code>/upcoming</code> for the next 7 days, or <code>/upcoming DAYS</code> with DAYS a whole "
    f"number from 1 to {MAX_DAYS}, e.g. <code>/upcoming 14</code>."
)
NEXT_USAGE = "Tell me which company, e.g. <code>/next NVDA</code>"


def consensus_text(consensus: tuple[Expectation, ...]) -> str:
    """Return 'EPS est. $0.84 (Nasdaq, 18 est.) · Revenue est. $37.72B (Finnhub)'."""
    if not consensus:
        return "no consensus stored yet"
    parts = []
    for expectation in consensus:
        name = "EPS" if expectation.figure.metric == Metric.EPS else "Revenue"
        source = source_name(expectation.source)
        if expectation.estimates:
            source += f", {expectation.estimates} est."
        parts.append(f"{name} est. {format_value(expectation.figure)} ({source})")
    return " · ".join(parts)


def _status(report: UpcomingReport) -> str:
    return "confirmed" if report.confirmed else "estimated"


def _day_title(day: date, today: date) -> str:
    names = {today: "Today, ", today + timedelta(days=1): "Tomorrow, "}
    return f"{names.get(day, '')}{day:%a %b %d}"


def _upcoming_line(report: UpcomingReport, upcoming: Upcoming) -> str:
    when = describe_moment(report.moment, upcoming.zone)
    when = when.removeprefix(f"{report.local_date:%a %b %d}, ")  # the day's title says it
    what = f" {report.period_label}" if report.period_label else ""
    return (f"<b>{escape(report.ticker)}</b>{escape(what)} · {escape(when)} · {_status(report)}\n"
            f"    {escape(consensus_text(report.consensus))}")


def upcoming_reply(upcoming: Upcoming) -> str:
    """Return the chat's upcoming reports grouped by local day, or how to get some."""
    last = upcoming.today + timedelta(days=upcoming.days - 1)
    span = "today" if upcoming.days == 1 else f"today through {last:%a %b %d}"
    if upcoming.watched == 0:
        return ("Your watchlist is empty, so nothing is upcoming. Add companies with "
                "<code>/watch NVDA MSFT</code>; <code>/next NVDA</code> shows any company's next report.")
    if not upcoming.reports:
        return (f"No reports from your {upcoming.watched} watched "
                f"{'company' if upcoming.watched == 1 else 'companies'} {span}. "
                "<code>/upcoming 30</code> looks further ahead; <code>/watch TICKER</code> adds companies.")
    lines = [f"<b>Upcoming reports</b>, {escape(span)} ({len(upcoming.reports)})"]
    for day, reports in groupby(upcoming.reports, key=lambda r: r.local_date):
        lines += ["", f"<b>{escape(_day_title(day, upcoming.today))}</b>"]
        lines += [_upcoming_line(report, upcoming) for report in reports]
    return "\n".join(lines)


def next_reply(found: NextLookup) -> str:
    """Return a company's next report, that none is known (and when the calendars were asked), or
    close matches for an unknown ticker."""
    if not found.valid:
        return f"⚠️ Not a ticker: {escape(found.typed)}. {NEXT_USAGE}"
    if not found.known:
        line = f"❓ I don't know the ticker {escape(found.typed)}"
        if found.suggestions:
            line += ". Did you mean " + " or ".join(escape(s) for s in found.suggestions) + "?"
        return line
    title = f"<b>{escape(found.ticker or '')}</b> {escape(found.company_name)}"
    report = found.report
    if report is None:
        if found.last_asked is None:
            return f"{title}\nNo report date known yet, and the calendars could not be asked; try again later."
        asked = describe_instant(found.last_asked, found.zone)
        return f"{title}\nNo report date known: the calendars had none when I last looked ({escape(asked)})."
    what = f"{report.period_label} report" if report.period_label else "Next report"
    return "\n".join([
        title,
        f"{escape(what)}: <b>{escape(describe_moment(report.moment, found.zone, year=True))}</b>",
        f"Date {_status(report)}" + ("" if report.confirmed else " (no confirmation from the company yet)"),
        escape(consensus_text(report.consensus)),
    ])
