"""Leader election over the real advisory lock: one leader, and a standby takes over as soon as
the leader's lock connection is gone; the deposed leader stops its work."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import Engine, text

from bot.election import Election
from bot.store.leadership import AdvisoryLeaderLock, process_label
from tests.conftest import PG_URL

pytestmark = pytest.mark.skipif(not PG_URL.startswith("postgresql"), reason="needs TEST_DATABASE_URL on PostgreSQL")


class Campaign:
    def __init__(self, db: Engine) -> None:
        self.events: list[str] = []
        self.election = Election(AdvisoryLeaderLock(db), on_elected=self.elected, on_deposed=self.deposed,
                                 check_seconds=0.1)

    async def elected(self) -> None:
        self.events.append("elected")

    async def deposed(self) -> None:
        self.events.append("deposed")


async def until(check: object, timeout: float = 5.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not check():  # type: ignore[operator]
        assert loop.time() < deadline, "not in time"
        await asyncio.sleep(0.02)


async def test_one_leads_and_the_other_takes_over_when_the_leaders_connection_dies(db: Engine) -> None:
    first, second = Campaign(db), Campaign(db)
    stop_first, stop_second = asyncio.Event(), asyncio.Event()
    tasks = [asyncio.create_task(first.election.run(stop_first))]
    await until(lambda: first.election.is_leader)
    tasks.append(asyncio.create_task(second.election.run(stop_second)))
    await asyncio.sleep(0.3)
    assert (first.election.role, second.election.role) == ("leader", "standby")
    assert second.events == []

    with db.connect() as connection:  # the leader's connection is cut, as a network failure would
        connection.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = :n "
                                "AND pid IN (SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted)"),
                           {"n": f"earnings-bot {process_label()}"})
        connection.commit()
    await until(lambda: second.election.is_leader)
    await until(lambda: "deposed" in first.events)
    assert first.events[:2] == ["elected", "deposed"] and second.events == ["elected"]

    stop_second.set()  # a clean stop hands over at once
    await tasks[1]
    assert second.events == ["elected", "deposed"]
    await until(lambda: first.election.is_leader)
    stop_first.set()
    await tasks[0]
