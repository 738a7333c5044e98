"""Replies to commands, as Telegram HTML. Pure functions; every dynamic string escaped."""

from __future__ import annotations

from html import escape
from zoneinfo import ZoneInfo

from bot.domain.market_time import NEW_YORK
from bot.domain.moments import ReportMoment, describe_moment, describe_time, is_exchange_zone
from bot.engine.preferences import QuietSetting
from bot.engine.race import RaceLine
from bot.engine.status import RACE_TITLE, StatusReport
from bot.engine.subscriptions import (
    MAX_TICKERS_PER_COMMAND,
    MAX_WATCHLIST,
    UnwatchResult,
    WatchlistEntry,
    WatchResult,
)

COMMANDS = (
    ("start", "Subscribe and see how the bot works"),
    ("watch", "Follow companies: /watch NVDA MSFT"),
    ("unwatch", "Stop following: /unwatch NVDA"),
    ("watchlist", "Your companies and their next report dates"),
    ("upcoming", "Your companies' reports in the next days: /upcoming 14"),
    ("next", "Any company's next report: /next NVDA"),
    ("last", "A company's latest result with every comparison: /last NVDA"),
    ("expect", "Your own number for a report: /expect NVDA eps 0.90"),
    ("expectations", "Your own numbers beside the consensus"),
    ("chart", "EPS and revenue vs consensus, last 8 quarters: /chart NVDA"),
    ("settings", "Alert kinds, reminders, in-line band, minimum surprise, time zone, quiet hours"),
    ("quiet", "Quiet hours: /quiet 22:00-07:00, /quiet off"),
    ("timezone", "Your time zone for report times: /timezone Shanghai"),
    ("status", "Data sources and delivery health"),
    ("stop", "Pause all alerts (/start resumes)"),
    ("forget", "Delete everything stored about this chat"),
    ("help", "All commands"),
)

WELCOME = (
    "👋 <b>Earnings alerts</b>\n"
    "I tell you within seconds when a company you watch reports, and whether it beat or missed "
    "each consensus I track (vendor and basis named: GAAP or adjusted), and when a report moves.\n\n"
    "/watch NVDA MSFT: follow companies\n"
    "/watchlist: your companies and their next report dates\n"
    "/upcoming: their reports in the next 7 days; /next NVDA: any company's next report\n"
    "/last NVDA: a company's latest result, with growth, streak and outlook\n"
    "/unwatch NVDA: stop following\n"
    "/timezone Shanghai: see report times in your time zone (New York's until you set one)\n"
    "/settings: alert kinds, reminders, the Sunday preview, your in-line band and minimum surprise\n"
    "/quiet 22:00-07:00: quiet hours, only results come then\n"
    "/stop: pause all alerts; /start resumes\n"
    "/help: all commands"
)
WELCOME_BACK = "👋 Welcome back: alerts are on again for your watchlist. /watchlist shows it."


def help_text(*, is_admin: bool = False) -> str:
    """Return the command list."""
    lines = ["<b>Commands</b>"]
    lines += [f"/{name}: {escape(text)}" for name, text in COMMANDS]
    if is_admin:
        lines += ["", "<b>Admin</b>", "/stats: chats and deliveries", "/broadcast TEXT: message every active chat",
                  "Send a .csv file: import expectations (columns ticker,period,metric,value,unit,currency,basis,source)"]
    lines += [
        "",
        f"Tickers may be written BRK.B, BRK-B or BRK/B. Up to {MAX_WATCHLIST} companies per chat.",
    ]
    return "\n".join(lines)


def watch_usage() -> str:
    return "Tell me which companies to follow, e.g. <code>/watch NVDA MSFT BABA</code>"


def unwatch_usage() -> str:
    return "Tell me which companies to drop, e.g. <code>/unwatch NVDA</code>"


def watch_reply(result: WatchResult) -> str:
    """Return what /watch did, ticker by ticker."""
    lines = []
    if result.added:
        lines.append("✅ Watching " + ", ".join(escape(t) for t in result.added))
    if result.already:
        lines.append("Already watching " + ", ".join(escape(t) for t in result.already))
    if result.catalog_empty:
        lines.append(COMPANIES_LOADING)
    for typed, suggestions in result.unknown:
        line = f"❓ I don't know the ticker {escape(typed)}"
        if suggestions:
            line += ". Did you mean " + " or ".join(escape(s) for s in suggestions) + "?"
        lines.append(line)
    if result.invalid:
        lines.append("⚠️ Not a ticker: " + ", ".join(escape(t) for t in result.invalid))
    if result.over_limit:
        lines.append(
            f"⚠️ Your watchlist is full ({MAX_WATCHLIST} companies); not added: "
            + ", ".join(escape(t) for t in result.over_limit)
        )
    if result.truncated:
        lines.append(f"Only the first {MAX_TICKERS_PER_COMMAND} tickers of one command are read.")
    if result.added and result.paused:
        lines.append("🔕 Alerts are paused for this chat since /stop; /start turns them back on.")
    elif result.added:
        lines.append("I'll alert you when they report. /watchlist shows their dates.")
    return "\n".join(lines) or watch_usage()


def unwatch_reply(result: UnwatchResult) -> str:
    """Return what /unwatch did."""
    lines = []
    if result.removed:
        lines.append("Stopped watching " + ", ".join(escape(t) for t in result.removed))
    if result.not_watched:
        lines.append("You weren't watching " + ", ".join(escape(t) for t in result.not_watched))
    if result.unknown:
        lines.append("❓ Unknown ticker: " + ", ".join(escape(t) for t in result.unknown))
    if result.truncated:
        lines.append(f"Only the first {MAX_TICKERS_PER_COMMAND} tickers of one command are read.")
    return "\n".join(lines) or unwatch_usage()


def watchlist_reply(entries: list[WatchlistEntry], zone: ZoneInfo = NEW_YORK) -> str:
    """Return the watchlist with each company's next report: in the chat's zone, ET beside it."""
    if not entries:
        return "Your watchlist is empty. Add companies with <code>/watch NVDA MSFT</code>"
    lines = [f"<b>Your watchlist</b> ({len(entries)})"]
    if not is_exchange_zone(zone):
        lines[0] += f" · times in {escape(zone.key)}"
    for entry in entries:
        line = f"<b>{escape(entry.ticker)}</b> {escape(entry.name)}"
        if entry.report_date is not None:
            report = ReportMoment.of(entry.report_date, entry.timing or "unknown", entry.report_time)
            when = describe_moment(report, zone, year=True, note_closed=True)
            if entry.date_status != "confirmed":
                when += " (estimated)"
            if entry.period_label:
                when = f"{entry.period_label}: {when}"
            line += f"\n    next report {escape(when)}"
        else:
            line += "\n    next report date not known yet"
        lines.append(line)
    return "\n".join(lines)


COMPANIES_LOADING = "⏳ The company list is loading, try again in a minute."
STOPPED = "🔕 Alerts are off for this chat. Your watchlist is kept; /start turns alerts back on."
NOT_SUBSCRIBED = "This chat has no subscription yet. /start begins one."
NOT_A_COMMAND = "I understand commands, e.g. <code>/watch NVDA</code>. /help lists them all."
UNKNOWN_COMMAND = "I don't know that command. /help lists what I can do."
INTERNAL_ERROR = "Sorry, something went wrong on my side. Nothing was lost; please try again."
ADMIN_ONLY = "Sorry, that command is for the bot's administrators only."


QUIET_USAGE = (
    "Use <code>/quiet 22:00-07:00</code> (your time) for quiet hours: only results reach you then, "
    "everything else waits until they end. <code>/quiet 22:00-07:00 all</code> holds results too; "
    "<code>/quiet off</code> ends them; <code>/quiet</code> shows them."
)


def quiet_text(quiet: QuietSetting, *, changed: bool = False) -> str:
    """Return what /quiet shows or did."""
    if quiet.start is None or quiet.end is None:
        return "🔔 Quiet hours are off: alerts come at any hour." + ("" if changed else "\n" + QUIET_USAGE)
    held = "everything waits, results too" if quiet.everything else "only results reach you, the rest waits"
    prefix = "🌙 Quiet hours set" if changed else "🌙 Quiet hours"
    return (f"{prefix}: {escape(quiet.start)} to {escape(quiet.end)} ({escape(quiet.zone)} time); "
            f"{held} until they end. <code>/quiet off</code> ends them.")


def race_line(line: RaceLine) -> str:
    """Return 'GlobeNewswire: first 12/15, median lag 74 s' (no lag when it was always first)."""
    return escape(line.text())


def status_text(report: StatusReport, zone: ZoneInfo = NEW_YORK) -> str:
    """Return the /status reply: each source's last success or error, and the pending deliveries."""
    lines = ["<b>Status</b>"]
    if not report.sec_configured:
        lines.append("⚠️ SEC EDGAR: off (SEC_USER_AGENT with a contact e-mail is not set)")
    if not report.finnhub_configured:
        lines.append("Finnhub: off (no FINNHUB_API_KEY; revenue consensus comes only from other sources)")
    for source in report.sources:
        line = f"{escape(source.name or source.key)}: "
        if source.backing_off_until:
            line += f"⏸ backing off until {escape(describe_time(source.backing_off_until, zone, '%H:%M'))}; "
        if source.last_success_at:
            line += f"ok {escape(describe_time(source.last_success_at, zone, '%b %d %H:%M:%S'))}"
        else:
            line += "no success yet"
        if source.last_error:
            line += f"; last error: {escape(source.last_error[:120])}"
        if source.stale:
            line += f"; ⚠️ stale: {escape(source.stale)}"
        lines.append(line)
    if report.race:
        lines.append(f"<b>{RACE_TITLE}</b>")
        lines.extend(race_line(line) for line in report.race)
    lines.append(f"Messages waiting to be sent: {report.pending_messages}")
    return "\n".join(lines)
