"""Subscriptions: chats, their watchlists, and what the user sees of them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import bindparam, or_, update
from sqlmodel import Session, col, select

from bot.domain.market_time import new_york_date
from bot.domain.tickers import is_valid_ticker, normalize_ticker
from bot.store.companies import find_company, suggest_tickers
from bot.store.history import is_seeded
from bot.store.tables import (
    Chat,
    ChatStatus,
    Company,
    Delivery,
    DeliveryStatus,
    EarningsEvent,
    EventState,
    Watch,
    saved_id,
)

MAX_WATCHLIST = 200
MAX_TICKERS_PER_COMMAND = 50


@dataclass
class WatchResult:
    """What /watch did, ticker by ticker."""

    added: list[str] = field(default_factory=list)
    already: list[str] = field(default_factory=list)
    unknown: list[tuple[str, list[str]]] = field(default_factory=list)  # (typed, suggestions)
    invalid: list[str] = field(default_factory=list)
    over_limit: list[str] = field(default_factory=list)
    truncated: bool = False
    paused: bool = False  # the chat sent /stop: watching works, alerts stay off until /start
    not_looked_up: list[str] = field(default_factory=list)  # typed while no company was known yet
    unscheduled: list[str] = field(default_factory=list)  # added, no upcoming report known yet
    unseeded: list[str] = field(default_factory=list)  # added, its past results not read yet

    @property
    def catalog_empty(self) -> bool:
        """Some tickers could not be looked up: SEC's company list is still loading."""
        return bool(self.not_looked_up)

    def merged(self, retry: WatchResult) -> WatchResult:
        """This result with a retry of its not-looked-up tickers folded in."""
        return WatchResult(
            added=self.added + retry.added, already=self.already + retry.already,
            unknown=self.unknown + retry.unknown, invalid=self.invalid + retry.invalid,
            over_limit=self.over_limit + retry.over_limit, truncated=self.truncated or retry.truncated,
            paused=retry.paused, not_looked_up=retry.not_looked_up,
            unscheduled=self.unscheduled + retry.unscheduled, unseeded=self.unseeded + retry.unseeded,
        )


@dataclass
class UnwatchResult:
    """What /unwatch did."""

    removed: list[str] = field(default_factory=list)
    not_watched: list[str] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)
    truncated: bool = False


@dataclass(frozen=True)
class WatchlistEntry:
    """One watched company and its next report."""

    ticker: str
    name: str
    report_date: date | None
    timing: str | None
    date_status: str | None
    period_label: str | None
    report_time: datetime | None = None  # the exact moment, when a source gave one


def register_chat(
    session: Session, chat_id: int, *, kind: str = "private", title: str | None = None, now: datetime
) -> tuple[Chat, bool]:
    """Create the chat or make it active again; return (chat, is_new)."""
    chat = get_chat(session, chat_id)
    is_new = chat is None
    if chat is None:
        chat = Chat(chat_id=chat_id, kind=kind, title=title, created_at=now, updated_at=now)
    chat.status = ChatStatus.ACTIVE
    chat.kind = kind
    chat.title = title
    chat.updated_at = now
    session.add(chat)
    session.flush()
    return chat, is_new


# The statements every command asks, built once: building one costs about as much as running it.
_CHAT_BY_ID = select(Chat).where(Chat.chat_id == bindparam("chat_id"))
_WATCHED_IDS = select(Watch.company_id).where(Watch.chat_pk == bindparam("chat_pk"))
_WATCHED_COMPANIES = (select(Company).join(Watch, col(Watch.company_id) == col(Company.id))
                      .where(Watch.chat_pk == bindparam("chat_pk")).order_by(col(Company.ticker)))
# scheduled events of the issuers (by CIK: any listed class of their stock), or of companies without one
_SCHEDULED_FROM = (select(EarningsEvent, Company.cik).join(Company, col(Company.id) == col(EarningsEvent.company_id))
                   .where(or_(col(Company.cik).in_(bindparam("ciks", expanding=True)),
                              col(EarningsEvent.company_id).in_(bindparam("company_ids", expanding=True))),
                          EarningsEvent.state == EventState.SCHEDULED,
                          col(EarningsEvent.report_date) >= bindparam("start"),
                          col(EarningsEvent.report_date) <= bindparam("end"))
                   .order_by(col(EarningsEvent.report_date), col(EarningsEvent.id)))


def get_chat(session: Session, chat_id: int) -> Chat | None:
    """Return the chat with this Telegram id, if known."""
    return session.exec(_CHAT_BY_ID, params={"chat_id": chat_id}).first()


def stop_chat(session: Session, chat_id: int, *, now: datetime) -> bool:
    """Stop all alerts to the chat and cancel what is pending; return False if it was not known."""
    chat = get_chat(session, chat_id)
    if chat is None:
        return False
    chat.status = ChatStatus.STOPPED
    chat.updated_at = now
    session.add(chat)
    pending = session.exec(
        select(Delivery).where(
            Delivery.chat_pk == chat.id, col(Delivery.status).in_([DeliveryStatus.PENDING])
        )
    ).all()
    for delivery in pending:
        delivery.status = DeliveryStatus.CANCELLED
        delivery.last_error = "chat sent /stop"
        session.add(delivery)
    return True


def reactivate_chat(session: Session, chat_pk: int, *, now: datetime) -> None:
    """Mark a chat active again (it sent /start); alerts cancelled meanwhile stay cancelled."""
    session.exec(update(Chat).where(col(Chat.id) == chat_pk).values(status=ChatStatus.ACTIVE, updated_at=now))


def parse_tickers(args: list[str]) -> list[str]:
    """Split arguments on spaces and commas, drop duplicates (BRK.B and brk-b are one), keep order."""
    seen: dict[str, str] = {}
    for arg in args:
        for part in arg.replace(",", " ").split():
            seen.setdefault(normalize_ticker(part) or part, part)
    return list(seen.values())


def watch(session: Session, chat_id: int, raw_tickers: list[str], *, now: datetime,
          kind: str = "private", title: str | None = None) -> WatchResult:
    """Add companies to the chat's watchlist, up to MAX_WATCHLIST."""
    result = WatchResult()
    chat = get_chat(session, chat_id) or register_chat(session, chat_id, kind=kind, title=title, now=now)[0]
    if chat.status == ChatStatus.BLOCKED:  # the chat writes to us again, so it unblocked the bot
        chat.status, chat.updated_at = ChatStatus.ACTIVE, now
        session.add(chat)
    result.paused = chat.status == ChatStatus.STOPPED
    if len(raw_tickers) > MAX_TICKERS_PER_COMMAND:
        raw_tickers = raw_tickers[:MAX_TICKERS_PER_COMMAND]
        result.truncated = True
    watched = set(session.exec(_WATCHED_IDS, params={"chat_pk": chat.id}).all())
    catalog = _Catalog(session)
    for raw in raw_tickers:
        company = _look_up(session, raw, result, catalog)
        if company is None:
            continue
        if company.id in watched:
            result.already.append(company.ticker)
            continue
        if len(watched) >= MAX_WATCHLIST:
            result.over_limit.append(company.ticker)
            continue
        session.add(Watch(chat_pk=saved_id(chat), company_id=saved_id(company), created_at=now))
        watched.add(saved_id(company))
        result.added.append(company.ticker)
        if company.id not in next_events(session, [company], today=new_york_date(now)):
            result.unscheduled.append(company.ticker)
        if not is_seeded(session, saved_id(company)):
            result.unseeded.append(company.ticker)
    session.flush()
    return result


class _Catalog:
    """Whether SEC's company list is stored yet, asked at most once per command and only when a
    ticker is not found: the list is stored in one transaction, so a list that is there is whole,
    and while none is there nothing is looked up (a retry looks up once it lands)."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self._empty: bool | None = None

    @property
    def empty(self) -> bool:
        if self._empty is None:
            self._empty = self.session.exec(select(Company.id).limit(1)).first() is None
        return self._empty


def _look_up(session: Session, raw: str, result: WatchResult, catalog: _Catalog) -> Company | None:
    """Return the company typed, or note on result why there is none (not a ticker, unknown, or not
    looked up because no company is known yet)."""
    symbol = normalize_ticker(raw)
    if not is_valid_ticker(symbol):
        result.invalid.append(raw[:20])
        return None
    company = find_company(session, symbol)
    if company is not None:
        return company
    if catalog.empty:
        result.not_looked_up.append(raw)
        return None
    company = find_company(session, symbol)  # again: the list may have landed since the first look
    if company is None:
        result.unknown.append((symbol, [c.ticker for c in suggest_tickers(session, symbol)]))
    return company


def unwatch(session: Session, chat_id: int, raw_tickers: list[str]) -> UnwatchResult:
    """Remove companies from the chat's watchlist."""
    result = UnwatchResult(truncated=len(raw_tickers) > MAX_TICKERS_PER_COMMAND)
    chat = get_chat(session, chat_id)
    for raw in raw_tickers[:MAX_TICKERS_PER_COMMAND]:
        symbol = normalize_ticker(raw)
        company = find_company(session, symbol) if is_valid_ticker(symbol) else None
        if company is None:
            result.unknown.append(symbol[:20] or raw[:20])
            continue
        row = None
        if chat is not None:
            row = session.exec(
                select(Watch).where(Watch.chat_pk == chat.id, Watch.company_id == company.id)
            ).first()
        if row is None:
            result.not_watched.append(company.ticker)
            continue
        session.delete(row)
        result.removed.append(company.ticker)
    session.flush()
    return result


def watchlist(session: Session, chat_id: int, *, today: date) -> list[WatchlistEntry]:
    """Return the chat's companies, each with its next (or due, unreported) report."""
    chat = get_chat(session, chat_id)
    return watchlist_of(session, chat, today=today) if chat is not None else []


def watched_companies(session: Session, chat: Chat) -> list[Company]:
    """The chat's companies, by ticker."""
    return list(session.exec(_WATCHED_COMPANIES, params={"chat_pk": chat.id}).all())


def watchlist_of(session: Session, chat: Chat, *, today: date) -> list[WatchlistEntry]:
    """The same for a chat already read."""
    companies = watched_companies(session, chat)
    upcoming = next_events(session, companies, today=today)
    entries = []
    for company in companies:
        event = upcoming.get(saved_id(company))
        entries.append(
            WatchlistEntry(
                ticker=company.ticker,
                name=company.name,
                report_date=event.report_date if event else None,
                timing=event.timing if event else None,
                date_status=event.date_status if event else None,
                period_label=event.period_label if event else None,
                report_time=event.report_time if event else None,
            )
        )
    return entries


def issuer_events(session: Session, companies: Sequence[Company], *, start: date,
                  end: date = date.max) -> list[tuple[EarningsEvent, list[int]]]:
    """Return the scheduled events from start to end (earliest first) of these companies' issuers,
    each with the ids of the asked companies it belongs to: an event stored under any class of the
    stock (same CIK) belongs to every class asked; one statement for them all."""
    by_cik: dict[int, list[int]] = {}  # issuer -> the asked companies it lists
    by_id: dict[int, list[int]] = {}  # a company without a CIK is its only class
    for company in companies:
        if company.id is not None:
            (by_cik.setdefault(company.cik, []) if company.cik is not None else by_id.setdefault(company.id, [])
             ).append(company.id)
    if not by_cik and not by_id:
        return []
    rows = session.exec(_SCHEDULED_FROM, params={
        "ciks": sorted(by_cik), "company_ids": sorted(by_id), "start": start, "end": end}).all()
    return [(event, by_cik.get(cik, []) if cik is not None else by_id.get(event.company_id, []))
            for event, cik in rows]


def next_events(session: Session, companies: Sequence[Company], *, today: date,
                overdue_days: int = 5) -> dict[int, EarningsEvent]:
    """Return, per company, the issuer's earliest scheduled event from a few days ago on (an event
    stored under another class of its stock counts: GOOG shows Alphabet's report listed as GOOGL)."""
    if not companies:
        return {}
    from datetime import timedelta

    result: dict[int, EarningsEvent] = {}
    for event, asked in issuer_events(session, companies, start=today - timedelta(days=overdue_days)):
        for company_id in asked:
            result.setdefault(company_id, event)
    return result
