"""The feed poller: newswire and IR feeds race EDGAR to the result (docs/decisions/011, Racing).

    poller = FeedPoller(transactions, reader_factory, wires=settings.newswire_feeds, ir_feeds=ir,
                        outbox=OUTBOX, active_seconds=15, idle_seconds=300)
    await poller.tick()        # called every active interval; reads when the mode's interval passed

Each read is a conditional GET (the validators live in source_state); items already looked at are
kept in feed_item_seen. A results item of a watched company's unreported event: its release page is
read once and its figures go into the event like the 8-K's (`apply_feed_release`); one of an event
already reported only confirms it. A date announcement confirms the event's day and time. No wire
is read while nobody watches anything, no IR feed of a company nobody watches. The wires are read
every poll; IR feeds once at first, then the due companies' feeds take turns (IR_TURNS a poll) and
the others are read hourly (DATES_EVERY), for date announcements.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from sqlmodel import Session, col, select

from bot.domain.figures import Figure
from bot.domain.issuers import Company as Candidate
from bot.domain.market_time import as_utc, new_york_date, utc_now
from bot.domain.tickers import normalize_ticker
from bot.engine.announced import apply_announced_date
from bot.engine.feed_state import (
    Cursor,
    Feed,
    feed_name,
    ir_feed,
    last_new_item,
    mark_seen,
    read_cursor,
    stale_reason,
    unseen,
    wire_feed,
)
from bot.engine.guidance import GuidanceSeen, guidance_seen
from bot.engine.newswire import (
    DateAnnounced,
    EventRef,
    Ignored,
    ResultsPublished,
    Skip,
    decide_items,
)
from bot.engine.poll import PollPace, due_events
from bot.engine.ports import Outbox, Transactions
from bot.engine.releases import apply_feed_release
from bot.errors import SourceError, SourceUnavailable
from bot.sources.edgar.press_release import extract_figures
from bot.sources.edgar.release_growth import stated_growth
from bot.sources.feeds.client import FeedRead, FeedReader, Validators
from bot.sources.feeds.parse import FeedItem
from bot.store.source_state import (
    backing_off,
    get_source_state,
    record_source_error,
    record_source_success,
)
from bot.store.tables import (
    Chat,
    ChatStatus,
    Company,
    EarningsEvent,
    EventState,
    SourceArrival,
    SourceState,
    Watch,
    saved_id,
)

logger = logging.getLogger(__name__)

GIVE_UP_PAGE_AFTER = 900.0  # a release page refused this long (a block) is given up: EDGAR follows
IR_TURNS = 1  # IR feeds of due companies read per poll, in turn (the wire covers every company each poll)
DATES_EVERY = timedelta(hours=1)  # an IR feed of a company not due: read hourly, for its date announcements
CONFIRM_WINDOW = timedelta(minutes=15)  # after a result came in, its IR feed keeps its turn to confirm it


@dataclass(frozen=True)
class Release:
    """A results item to read: its feed, the item, and the event it reports."""

    feed: Feed
    item: FeedItem
    event_id: int


@dataclass
class FeedPlan:
    """What one poll reads: the feeds (with their validators and whether first read), the candidates."""

    feeds: list[tuple[Feed, Validators, bool]]
    companies: list[Candidate]
    events: list[EventRef]


@dataclass
class FeedOutcome:
    """What one feed poll did."""

    requests: int = 0
    new_items: int = 0
    alerts: int = 0
    errors: list[str] = field(default_factory=list)
    skipped: bool = False
    ignored: Counter[Skip] = field(default_factory=Counter)  # new items that said nothing, by reason


@dataclass(frozen=True)
class PageFigures:
    """What a release page gave: its figures (stated growth included) and its guidance statements."""

    figures: list[Figure] = field(default_factory=list)
    guidance: list[GuidanceSeen] = field(default_factory=list)


class FeedPoller:
    """Reads the newswire and IR feeds for the companies chats watch."""

    def __init__(
        self, transactions: Transactions, reader: Callable[[Mapping[str, Validators]], FeedReader], *,
        wires: Sequence[str], ir_feeds: Mapping[str, str], outbox: Outbox, active_seconds: float,
        idle_seconds: float, clock: Callable[[], datetime] = utc_now, on_alerts: Callable[[], None] | None = None,
        ir_turns: int = IR_TURNS,
    ) -> None:
        self.transactions = transactions
        self.reader = reader  # a FeedReader seeded with the validators kept in the database
        self.wires = [wire_feed(url) for url in dict.fromkeys(wires)]
        self.ir_feeds = {normalize_ticker(t): url for t, url in ir_feeds.items()}
        self.outbox = outbox
        self.active_seconds = active_seconds
        self.idle_seconds = idle_seconds
        self.ir_turns = ir_turns
        self.clock = clock
        self.on_alerts = on_alerts
        self.pace = PollPace(transactions, active_seconds=active_seconds, idle_seconds=idle_seconds, clock=clock)
        self._stale_logged: set[str] = set()
        self.ignored: Counter[Skip] = Counter()  # every new item that said nothing since the start, by reason

    async def tick(self) -> FeedOutcome:
        """Poll if the interval for the current mode has passed (called every active interval)."""
        if not await self.pace.due():
            return FeedOutcome(skipped=True)
        return await self.poll()

    async def poll(self) -> FeedOutcome:
        """Read every feed worth reading once; record what their new items mean."""
        outcome = FeedOutcome()
        plan = await self.transactions.run(self._plan)
        if not plan.feeds:
            outcome.skipped = True
            return outcome
        reader = self.reader({feed.url: validators for feed, validators, _first in plan.feeds})
        reads = await reader.fetch_all(feed.url for feed, _v, _f in plan.feeds)
        outcome.requests += len(reads)
        releases = await self.transactions.run(self._record_reads, plan, reads, outcome)
        done = await self._read_releases(reader, releases, outcome)
        await self.transactions.run(self._finish_reads, plan, reads, reader.validators, done, releases)
        return outcome

    def _record_reads(
        self, session: Session, plan: FeedPlan, reads: Mapping[str, FeedRead | SourceError], outcome: FeedOutcome,
    ) -> list[Release]:
        """Every feed's answer in one transaction: failures back off, new items are decided."""
        releases: list[Release] = []
        for feed, _validators, first in plan.feeds:
            answer = reads[feed.url]
            if isinstance(answer, SourceError):
                self._failed(session, feed, answer, outcome)
            else:
                releases += self._record_read(session, feed, answer, first, plan, outcome)
        return releases

    def _finish_reads(
        self, session: Session, plan: FeedPlan, reads: Mapping[str, FeedRead | SourceError],
        validators: Mapping[str, Validators], done: set[tuple[str, str]], releases: list[Release],
    ) -> None:
        for feed, _v, _first in plan.feeds:
            if not isinstance(reads[feed.url], SourceError):
                mine = [r for r in releases if r.feed.key == feed.key]
                handled = [r.item.guid for r in mine if (feed.key, r.item.guid) in done]
                read = reads[feed.url]
                newest = max((item.published for item in read.items), default=None) if isinstance(
                    read, FeedRead) else None
                self._finish_read(session, feed, validators.get(feed.url), handled, mine, newest)
        self._log_stale(session)

    def _plan(self, session: Session) -> FeedPlan:
        watched = _watched(session)
        if not watched:
            return FeedPlan([], [], [])
        now = self.clock()
        chosen = []
        for feed in [*self.wires, *self._ir_feeds_to_read(session, watched, now)]:
            state = get_source_state(session, feed.key)
            chosen.append((feed, read_cursor(state).validators, state is None or state.last_success_at is None))
        companies = [Candidate(c.ticker, c.name) for c in watched.values()]
        return FeedPlan([c for c in chosen if not backing_off(session, c[0].key, now)], companies,
                        _event_refs(session, watched))

    def _ir_feeds_to_read(self, session: Session, watched: Mapping[str, Company], now: datetime) -> list[Feed]:
        """The IR feeds this poll reads: a feed never read yet (its first read: history); among the
        companies whose report is due and not yet in, or came in within CONFIRM_WINDOW and this
        feed has not confirmed it yet (its figures are checked against the first source's), the
        IR_TURNS read longest ago (they take turns: the one wire already covers every company); any
        other watched company's feed once an hour, for its date announcements."""
        due = {normalize_ticker(t) for t in _due_tickers(session, new_york_date(now))}
        confirming = _recent_arrivals(session, now - CONFIRM_WINDOW)
        first, turns, hourly = [], [], []
        for ticker, url in self.ir_feeds.items():
            if ticker not in watched:
                continue  # nobody needs it: no request at all
            feed = ir_feed(ticker, url, watched[ticker].name)
            state = get_source_state(session, feed.key)
            if backing_off(session, feed.key, now):
                continue
            if state is None or state.last_success_at is None:
                first.append(feed)
            elif ticker in due or feed.name not in confirming.get(ticker, {feed.name}):
                turns.append((_last_asked(state), feed.key, feed))  # due, or its confirmation still to come
            elif as_utc(now) - as_utc(state.last_success_at) >= DATES_EVERY:
                hourly.append(feed)
        taking = sorted(turns, key=lambda turn: (turn[0], turn[1]))[:self.ir_turns]
        return [*first, *(feed for _when, _key, feed in taking), *hourly]

    def _record_read(
        self, session: Session, feed: Feed, read: FeedRead, first: bool, plan: FeedPlan, outcome: FeedOutcome,
    ) -> list[Release]:
        """Note the answer; confirm dates, ignore noise, return the results items to read."""
        now = self.clock()
        record_source_success(session, feed.key, now)
        fresh = unseen(session, feed, [item.guid for item in read.items])
        items = [item for item in read.items if item.guid in fresh]
        outcome.new_items += len(items)
        releases: list[Release] = []
        tickers = {feed.url: feed.ticker} if feed.ticker else None
        for decision in decide_items(items, plan.companies, plan.events, now=now, first_read=first, feed_tickers=tickers):
            if isinstance(decision, Ignored):
                outcome.ignored[decision.reason] += 1
                self.ignored[decision.reason] += 1
            if isinstance(decision, ResultsPublished):
                releases.append(Release(feed, decision.item, decision.event_id))
            elif isinstance(decision, Ignored) and decision.reason is Skip.REPORTED and decision.event_id:
                releases.append(Release(feed, decision.item, decision.event_id))  # a confirmation
            elif isinstance(decision, DateAnnounced) and decision.event_id is not None:
                outcome.alerts += apply_announced_date(session, decision.event_id, feed.name, decision.announced,
                                                       outbox=self.outbox, now=now)
        waiting = {r.item.guid for r in releases}
        mark_seen(session, feed, [item.guid for item in items if item.guid not in waiting], now)
        return releases

    async def _read_releases(
        self, reader: FeedReader, releases: list[Release], outcome: FeedOutcome,
    ) -> set[tuple[str, str]]:
        """Read every results item's page at once, then enter each one's figures (in feed order);
        return the (feed, guid) of the items done with."""
        read = await asyncio.gather(*(self._figures(reader, release, outcome) for release in releases))
        done: set[tuple[str, str]] = set()
        for release, figures in zip(releases, read, strict=True):
            if figures is None:
                continue  # read again next poll (the feed's validators are not kept meanwhile)
            alerts = await self.transactions.run(self._apply, release, figures)
            outcome.alerts += alerts
            if alerts and self.on_alerts is not None:
                self.on_alerts()  # on the event loop: the sender's wake-up event is not thread-safe
            done.add((release.feed.key, release.item.guid))
        return done

    async def _figures(self, reader: FeedReader, release: Release, outcome: FeedOutcome) -> PageFigures | None:
        """The figures of a results item's page; None to try again later, [] when given up."""
        try:
            content = await reader.page(release.item.link)
            outcome.requests += 1
            extracted = await asyncio.to_thread(extract_figures, content)
        except SourceError as exc:
            outcome.errors.append(f"{release.feed.name}: {exc}")
            logger.info("feeds: the release page of %s could not be read: %s", release.feed.name, exc)
            given_up = isinstance(exc, SourceUnavailable) and (exc.retry_after or 0) >= GIVE_UP_PAGE_AFTER
            return PageFigures() if given_up else None
        except Exception:  # noqa: BLE001 - a page we can't read must not stop the others
            logger.exception("feeds: unreadable release page %s", release.item.link)
            return PageFigures()
        figures = [f.as_figure() for f in extracted.figures]
        growth = await asyncio.to_thread(stated_growth, content, figures)
        return PageFigures([*figures, *growth], guidance_seen(extracted.figures))

    def _apply(self, session: Session, release: Release, page: PageFigures) -> int:
        evaluations = apply_feed_release(
            session, release.event_id, source=release.feed.name, published_at=release.item.published,
            url=release.item.link, figures=page.figures, outbox=self.outbox, now=self.clock(),
            guidance=page.guidance)
        return sum(e.alert is not None for e in evaluations)

    def _finish_read(
        self, session: Session, feed: Feed, validators: Validators | None, done: list[str], releases: list[Release],
        newest: datetime | None,
    ) -> None:
        """Keep the validators once every item of the read is handled (an item left over is read
        again), and the newest publication the feed has shown."""
        mark_seen(session, feed, done, self.clock())
        state = get_source_state(session, feed.key)
        if state is None:
            return
        cursor = read_cursor(state)
        pending = len(done) < len(releases)
        known = [as_utc(m) for m in (cursor.newest_item, newest) if m is not None]
        state.cursor = Cursor(cursor.validators if pending else (validators or cursor.validators),
                              read_since=cursor.read_since or self.clock(),
                              newest_item=max(known) if known else None).dump()
        session.add(state)

    def _failed(self, session: Session, feed: Feed, exc: SourceError, outcome: FeedOutcome) -> None:
        outcome.errors.append(f"{feed.name}: {exc}")
        now = self.clock()
        logger.warning("feed %s failed: %s", feed.name, exc)
        state = record_source_error(session, feed.key, now, error=exc, base=2 * self.active_seconds)
        cursor = read_cursor(state)
        state.cursor = Cursor(cursor.validators, cursor.failing_since or now, cursor.read_since,
                              cursor.newest_item).dump()
        session.add(state)

    def _log_stale(self, session: Session) -> None:
        """Log once each feed that went stale (and again only after it recovered and went stale again)."""
        now = self.clock()
        for feed in [*self.wires, *(ir_feed(t, url, t) for t, url in self.ir_feeds.items())]:
            state = get_source_state(session, feed.key)
            reason = stale_reason(session, state, now) if state is not None else None
            if reason is None:
                self._stale_logged.discard(feed.key)
            elif feed.key not in self._stale_logged:
                self._stale_logged.add(feed.key)
                logger.warning("feed %s is stale: %s (last new item %s)", feed_name(session, feed.key), reason,
                               last_new_item(session, feed.key))


def _watched(session: Session) -> dict[str, Company]:
    companies = session.exec(
        select(Company).join(Watch, col(Watch.company_id) == col(Company.id))
        .join(Chat, col(Chat.id) == col(Watch.chat_pk)).where(Chat.status == ChatStatus.ACTIVE).distinct()
    ).all()
    return {normalize_ticker(c.ticker): c for c in sorted(companies, key=lambda c: c.ticker)}


def _due_tickers(session: Session, today: date) -> set[str]:
    """The tickers of the watched companies whose report is due and not yet in."""
    ids = {event.company_id for event in due_events(session, today)}
    return {c.ticker for c in session.exec(select(Company).where(col(Company.id).in_(list(ids)))).all()}


def _recent_arrivals(session: Session, since: datetime) -> dict[str, set[str]]:
    """The sources (as users know them) of each company's results first seen since `since`."""
    recent = set(session.exec(select(SourceArrival.event_id).where(SourceArrival.seen_at >= since)).all())
    if not recent:
        return {}
    rows = session.exec(
        select(Company.ticker, SourceArrival.source, SourceArrival.seen_at, SourceArrival.event_id)
        .join(EarningsEvent, col(EarningsEvent.company_id) == col(Company.id))
        .join(SourceArrival, col(SourceArrival.event_id) == col(EarningsEvent.id))
        .where(col(SourceArrival.event_id).in_(list(recent)))
    ).all()
    old = {event_id for _t, _s, seen_at, event_id in rows if as_utc(seen_at) < as_utc(since)}
    found: dict[str, set[str]] = {}
    for ticker, source, _seen, event_id in rows:
        if event_id not in old:  # the result came in since `since`
            found.setdefault(normalize_ticker(ticker), set()).add(source)
    return found


def _last_asked(state: SourceState) -> datetime:
    """When a feed was last asked, answered or not."""
    moments = [as_utc(m) for m in (state.last_success_at, state.last_error_at) if m is not None]
    return max(moments) if moments else datetime.min.replace(tzinfo=UTC)


def _event_refs(session: Session, watched: dict[str, Company]) -> list[EventRef]:
    ids = {c.id: ticker for ticker, c in watched.items()}
    events = session.exec(select(EarningsEvent).where(col(EarningsEvent.company_id).in_(list(ids)))).all()
    return [EventRef(event_id=saved_id(e), ticker=ids[e.company_id], report_date=e.report_date,
                     reported=e.state == EventState.REPORTED) for e in events]
