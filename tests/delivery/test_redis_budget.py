"""The send rate shared through Redis (REDIS_URL): budgets on separate connections (as separate
processes are) together never start more than the rate in any second, a 429 told to one pauses
all, and a Redis that stops answering makes sends wait rather than go over the rate."""

from __future__ import annotations

import asyncio
import logging
import os
import time
import uuid
from collections.abc import Iterator

import pytest
import redis

from bot.delivery.budget import REDIS_KEY_PREFIX, RedisLedger, SharedSendBudget
from tests.delivery.test_send_budget import RATE, a_pause_holds_the_other, three_stay_under_the_rate

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def _redis_answers() -> bool:
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except redis.RedisError:
        return False
    return True


needs_redis = pytest.mark.skipif(not _redis_answers(), reason=f"needs a Redis at {REDIS_URL} (TEST_REDIS_URL)")


@pytest.fixture
def budget_name() -> Iterator[str]:
    name = f"test-{uuid.uuid4().hex}"  # each test its own schedule
    yield name
    redis.Redis.from_url(REDIS_URL).delete(REDIS_KEY_PREFIX + name)


@needs_redis
async def test_three_processes_together_stay_under_the_rate(budget_name: str) -> None:
    ledgers = [RedisLedger(REDIS_URL) for _ in range(3)]
    try:
        await three_stay_under_the_rate([SharedSendBudget(ledger, rate_per_second=RATE, name=budget_name)
                                         for ledger in ledgers])
    finally:
        for ledger in ledgers:
            ledger.close()
    stored = redis.Redis.from_url(REDIS_URL).get(REDIS_KEY_PREFIX + budget_name)
    assert stored is not None and float(stored) > time.time() - 5  # the schedule is Redis's


@needs_redis
async def test_a_pause_one_process_was_told_holds_every_process(budget_name: str) -> None:
    told, other = RedisLedger(REDIS_URL), RedisLedger(REDIS_URL)
    try:
        await a_pause_holds_the_other(SharedSendBudget(told, rate_per_second=RATE, name=budget_name),
                                      SharedSendBudget(other, rate_per_second=RATE, name=budget_name))
    finally:
        told.close()
        other.close()


async def test_a_redis_that_does_not_answer_makes_sends_wait(caplog: pytest.LogCaptureFixture) -> None:
    # nothing listens on port 1: every reservation fails; no slot is given out, the error is logged once
    ledger = RedisLedger("redis://:hunter2@127.0.0.1:1/0", timeout=0.2)
    budget = SharedSendBudget(ledger, rate_per_second=RATE)
    caplog.set_level(logging.INFO, logger="bot.delivery.budget")
    try:
        with pytest.raises(TimeoutError):
            async with asyncio.timeout(2.5):
                await budget.take()
    finally:
        ledger.close()
    assert budget.used == 0 and budget.unavailable
    errors = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert len(errors) == 1 and "send budget unavailable" in errors[0] and "ConnectionError" in errors[0]
    assert "hunter2" not in caplog.text
