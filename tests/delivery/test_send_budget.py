"""The send rate shared through PostgreSQL: senders in separate engines (as separate processes
are) together never start more than the rate in any second, and a 429 told to one pauses all."""

from __future__ import annotations

import asyncio
import time
from collections import deque

import pytest
from sqlalchemy import Engine

from bot.delivery.budget import SharedSendBudget
from bot.store.db import make_engine
from tests.conftest import PG_URL

pytestmark = pytest.mark.skipif(not PG_URL.startswith("postgresql"), reason="needs TEST_DATABASE_URL on PostgreSQL")

RATE = 20.0


def most_in_one_second(times: list[float]) -> int:
    window: deque[float] = deque()
    most = 0
    for moment in sorted(times):
        window.append(moment)
        while window[0] <= moment - 1.0:
            window.popleft()
        most = max(most, len(window))
    return most


async def send_for(budget: SharedSendBudget, seconds: float, starts: list[float], senders: int = 4) -> None:
    """`senders` concurrent callers taking slots for `seconds`, each start noted."""
    deadline = time.monotonic() + seconds

    async def one() -> None:
        while time.monotonic() < deadline:
            await budget.take()
            starts.append(time.monotonic())

    await asyncio.gather(*(one() for _ in range(senders)))


async def three_stay_under_the_rate(budgets: list[SharedSendBudget]) -> None:
    """Budgets as separate processes have them, sending for 3 s: never over the rate in any second,
    and the rate used."""
    starts: list[float] = []
    await asyncio.gather(*(send_for(budget, 3.0, starts) for budget in budgets))
    assert most_in_one_second(starts) <= RATE
    # and the rate is used: at least 85% of it over the run (the headroom is 5%)
    assert len(starts) >= 0.85 * RATE * 3.0 - 2, len(starts)
    assert all(budget.used > 0 for budget in budgets)  # every process sent its share


async def a_pause_holds_the_other(told: SharedSendBudget, other: SharedSendBudget) -> None:
    """A 429's pause told to one budget holds the other's next slot."""
    await other.take()
    await told.pause(1.5)
    started = time.monotonic()
    await other.take()
    assert time.monotonic() - started >= 1.4


async def test_three_processes_together_stay_under_the_rate(database_url: str, db: Engine) -> None:
    engines = [make_engine(database_url) for _ in range(3)]
    try:
        await three_stay_under_the_rate([SharedSendBudget(engine, rate_per_second=RATE) for engine in engines])
    finally:
        for engine in engines:
            engine.dispose()


async def test_a_pause_one_process_was_told_holds_every_process(database_url: str) -> None:
    told, other = make_engine(database_url), make_engine(database_url)
    try:
        await a_pause_holds_the_other(SharedSendBudget(told, rate_per_second=RATE),
                                      SharedSendBudget(other, rate_per_second=RATE))
    finally:
        told.dispose()
        other.dispose()


async def test_a_slot_the_loop_woke_too_late_for_is_not_used(database_url: str) -> None:
    engine = make_engine(database_url)
    budget = SharedSendBudget(engine, rate_per_second=RATE)
    try:
        budget._slots.extend([time.monotonic() - 1.0, time.monotonic() - 0.5])  # noqa: SLF001 - stale slots
        before = time.monotonic()
        await budget.take()
        assert budget.wasted == 2 and budget.used == 1 and budget.reserved == 1
        assert time.monotonic() - before < 1.0
    finally:
        engine.dispose()


async def test_a_process_told_it_is_alone_keeps_the_same_spacing(database_url: str) -> None:
    # the count is read every few seconds: a process that just started may already be sending
    engine = make_engine(database_url)
    budget = SharedSendBudget(engine, rate_per_second=RATE)
    try:
        assert budget.interval == pytest.approx(1.05 / RATE)
        budget.processes_sending(1)
        assert budget.interval == pytest.approx(1.05 / RATE) and budget.processes == 1
        starts: list[float] = []
        await send_for(budget, 2.0, starts)
        assert 0.9 * RATE * 2.0 - 2 <= len(starts) and most_in_one_second(starts) <= RATE
        budget.processes_sending(3)
        assert budget.interval == pytest.approx(1.05 / RATE) and budget.processes == 3
    finally:
        engine.dispose()
