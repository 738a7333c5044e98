"""What each newswire or IR feed item means for the watched companies: nothing, a confirmed date
for an event, or results for a company. Data in, data out; the caller stores and alerts.

    decisions = decide_items(read.items, companies, events, now=now, first_read=first,
                             feed_tickers={"https://nvidianews.nvidia.com/releases.xml": "NVDA"})

Rules (docs/decisions/011-newswire-feeds.md):

- An item matching no watched company, or two, is ignored (and counted by the caller).
- A date announcement is for the company's unreported event nearest the announced day (within
  EVENT_WINDOW), or for no known event yet (event_id None); a day that has passed says nothing.
- Results of an event already reported say nothing new; the decision names the event, so the
  caller can note that this source confirms it.
- Results alert only when the company has an unreported event near the release (within
  EVENT_WINDOW of the day it was published, New York calendar), the item was published within
  the last RESULTS_MAX_AGE, and the feed is not being read for the first time: the items already
  in a feed at its first read are history, they give dates only.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum

from bot.domain.announced_dates import AnnouncedDate, read_announced_date
from bot.domain.announcements import Announcement, classify
from bot.domain.issuers import Company, match_company
from bot.domain.market_time import new_york_date
from bot.domain.tickers import normalize_ticker
from bot.sources.feeds.parse import FeedItem

EVENT_WINDOW = timedelta(days=10)
RESULTS_MAX_AGE = timedelta(hours=24)


class Skip(StrEnum):
    """Why an item says nothing."""

    NOT_EARNINGS = "not earnings"
    NO_COMPANY = "no single watched company"
    NO_DATE = "date announcement without a readable date"
    PAST_DATE = "the announced day has passed"
    FIRST_READ = "already in the feed at its first read"
    TOO_OLD = "published more than a day ago"
    NO_EVENT = "no unreported event near it"
    REPORTED = "its event is already reported"


@dataclass(frozen=True, slots=True)
class EventRef:
    """A watched company's earnings event, as the caller knows it."""

    event_id: int
    ticker: str
    report_date: date | None
    reported: bool


@dataclass(frozen=True, slots=True)
class Ignored:
    item: FeedItem
    reason: Skip
    ticker: str | None = None
    event_id: int | None = None  # REPORTED: the event it speaks of, which the caller may confirm


@dataclass(frozen=True, slots=True)
class DateAnnounced:
    item: FeedItem
    ticker: str
    announced: AnnouncedDate
    event_id: int | None  # None: no event of this company is known near that day yet


@dataclass(frozen=True, slots=True)
class ResultsPublished:
    item: FeedItem
    ticker: str
    event_id: int


Decision = Ignored | DateAnnounced | ResultsPublished


def decide_items(
    items: Iterable[FeedItem], companies: Sequence[Company], events: Sequence[EventRef], *, now: datetime,
    first_read: bool, feed_tickers: Mapping[str, str] | None = None,
) -> list[Decision]:
    """Return one decision per item, in the items' order."""
    tickers = feed_tickers or {}
    return [
        decide_item(item, companies, events, now=now, first_read=first_read,
                    feed_ticker=tickers.get(item.feed_url))
        for item in items
    ]


def decide_item(
    item: FeedItem, companies: Sequence[Company], events: Sequence[EventRef], *, now: datetime,
    first_read: bool, feed_ticker: str | None = None,
) -> Decision:
    """Return what one item means: ignored (and why), a date for an event, or results."""
    kind = classify(item.title, item.summary)
    if kind is Announcement.OTHER:
        return Ignored(item, Skip.NOT_EARNINGS)
    ticker = match_company(item.title, item.summary, companies, feed_ticker=feed_ticker,
                           organization=item.organization)
    if ticker is None:
        return Ignored(item, Skip.NO_COMPANY)
    own = [event for event in events if normalize_ticker(event.ticker) == ticker]
    if kind is Announcement.DATE:
        return _date(item, ticker, own, today=new_york_date(now))
    return _results(item, ticker, own, now=now, first_read=first_read)


def _date(item: FeedItem, ticker: str, events: Sequence[EventRef], *, today: date) -> Decision:
    announced = read_announced_date(f"{item.title}. {item.text or item.summary}", item.published, item.links)
    if announced is None:
        return Ignored(item, Skip.NO_DATE, ticker)
    if announced.report_date < today:
        return Ignored(item, Skip.PAST_DATE, ticker)
    event = _nearest([e for e in events if not e.reported], announced.report_date)
    return DateAnnounced(item, ticker, announced, event.event_id if event else None)


def _results(item: FeedItem, ticker: str, events: Sequence[EventRef], *, now: datetime,
             first_read: bool) -> Decision:
    if first_read:
        return Ignored(item, Skip.FIRST_READ, ticker)
    if now - item.published > RESULTS_MAX_AGE:
        return Ignored(item, Skip.TOO_OLD, ticker)
    day = new_york_date(item.published)
    event = _nearest(list(events), day)
    if event is None:
        return Ignored(item, Skip.NO_EVENT, ticker)
    if event.reported:
        return Ignored(item, Skip.REPORTED, ticker, event.event_id)
    return ResultsPublished(item, ticker, event.event_id)


def _nearest(events: Sequence[EventRef], day: date) -> EventRef | None:
    """Return the event dated nearest day, within EVENT_WINDOW; an undated event only when it is
    the company's only one."""
    dated = [e for e in events if e.report_date is not None and abs(e.report_date - day) <= EVENT_WINDOW]
    if dated:
        return min(dated, key=lambda e: (abs(_days(e, day)), e.reported, e.event_id))
    undated = [e for e in events if e.report_date is None]
    return undated[0] if len(undated) == 1 and len(events) == 1 else None


def _days(event: EventRef, day: date) -> int:
    return (event.report_date - day).days if event.report_date is not None else 0
