"""What the feed poller keeps per feed in the database: its name, its conditional-GET validators and
when it started failing (the source_state cursor), the items already looked at, and whether it is
stale (no item published for 30 days, none at all since its first read 30 days ago, or failing for
an hour)."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlparse

from sqlalchemy import func
from sqlmodel import Session, col, select

from bot.domain.market_time import as_utc
from bot.sources.feeds.client import Validators
from bot.store.companies import find_company
from bot.store.tables import FeedItemSeen, SourceState

KEY_PREFIX = "feed:"
SILENT_STALE = timedelta(days=30)
FAILING_STALE = timedelta(hours=1)
_CURSOR_LENGTH = 200
_WIRE_NAMES = (("globenewswire", "GlobeNewswire"), ("prnewswire", "PR Newswire"), ("businesswire", "Business Wire"))
_LEGAL = frozenset({"inc", "inc.", "corp", "corp.", "corporation", "co", "co.", "ltd", "ltd.", "plc", "nv", "n.v.",
                    "sa", "s.a.", "ag", "se", "limited", "company", "holdings", "group", "the"})


@dataclass(frozen=True)
class Feed:
    """One feed the poller reads: its URL, its name as users know it, its bookkeeping key, and the
    company an IR feed belongs to."""

    url: str
    name: str
    key: str
    ticker: str | None = None


def wire_feed(url: str) -> Feed:
    """A newswire feed, named after its service ("GlobeNewswire", "PR Newswire") or its host."""
    where = url.lower()
    name = next((shown for word, shown in _WIRE_NAMES if word in where), urlparse(url).hostname or url)
    return Feed(url=url, name=name, key=(KEY_PREFIX + name)[:64])


def ir_feed(ticker: str, url: str, company_name: str) -> Feed:
    """A company's IR feed, named after the company ("NVIDIA IR", "Apple IR")."""
    words = company_name.replace(",", " ").split()
    while len(words) > 1 and words[-1].lower() in _LEGAL:
        words.pop()
    return Feed(url=url, name=f"{' '.join(words) or ticker} IR"[:40], key=f"{KEY_PREFIX}{ticker} IR"[:64],
                ticker=ticker)


@dataclass(frozen=True)
class Cursor:
    """The validators to send back and when the feed began failing, as kept in source_state.cursor."""

    validators: Validators = Validators()
    failing_since: datetime | None = None
    read_since: datetime | None = None  # the first read: an empty feed is stale 30 days after it
    newest_item: datetime | None = None  # the newest publication the feed ever showed

    def dump(self) -> str:
        data = {"e": self.validators.etag, "m": self.validators.last_modified,
                "f": self.failing_since.isoformat() if self.failing_since else None,
                "s": self.read_since.isoformat() if self.read_since else None,
                "p": self.newest_item.isoformat() if self.newest_item else None}
        text = json.dumps({k: v for k, v in data.items() if v})
        if len(text) > _CURSOR_LENGTH:  # an overlong ETag is dropped: Last-Modified still works
            data["e"] = None
            text = json.dumps({k: v for k, v in data.items() if v})
        return text[:_CURSOR_LENGTH]


def read_cursor(state: SourceState | None) -> Cursor:
    if state is None or not state.cursor:
        return Cursor()
    try:
        data = json.loads(state.cursor)
    except ValueError:
        return Cursor()
    return Cursor(Validators(etag=data.get("e"), last_modified=data.get("m")), _moment(data.get("f")),
                  _moment(data.get("s")), _moment(data.get("p")))


def _moment(text: object) -> datetime | None:
    try:
        return datetime.fromisoformat(text) if isinstance(text, str) else None
    except ValueError:
        return None


def item_digest(feed: Feed, guid: str) -> str:
    return hashlib.sha256(f"{feed.url}\n{guid}".encode()).hexdigest()


def unseen(session: Session, feed: Feed, guids: list[str]) -> set[str]:
    """Return the guids of the feed never looked at before."""
    digests = {item_digest(feed, guid): guid for guid in guids}
    known = set(session.exec(select(FeedItemSeen.digest).where(col(FeedItemSeen.digest).in_(list(digests)))).all())
    return {guid for digest, guid in digests.items() if digest not in known}


def mark_seen(session: Session, feed: Feed, guids: list[str], now: datetime) -> None:
    for guid in dict.fromkeys(guids):
        session.add(FeedItemSeen(digest=item_digest(feed, guid), feed=feed.key, seen_at=now))
    session.flush()


def last_new_item(session: Session, key: str) -> datetime | None:
    """When the feed last showed an item not seen before."""
    return session.exec(select(func.max(FeedItemSeen.seen_at)).where(FeedItemSeen.feed == key)).one()


def stale_reason(session: Session, state: SourceState, now: datetime) -> str | None:
    """Why a feed is stale ("no new item for 30 days", "failing for an hour"), or None."""
    if not state.key.startswith(KEY_PREFIX):
        return None
    cursor = read_cursor(state)
    if cursor.failing_since is not None and as_utc(now) - as_utc(cursor.failing_since) >= FAILING_STALE:
        return "failing for over an hour"
    # the newest item it ever published (a feed stuck on an old item is stale at its first read);
    # an empty feed counts from its first read
    newest = cursor.newest_item or cursor.read_since or last_new_item(session, state.key)
    if newest is not None and as_utc(now) - as_utc(newest) >= SILENT_STALE:
        return "no new item for 30 days"
    return None


def feed_name(session: Session, key: str) -> str:
    """Return a feed's name as users know it, from its bookkeeping key: "feed:NVDA IR" is "NVIDIA IR"
    (as the race lines and the logs name it), "feed:GlobeNewswire" is "GlobeNewswire"."""
    bare = key.removeprefix(KEY_PREFIX)
    if bare.endswith(" IR") and (company := find_company(session, bare.removesuffix(" IR"))) is not None:
        return ir_feed(company.ticker, "", company.name).name
    return bare
