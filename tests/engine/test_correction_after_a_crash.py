"""300 chats watch NVDA; the calendar's actuals come first and its "beat" goes out; the sender is
killed (-9) at 40% of the broadcast; the 8-K, accepted a second before the calendar saw the
actuals, is read; the sender restarts. Every chat must end with one result message that still
holds the verdict (edits applied), and no "has just filed" notice after it."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from collections import Counter
from datetime import timedelta

import pytest
from sqlmodel import Session

from bot.sandbox.bot_api import LoopbackBotApi
from bot.store.tables import DeliveryStatus
from tests.conftest import ROOT
from tests.delivery.helpers import deliveries
from tests.engine.helpers import add_company, watching_chat
from tests.engine.test_sources_in_any_order import ACCEPTED, REPORT_DAY, World, world  # noqa: F401

CHATS = [8_000_000_000 + n for n in range(300)]


async def until(check, timeout: float) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.02)


def start_sender(database_url: str, api: LoopbackBotApi) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PTB_TIMEDELTA": "true"}
    return subprocess.Popen(
        [sys.executable, "-m", "tests.delivery.sender_process", database_url, api.bot_base_url, api.token, "30"],
        cwd=ROOT, env=env,
    )


@pytest.mark.slow
async def test_a_correction_after_a_killed_broadcast_keeps_every_verdict(
    world: World, database_url: str  # noqa: F811
) -> None:
    with Session(world.db) as session:
        add_company(session)
        for chat_id in CHATS:
            watching_chat(session, chat_id, "NVDA")
        session.commit()
    world.publish_8k()
    world.calendar_lists(actuals=True)
    world.clock.now = ACCEPTED + timedelta(seconds=0.6)
    await world.poller.poll(REPORT_DAY, REPORT_DAY, ["NVDA"], mode="active")  # the "beat" is queued

    victim = start_sender(database_url, world.api)
    try:
        await until(lambda: world.api.sends_ok >= 120, timeout=60)
    finally:
        victim.kill()
        victim.wait()
    in_flight = {row.chat_pk for row in deliveries(world.db) if row.status == DeliveryStatus.SENDING}
    assert world.api.sends_ok < len(CHATS)

    world.clock.now = ACCEPTED + timedelta(seconds=8)
    await world.detector.poll()  # the 8-K: notice, figures, a correction of the sent "beat"

    survivor = start_sender(database_url, world.api)
    try:
        await until(lambda: all(r.status not in (DeliveryStatus.PENDING, DeliveryStatus.SENDING)
                                for r in deliveries(world.db)), timeout=120)
    finally:
        survivor.kill()
        survivor.wait()

    shown = Counter()
    for chat_id in CHATS:
        phone = world.phone(chat_id)
        assert not any("has just filed" in text for text in phone), phone
        results = [text for text in phone if "NVDA" in text]
        assert results and all(text.startswith("🟢 NVDA beat: Q4 FY2025") for text in results), phone
        assert all("Revenue $39.33B vs $37.72B est. (+4.3%) ✅ beat" in text for text in results)
        shown[len(results)] += 1
    assert shown[1] >= len(CHATS) - len(in_flight)  # twice only where a send was on the wire at the kill
    assert set(shown) <= {1, 2}
