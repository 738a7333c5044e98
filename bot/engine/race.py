"""The race between sources: which one first showed a report's result, how far behind the others
came, whether their figures agree, and which figures the primary sources dispute.

    note_arrivals(session, event, now=now)          # after figures were stored: one row per source
    disputed_figures(rows)                          # {(metric, basis, unit, currency): [rows]}
    race_stats(session, now=now)                    # /status: first n/m and median lag per source

A source is named as users know it ("GlobeNewswire", "NVIDIA IR", "SEC EDGAR", "Nasdaq"). Figures
stored by a feed carry the source "release:<name>"; the 8-K's are "sec"; a calendar's its vendor key
(docs/decisions/011-newswire-feeds.md, Racing).
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from bot.catalog import catalog
from bot.domain.figures import BASIS_NEUTRAL_METRICS
from bot.domain.market_time import as_utc
from bot.store.tables import EarningsEvent, Filing, ReportedFigure, SourceArrival, saved_id

RELEASE_PREFIX = "release:"
SEC_NAME = "SEC EDGAR"
STATS_WINDOW = timedelta(days=30)
_NOT_RACING = ("xbrl", "chat:", "admin")  # figures confirmed days later, or typed by people

FigureKey = tuple[str, str | None, str, str | None]


@dataclass(frozen=True)
class RaceLine:
    """One source over the last 30 days: events it showed, how often first, median lag when behind."""

    source: str
    events: int
    first: int
    median_lag_seconds: float | None

    def text(self) -> str:
        """'GlobeNewswire: first 12/15, median lag 74 s' (no lag when it was always first), plain text."""
        text = f"{self.source}: first {self.first}/{self.events}"
        if self.median_lag_seconds is not None:
            text += f", median lag {self.median_lag_seconds:.0f} s"
        return text


def arrival_name(figure_source: str) -> str | None:
    """Return the name users know a figure's source by, or None for one that does not race."""
    if figure_source.startswith(RELEASE_PREFIX):
        return figure_source.removeprefix(RELEASE_PREFIX)
    if figure_source == "sec":
        return SEC_NAME
    if figure_source.startswith(_NOT_RACING):
        return None
    return catalog().vendor_names.get(figure_source, figure_source)


def figure_source(name: str) -> str:
    """Return the ReportedFigure source of a source named as users know it."""
    if name == SEC_NAME:
        return "sec"
    vendors = {shown: key for key, shown in catalog().vendor_names.items()}
    return vendors.get(name, RELEASE_PREFIX + name)


def record_arrival(
    session: Session, event: EarningsEvent, name: str, *, seen_at: datetime, published_at: datetime | None = None,
    url: str | None = None,
) -> SourceArrival:
    """Note that source `name` showed the event's result (the first time counts); refresh the race."""
    row = _arrival(session, saved_id(event), name)
    if row is None:
        row = SourceArrival(event_id=saved_id(event), source=name, url=url, published_at=published_at,
                            seen_at=seen_at)
        session.add(row)
        session.flush()
    elif url and not row.url:
        row.url = url
        session.add(row)
    refresh_race(session, saved_id(event))
    return row


def note_arrivals(session: Session, event: EarningsEvent, *, now: datetime) -> None:
    """Give every racing source with figures on the event its arrival (the 8-K's when it was seen)."""
    rows = session.exec(select(ReportedFigure).where(ReportedFigure.event_id == event.id)).all()
    known = {a.source for a in arrivals(session, saved_id(event))}
    for row in sorted(rows, key=lambda r: (as_utc(r.reported_at), r.id or 0)):
        name = arrival_name(row.source)
        if name is None or name in known:
            continue
        known.add(name)
        seen = now
        if row.source == "sec" and row.accession:
            filing = session.exec(select(Filing).where(Filing.accession == row.accession)).first()
            seen = filing.seen_at if filing is not None else now
        record_arrival(session, event, name, seen_at=seen, published_at=row.reported_at)
    refresh_race(session, saved_id(event))


def arrivals(session: Session, event_id: int) -> list[SourceArrival]:
    """Return the event's arrivals, first first."""
    return list(session.exec(
        select(SourceArrival).where(SourceArrival.event_id == event_id)
        .order_by(col(SourceArrival.seen_at), col(SourceArrival.id))
    ).all())


def refresh_race(session: Session, event_id: int) -> None:
    """Recompute each arrival's lag behind the first and whether its figures agree with the first's."""
    rows = arrivals(session, event_id)
    if not rows:
        return
    first = rows[0]
    figures = session.exec(select(ReportedFigure).where(ReportedFigure.event_id == event_id)).all()
    by_source: dict[str, dict[FigureKey, object]] = {}
    for figure in figures:
        by_source.setdefault(figure.source, {})[figure_key(figure)] = figure.value
    theirs = by_source.get(figure_source(first.source), {})
    for row in rows:
        ours = by_source.get(figure_source(row.source), {})
        shared = set(ours) & set(theirs)
        row.lag_seconds = max(0.0, (as_utc(row.seen_at) - as_utc(first.seen_at)).total_seconds())
        row.agrees = None if row is first or not shared else all(ours[k] == theirs[k] for k in shared)
        session.add(row)
    session.flush()


def figure_key(row: ReportedFigure) -> FigureKey:
    """The key one figure is compared on: revenue is one figure whatever basis it is labelled with."""
    basis = None if row.metric in BASIS_NEUTRAL_METRICS else str(row.basis)
    return (row.metric, basis, row.unit, row.currency)


def is_primary(source: str) -> bool:
    """The company's own release, through EDGAR or a feed: sources that must say the same."""
    return source == "sec" or source.startswith(RELEASE_PREFIX)


def disputed_figures(rows: Sequence[ReportedFigure]) -> dict[FigureKey, list[ReportedFigure]]:
    """Return the figures the release's sources state differently (the wire's $0.89, the 8-K's $0.98)."""
    grouped: dict[FigureKey, list[ReportedFigure]] = {}
    for row in rows:
        if is_primary(row.source):
            grouped.setdefault(figure_key(row), []).append(row)
    return {key: group for key, group in grouped.items() if len({r.value for r in group}) > 1}


def race_stats(session: Session, *, now: datetime) -> list[RaceLine]:
    """Return each source's record over the last 30 days, most often first at the top."""
    rows = session.exec(select(SourceArrival).where(SourceArrival.seen_at >= now - STATS_WINDOW)).all()
    firsts: dict[int, SourceArrival] = {}
    for row in rows:
        best = firsts.get(row.event_id)
        if best is None or (as_utc(row.seen_at), row.id or 0) < (as_utc(best.seen_at), best.id or 0):
            firsts[row.event_id] = row
    lines: dict[str, tuple[int, int, list[float]]] = {}
    for row in rows:
        events, first, lags = lines.get(row.source, (0, 0, []))
        is_first = firsts[row.event_id] is row
        lines[row.source] = (events + 1, first + is_first, lags if is_first else [*lags, row.lag_seconds])
    result = [RaceLine(source, events, first, statistics.median(lags) if lags else None)
              for source, (events, first, lags) in lines.items()]
    return sorted(result, key=lambda line: (-line.first, -line.events, line.source))


def _arrival(session: Session, event_id: int, name: str) -> SourceArrival | None:
    return session.exec(
        select(SourceArrival).where(SourceArrival.event_id == event_id, SourceArrival.source == name)
    ).first()
