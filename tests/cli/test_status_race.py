"""`earnings-bot status` prints the race as /status does: each source on its own line, how often it was
first and its median lag over the last 30 days, and every stale feed."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path

from sqlalchemy import Engine

from bot.domain.market_time import utc_now
from bot.store.db import session_scope
from bot.store.tables import EarningsEvent, FeedItemSeen, SourceArrival, SourceState
from tests.cli.test_settings_errors import run_cli
from tests.http.helpers import source_state, watched_company


def raced(db: Engine, company_id: int, now: datetime, order: list[tuple[str, float]], days_ago: int) -> None:
    """One reported event whose sources arrived in this order, each lag seconds after the first."""
    with session_scope(db) as session:
        event = EarningsEvent(company_id=company_id, fiscal_period=f"P{days_ago}", period_label=f"Q{days_ago}",
                              report_date=date(2026, 1, 1) + timedelta(days=days_ago))
        session.add(event)
        session.flush()
        seen = now - timedelta(days=days_ago)
        for source, lag in order:
            session.add(SourceArrival(event_id=event.id, source=source, seen_at=seen + timedelta(seconds=lag),
                                      lag_seconds=lag))


def test_status_prints_the_race_and_the_stale_feeds(db: Engine, database_url: str, tmp_path: Path) -> None:
    now = utc_now()
    company_id, _chat = watched_company(db, now)
    source_state(db, "nasdaq", success=now - timedelta(minutes=1))
    raced(db, company_id, now, [("GlobeNewswire", 0), ("NVIDIA IR", 6), ("SEC EDGAR", 74)], days_ago=3)
    raced(db, company_id, now, [("NVIDIA IR", 0), ("GlobeNewswire", 4), ("SEC EDGAR", 90)], days_ago=10)
    raced(db, company_id, now, [("GlobeNewswire", 0), ("SEC EDGAR", 60)], days_ago=20)
    raced(db, company_id, now, [("SEC EDGAR", 0), ("GlobeNewswire", 30)], days_ago=45)  # older than 30 days
    with session_scope(db) as session:
        session.add(SourceState(key="feed:GlobeNewswire", last_success_at=now - timedelta(seconds=20)))
        session.add(FeedItemSeen(digest="a" * 64, feed="feed:GlobeNewswire", seen_at=now - timedelta(hours=2)))
        session.add(SourceState(key="feed:NVDA IR", last_success_at=now - timedelta(days=40),
                                cursor=f'{{"f": "{(now - timedelta(hours=2)).isoformat()}"}}',
                                last_error="feeds: HTTP 404 for https://ir.example.com/rss: the feed is gone",
                                last_error_at=now - timedelta(minutes=1), failures=30))
        session.add(SourceState(key="feed:PR Newswire", last_success_at=now - timedelta(seconds=20)))
        session.add(FeedItemSeen(digest="b" * 64, feed="feed:PR Newswire", seen_at=now - timedelta(days=31)))

    result = run_cli("status", cwd=tmp_path, DATABASE_URL=database_url)

    lines = result.stdout.splitlines()
    assert result.returncode == 0, result.stdout + result.stderr
    race = lines[lines.index("First with results (30 days):") + 1:][:3]
    assert race == ["  GlobeNewswire: first 2/3, median lag 4 s",
                    "  NVIDIA IR: first 1/2, median lag 6 s",
                    "  SEC EDGAR: first 0/3, median lag 74 s"], result.stdout
    assert "feed NVDA IR: stale: failing for over an hour" in lines  # named after the company, "NVDA Corp"
    assert "feed PR Newswire: stale: no new item for 30 days" in lines
    assert not any(line.startswith("feed GlobeNewswire: stale") for line in lines)


def test_status_before_any_race_prints_no_race_lines(db: Engine, database_url: str, tmp_path: Path) -> None:
    now = utc_now()
    watched_company(db, now)
    source_state(db, "nasdaq", success=now - timedelta(minutes=1))
    result = run_cli("status", cwd=tmp_path, DATABASE_URL=database_url)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "First with results" not in result.stdout and "stale" not in result.stdout
