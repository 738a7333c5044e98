"""What the feed poller asks for, and how often: the wire every poll (one feed covers every company),
a due company's IR feed in turn with the others, an IR feed of a company whose result is in or
whose report is not due only hourly (for its date announcements), and items that say nothing
counted by reason. Real loopback feeds, a real database, an injected clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlmodel import select

from bot.engine.newswire import Skip
from bot.store.db import session_scope
from bot.store.tables import Company, EarningsEvent, EventState
from tests.conftest import FIXTURES
from tests.engine.feed_polling import START, WIRE, Polling


async def test_due_ir_feeds_take_turns_beside_the_wire_and_a_reported_one_drops_out(polling: Polling) -> None:
    first = await polling.poll_at(START)
    assert first == {WIRE, "/ir/AAA", "/ir/BBB", "/ir/CCC", "/ir/DDD", "/ir/EEE"}  # every first read at once

    asked = [await polling.poll_at(START + timedelta(seconds=5 * n)) for n in range(1, 9)]
    assert all(WIRE in paths for paths in asked)
    turns = [sorted(paths - {WIRE}) for paths in asked]
    assert turns == [["/ir/AAA"], ["/ir/BBB"], ["/ir/CCC"], ["/ir/DDD"]] * 2  # one IR feed a poll, in turn
    assert all("/ir/EEE" not in paths for paths in asked)  # not due: not in the turns

    with session_scope(polling.db) as session:
        [event] = session.exec(select(EarningsEvent).join(Company).where(Company.ticker == "BBB")).all()
        event.state = EventState.REPORTED  # its result is in
        session.add(event)
    later = [await polling.poll_at(START + timedelta(seconds=45 + 5 * n)) for n in range(6)]
    assert [sorted(paths - {WIRE}) for paths in later] == [["/ir/AAA"], ["/ir/CCC"], ["/ir/DDD"]] * 2

    hour = await polling.poll_at(START + timedelta(hours=1, seconds=30))  # BBB last read at +30 s, EEE at 0
    assert {"/ir/BBB", "/ir/EEE"} <= hour  # an hour on: read once for date announcements
    assert not {"/ir/BBB", "/ir/EEE"} & await polling.poll_at(START + timedelta(hours=1, seconds=35))


async def test_a_due_ir_feed_that_fails_backs_off_and_the_others_keep_their_turns(polling: Polling) -> None:
    await polling.poll_at(START)
    polling.feeds.fail("/ir/AAA", 503)
    asked = [await polling.poll_at(START + timedelta(seconds=5 * n)) for n in range(1, 5)]
    assert [sorted(paths - {WIRE}) for paths in asked] == [["/ir/AAA"], ["/ir/BBB"], ["/ir/CCC"], ["/ir/DDD"]]
    # a 503 backs off a minute: AAA is skipped until then, the others go on in turn
    more = [await polling.poll_at(START + timedelta(seconds=25 + 5 * n)) for n in range(3)]
    assert [sorted(paths - {WIRE}) for paths in more] == [["/ir/BBB"], ["/ir/CCC"], ["/ir/DDD"]]


async def test_items_that_match_no_watched_company_or_two_are_ignored_and_counted(polling: Polling) -> None:
    await polling.poll_at(START)
    polling.feeds.publish(WIRE, (FIXTURES / "feeds" / "globenewswire_earnings.xml").read_bytes())
    polling.clock.now = datetime(2025, 2, 26, 21, 21, tzinfo=UTC)
    outcome = await polling.poller.poll()
    assert outcome.new_items == 5 and outcome.alerts == 0
    # Orion (its own listing) and the joint venture's release: nobody's; the law firm: no earnings;
    # NVIDIA's results and Kestrel's date: no watched company here either
    assert outcome.ignored == {Skip.NO_COMPANY: 4, Skip.NOT_EARNINGS: 1}
    assert polling.poller.ignored == outcome.ignored
