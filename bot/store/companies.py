"""The company universe: load SEC's ticker list, look tickers up, suggest close matches.

    if company_tickers_due(session, now):
        upsert_companies(session, await fetch_company_tickers(...), now)
    find_company(session, "brk.b")          # -> the BRK-B row
    suggest_tickers(session, "APPL")        # -> [AAPL, ...]

Suggestions rank the companies loaded first higher among equals: SEC lists its tickers roughly by
market value, so the first load leaves the best-known companies with the lowest ids.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy import bindparam, insert, update
from sqlmodel import Session, col, select

from bot.domain.tickers import normalize_ticker
from bot.store.source_state import source_due
from bot.store.tables import Chat, ChatStatus, Company, FilerKind, Watch

SEC_TICKERS_KEY = "sec_tickers"
SEC_TICKERS_EVERY = timedelta(days=1)
_NAME_LENGTH = 200
_TICKER_LENGTH = 16


class CompanyListing(Protocol):
    """One listed company as a ticker list gives it (bot.sources.sec_tickers.TickerEntry)."""

    @property
    def ticker(self) -> str: ...

    @property
    def cik(self) -> int: ...

    @property
    def name(self) -> str: ...


def upsert_companies(session: Session, entries: Iterable[CompanyListing], now: datetime) -> int:
    """Insert new tickers and update the name / CIK of known ones; return how many rows changed.

    Nothing is deleted: a ticker missing from one download keeps its watches and history.
    """
    known = {
        ticker: (company_id, name, cik)
        for company_id, ticker, name, cik in session.execute(
            select(Company.id, Company.ticker, Company.name, Company.cik)
        )
    }
    inserts: list[dict[str, object]] = []
    updates: list[dict[str, object]] = []
    seen: set[str] = set()
    for entry in entries:
        ticker = normalize_ticker(entry.ticker)
        if not ticker or len(ticker) > _TICKER_LENGTH or ticker in seen:
            continue
        seen.add(ticker)
        name = entry.name.strip()[:_NAME_LENGTH]
        current = known.get(ticker)
        if current is None:
            inserts.append({
                "ticker": ticker, "name": name, "cik": entry.cik, "currency": "USD",
                "filer_kind": FilerKind.DOMESTIC.value, "updated_at": now,
            })
        elif (current[1], current[2]) != (name, entry.cik):
            updates.append({"id": current[0], "name": name, "cik": entry.cik, "updated_at": now})
    if inserts:
        session.execute(insert(Company), inserts)
    if updates:
        session.execute(update(Company), updates)
    session.flush()
    return len(inserts) + len(updates)


_BY_TICKER = select(Company).where(Company.ticker == bindparam("ticker"))  # built once: every /watch asks it


def find_company(session: Session, raw_ticker: str) -> Company | None:
    """Return the company with this ticker in any spelling (brk.b, BRK/B, $brk-b)."""
    ticker = normalize_ticker(raw_ticker)
    if not ticker:
        return None
    return session.exec(_BY_TICKER, params={"ticker": ticker}).first()


def share_class_ids(session: Session, company: Company) -> list[int]:
    """Return the ids of every listed class of the company's stock (GOOG and GOOGL share a CIK)."""
    if company.cik is None:
        return [company.id] if company.id is not None else []
    ids = session.exec(select(Company.id).where(Company.cik == company.cik)).all()
    return [company_id for company_id in ids if company_id is not None]


def issuer_watchers(session: Session, company: Company) -> list[int]:
    """Return the active chats that watch any listed class of the company's stock, once each."""
    return list(session.exec(
        select(Watch.chat_pk).distinct()
        .join(Chat, col(Chat.id) == col(Watch.chat_pk))
        .where(col(Watch.company_id).in_(share_class_ids(session, company)), Chat.status == ChatStatus.ACTIVE)
    ).all())


def suggest_tickers(session: Session, raw: str, limit: int = 3) -> list[Company]:
    """Return up to limit companies the user may have meant: close tickers or a name match.

    "APPL" -> AAPL (one letter off), "BRK" -> BRK-A / BRK-B (prefix), "nvidia" -> NVDA (name).
    """
    query = normalize_ticker(raw)
    word = " ".join(raw.split()).casefold().lstrip("$")
    if not query or limit <= 0:
        return []
    listing = session.execute(select(Company.id, Company.ticker, Company.name)).all()
    ranked = rank_suggestions(query, word, [(row[0], row[1], row[2]) for row in listing])
    chosen = ranked[:limit]
    if not chosen:
        return []
    companies = {
        c.id: c for c in session.exec(select(Company).where(col(Company.id).in_(chosen))).all()
    }
    return [companies[company_id] for company_id in chosen if company_id in companies]


def rank_suggestions(
    query: str, word: str, listing: Sequence[tuple[int, str, str]]
) -> list[int]:
    """Return company ids ordered from the likeliest meant to the least; unrelated ones left out."""
    name_pattern = (
        re.compile(rf"(?<!\w){re.escape(word)}(?!\w)")
        if len(word) >= 3 and any(ch.isalpha() for ch in word) else None
    )
    max_distance = 1 if len(query) <= 4 else 2
    query_letters = frozenset(query)
    best: dict[int, tuple[int, int]] = {}
    for company_id, ticker, name in listing:
        scores = [_ticker_score(query, query_letters, ticker, max_distance)]
        if name_pattern is not None:
            position = _name_position(name_pattern, name)
            if position is not None:
                # A name that starts with the word ("nvidia" -> NVIDIA CORP) beats a near ticker.
                scores.append((1, 0) if position == 0 else (4, 0))
        found = [score for score in scores if score is not None]
        if found:
            best[company_id] = min(found)
    return sorted(best, key=lambda company_id: (best[company_id], company_id))


def _ticker_score(
    query: str, query_letters: frozenset[str], ticker: str, max_distance: int
) -> tuple[int, int] | None:
    length_gap = abs(len(ticker) - len(query))
    if ticker == query:
        return (0, 0)
    if len(query) >= 2 and (ticker.startswith(query + "-") or query.startswith(ticker + "-")):
        return (2, 0)  # a share class of the same company: BRK -> BRK-B before BRKR
    if len(query) >= 2 and ticker.startswith(query):
        return (2, length_gap)  # NVD -> NVDA
    # Each letter of the query missing from the ticker costs an edit: a cheap way to skip most.
    if length_gap > max_distance or len(query_letters.difference(ticker)) > max_distance:
        return None
    distance = edit_distance(query, ticker, max_distance)
    if distance is None:
        return None
    return (2 + distance, length_gap)


def _name_position(pattern: re.Pattern[str], name: str) -> int | None:
    match = pattern.search(name.casefold())
    return match.start() if match else None


def edit_distance(a: str, b: str, limit: int) -> int | None:
    """Return the edit distance (an adjacent swap counts as one edit), or None above limit."""
    if abs(len(a) - len(b)) > limit:
        return None
    previous_previous: list[int] = []
    previous = list(range(len(b) + 1))
    for i, char_a in enumerate(a, 1):
        current = [i] + [0] * len(b)
        for j, char_b in enumerate(b, 1):
            cost = 0 if char_a == char_b else 1
            value = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and char_a == b[j - 2] and a[i - 2] == char_b:
                value = min(value, previous_previous[j - 2] + 1)
            current[j] = value
        if min(current) > limit:
            return None
        previous_previous, previous = previous, current
    return previous[-1] if previous[-1] <= limit else None


def company_tickers_due(session: Session, now: datetime) -> bool:
    """Return True when SEC's ticker list has not been loaded today (and SEC is not backing us off)."""
    return source_due(session, SEC_TICKERS_KEY, now, SEC_TICKERS_EVERY)
