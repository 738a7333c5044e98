"""kill -9 in the middle of a broadcast: the restart sends the rest, and nothing twice but the one in flight."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from collections import Counter

import pytest
from sqlalchemy import Engine

from bot.delivery.outbox import enqueue_broadcast
from bot.domain.market_time import utc_now
from bot.sandbox.bot_api import LoopbackBotApi
from bot.store.db import session_scope
from bot.store.tables import DeliveryStatus
from tests.conftest import ROOT
from tests.delivery.helpers import add_chats, deliveries

CHATS = list(range(1001, 1041))
RATE = 5  # one job in flight at a time


def start_sender(database_url: str, api: LoopbackBotApi) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PTB_TIMEDELTA": "true"}
    return subprocess.Popen(
        [sys.executable, "-m", "tests.delivery.sender_process", database_url, api.bot_base_url,
         api.token, str(RATE)],
        cwd=ROOT, env=env,
    )


async def until(check, timeout: float) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.02)


@pytest.mark.slow
async def test_a_killed_sender_resumes_the_broadcast_without_duplicates(
    db: Engine, database_url: str, api: LoopbackBotApi
) -> None:
    pks = add_chats(db, CHATS)
    chat_ids = {pk: chat_id for chat_id, pk in pks.items()}
    with session_scope(db) as session:
        enqueue_broadcast(session, text="<b>Quarterly results are out</b>", now=utc_now(), admin_chat_id=1)

    victim = start_sender(database_url, api)
    try:
        await until(lambda: api.sends_ok >= 10, timeout=30)
    finally:
        victim.kill()  # SIGKILL: no cleanup, no flush
        victim.wait()
    in_flight = {chat_ids[row.chat_pk] for row in deliveries(db) if row.status == DeliveryStatus.SENDING}
    delivered_before = api.sends_ok
    assert delivered_before < len(CHATS)
    assert len(in_flight) <= 1

    survivor = start_sender(database_url, api)
    try:
        await until(lambda: all(api.messages_to(c) for c in CHATS), timeout=60)
        await until(lambda: all(r.status == DeliveryStatus.SENT for r in deliveries(db)), timeout=10)
    finally:
        survivor.kill()
        survivor.wait()

    per_chat = Counter({chat_id: len(api.messages_to(chat_id)) for chat_id in CHATS})
    twice = [chat_id for chat_id, count in per_chat.items() if count > 1]
    assert all(count >= 1 for count in per_chat.values())
    assert max(per_chat.values()) <= 2
    assert set(twice) <= in_flight
