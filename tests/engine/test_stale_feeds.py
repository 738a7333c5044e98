"""A feed that fails for an hour, or shows no new item for 30 days (an empty feed too), is stale: its
/status line says so and the log says it once, again only after it recovered and went stale again.
The clock is injected; the feeds are loopback ones."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest

from bot.engine.status import race_report, status_report
from bot.sandbox.feeds import Release, q4_rss
from bot.store.db import session_scope
from bot.telegram.replies import status_text
from tests.engine.feed_polling import START, Polling


def stale_logs(caplog: pytest.LogCaptureFixture, name: str) -> list[str]:
    return [r.getMessage() for r in caplog.records
            if r.levelno == logging.WARNING and r.getMessage().startswith(f"feed {name} is stale")]


def status_line(polling: Polling, key: str) -> str:
    with session_scope(polling.db) as session:
        text = status_text(status_report(session, now=polling.clock.now, sec_configured=True,
                                         finnhub_configured=True))
    [line] = [line for line in text.splitlines() if line.startswith(key + ":")]
    return line


async def test_failing_for_an_hour_is_stale_and_logged_once_until_it_recovers(
        polling: Polling, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="bot.engine.feeds")
    await polling.poll_at(START)
    polling.feeds.fail("/ir/AAA", 500)
    for minutes in range(2, 59, 2):
        await polling.poll_at(START + timedelta(minutes=minutes))
    assert stale_logs(caplog, "Alpha IR") == []
    assert "stale" not in status_line(polling, "Alpha IR feed")

    for minutes in range(62, 121, 2):
        await polling.poll_at(START + timedelta(minutes=minutes))
    assert stale_logs(caplog, "Alpha IR") == ["feed Alpha IR is stale: failing for over an hour (last new item None)"]
    assert "⚠️ stale: failing for over an hour" in status_line(polling, "Alpha IR feed")
    assert "stale" not in status_line(polling, "GlobeNewswire feed")

    polling.feeds.heal("/ir/AAA")
    for minutes in range(122, 140, 2):
        await polling.poll_at(START + timedelta(minutes=minutes))
    assert "stale" not in status_line(polling, "Alpha IR feed")
    polling.feeds.fail("/ir/AAA", 404)
    for minutes in range(140, 300, 5):
        await polling.poll_at(START + timedelta(minutes=minutes))
    assert len(stale_logs(caplog, "Alpha IR")) == 2  # stale again: told again, once


async def test_no_new_item_for_30_days_is_stale_and_logged_once(
        polling: Polling, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="bot.engine.feeds")
    await polling.poll_at(START)  # every feed empty, read fine from now on
    for days in (10, 20, 29):
        await polling.poll_at(START + timedelta(days=days))
    assert stale_logs(caplog, "GlobeNewswire") == []
    for hours in (0, 1, 2):
        await polling.poll_at(START + timedelta(days=30, hours=hours))
    assert stale_logs(caplog, "GlobeNewswire") == [
        "feed GlobeNewswire is stale: no new item for 30 days (last new item None)"]
    assert "⚠️ stale: no new item for 30 days" in status_line(polling, "GlobeNewswire feed")
    with session_scope(polling.db) as session:
        _race, stale = race_report(session, now=polling.clock.now)
    assert ("GlobeNewswire", "no new item for 30 days") in {(s.name, s.reason) for s in stale}


async def test_a_feed_stuck_on_an_old_item_is_stale_at_its_first_read(
        polling: Polling, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="bot.engine.feeds")
    old = Release("Gamma Corp Reports Third Quarter 2024 Results", ("DALLAS -- Gamma Corp today reported.",),
                  START - timedelta(days=40), number=11)
    polling.feeds.publish("/ir/CCC", q4_rss([old], company="Gamma Corp"))
    await polling.poll_at(START)
    assert "⚠️ stale: no new item for 30 days" in status_line(polling, "Gamma IR feed")
    assert len(stale_logs(caplog, "Gamma IR")) == 1
    assert "stale" not in status_line(polling, "Alpha IR feed")  # empty, but only since today

    fresh = Release("Gamma Corp Reports Fourth Quarter 2024 Results", ("DALLAS -- Gamma Corp today reported.",),
                    START + timedelta(minutes=1), number=12)
    polling.feeds.publish("/ir/CCC", q4_rss([fresh, old], company="Gamma Corp"))
    await polling.poll_at(START + timedelta(minutes=2))  # CCC's turn among the due feeds
    await polling.poll_at(START + timedelta(minutes=3))
    await polling.poll_at(START + timedelta(minutes=4))
    assert "stale" not in status_line(polling, "Gamma IR feed")
