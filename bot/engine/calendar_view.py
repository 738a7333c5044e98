"""What /upcoming and /next show: watched or asked-about reports with their moment, whether the day
is confirmed, and the consensus EPS and revenue with their source, read in the chat's zone."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from bot.catalog import catalog
from bot.domain.figures import Expectation, Metric
from bot.domain.market_time import NEW_YORK
from bot.domain.moments import ReportMoment, zone_of
from bot.domain.tickers import is_valid_ticker, normalize_ticker
from bot.engine.subscriptions import get_chat, issuer_events, watched_companies
from bot.store.companies import find_company, share_class_ids, suggest_tickers
from bot.store.figures import latest_expectations
from bot.store.source_state import calendar_asked_key, get_source_state
from bot.store.tables import Company, EarningsEvent, EventState, saved_id

DEFAULT_DAYS = 7
MAX_DAYS = 90
SHOWN_METRICS = (Metric.EPS, Metric.REVENUE)


@dataclass(frozen=True)
class UpcomingReport:
    """One report as /upcoming and /next show it."""

    ticker: str
    company_name: str
    period_label: str
    moment: ReportMoment
    local_date: date
    confirmed: bool
    consensus: tuple[Expectation, ...]  # EPS, then revenue, each from its most trusted source


@dataclass(frozen=True)
class Upcoming:
    """The chat's watched reports from today through today + days - 1 (local days), in order."""

    zone: ZoneInfo
    today: date
    days: int
    reports: list[UpcomingReport]
    watched: int  # companies on the watchlist


@dataclass(frozen=True)
class NextLookup:
    """What /next found for a typed ticker."""

    typed: str
    zone: ZoneInfo
    ticker: str | None = None  # None: no such company
    company_name: str = ""
    report: UpcomingReport | None = None
    last_asked: datetime | None = None  # when the calendars were last asked about it
    suggestions: list[str] = field(default_factory=list)
    valid: bool = True  # a ticker at all

    @property
    def known(self) -> bool:
        return self.ticker is not None


def parse_days(args: list[str]) -> int | None:
    """Read /upcoming's DAYS: none means 7; 1 to 90 is accepted; anything else is None."""
    if not args:
        return DEFAULT_DAYS
    text = args[0].strip().lower().removesuffix("d")
    if len(args) > 1 or not text.isdecimal() or len(text) > 3:
        return None
    days = int(text)
    return days if 1 <= days <= MAX_DAYS else None


def chat_zone(session: Session, chat_id: int) -> ZoneInfo:
    chat = get_chat(session, chat_id)
    return zone_of(chat.timezone if chat is not None else None)


def upcoming(session: Session, chat_id: int, *, now: datetime, days: int) -> Upcoming:
    """Return the chat's watched reports whose local date falls in the next `days` days."""
    chat = get_chat(session, chat_id)
    zone = zone_of(chat.timezone if chat is not None else None)
    today = now.astimezone(zone).date()
    last = today + timedelta(days=days - 1)
    watched = watched_companies(session, chat) if chat is not None else []
    ticker_of = {saved_id(company): company.ticker for company in watched}
    # a day's margin: a report's local day may be the exchange's day before or after
    events = [(event, ticker_of[asked[0]]) for event, asked in issuer_events(
        session, watched, start=today - timedelta(days=1), end=last + timedelta(days=1)) if asked]
    reports = [describe(session, event, zone, ticker=ticker) for event, ticker in events]
    shown = sorted((r for r in reports if today <= r.local_date <= last), key=_order)
    return Upcoming(zone, today, days, shown, len(watched))


def _order(report: UpcomingReport) -> tuple[date, datetime, str]:
    """By local day, then moment (a report without a time of day last), then ticker."""
    moment = report.moment.moment or datetime.combine(report.moment.report_date, time(23, 59), NEW_YORK)
    return report.local_date, moment, report.ticker


def describe(session: Session, event: EarningsEvent, zone: ZoneInfo, *, ticker: str | None = None) -> UpcomingReport:
    """Return how one scheduled report reads: its moment in the zone, status and consensus."""
    company = session.get(Company, event.company_id)
    if event.report_date is None:
        raise ValueError(f"event {event.id} has no report date")
    moment = ReportMoment.of(event.report_date, event.timing, event.report_time)
    return UpcomingReport(
        ticker=ticker or (company.ticker if company else "?"), company_name=company.name if company else "",
        period_label=event.period_label, moment=moment, local_date=moment.local_date(zone),
        confirmed=event.date_status == "confirmed", consensus=shown_consensus(session, saved_id(event)),
    )


def shown_consensus(session: Session, event_id: int) -> tuple[Expectation, ...]:
    """Return the newest consensus EPS and revenue, each from the most trusted source that has one."""
    rank = {name: position for position, name in enumerate(catalog().calendar_priority)}
    rows = [row.to_domain() for row in latest_expectations(session, event_id)]
    chosen = []
    for metric in SHOWN_METRICS:
        candidates = [e for e in rows if e.figure.metric == metric and not e.source.startswith("chat:")]
        if candidates:
            chosen.append(min(candidates, key=lambda e: (rank.get(e.source, len(rank)), -e.as_of.timestamp())))
    return tuple(chosen)


def next_report(session: Session, chat_id: int, typed: str, *, now: datetime) -> NextLookup:
    """Return the next scheduled report of any company (watched or not), or close matches."""
    zone = chat_zone(session, chat_id)
    symbol = normalize_ticker(typed)
    if not is_valid_ticker(symbol):
        return NextLookup(typed[:20], zone, valid=False)
    company = find_company(session, symbol)
    if company is None:
        return NextLookup(symbol, zone, suggestions=[c.ticker for c in suggest_tickers(session, symbol)])
    today = now.astimezone(zone).date()
    events = session.exec(
        select(EarningsEvent).where(
            col(EarningsEvent.company_id).in_(share_class_ids(session, company)),
            EarningsEvent.state == EventState.SCHEDULED, col(EarningsEvent.report_date) >= today - timedelta(days=1),
        ).order_by(col(EarningsEvent.report_date), col(EarningsEvent.id))
    ).all()
    reports = (describe(session, event, zone, ticker=company.ticker) for event in events)
    report = next((r for r in reports if r.local_date >= today), None)
    asked = get_source_state(session, calendar_asked_key(company.ticker))
    return NextLookup(symbol, zone, company.ticker, company.name, report,
                      asked.last_success_at if asked is not None else None)
