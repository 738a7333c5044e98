"""`earnings-bot run` stops on SIGTERM within seconds, whatever runs: a broadcast half sent, a
long calendar window read, the EDGAR poll. Nothing new goes out after the signal, the exit is
clean (code 0, no traceback), and a restart sends the rest, each chat getting the message once."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import Engine

from bot.delivery.outbox import enqueue_broadcast
from bot.domain.market_time import utc_now
from bot.engine.subscriptions import register_chat, watch
from bot.sandbox.bot_api import FloodLimits, LoopbackBotApi
from bot.sandbox.calendars import FakeCalendars
from bot.sandbox.edgar import LoopbackEdgar
from bot.sources.sec_tickers import TickerEntry
from bot.store.companies import upsert_companies
from bot.store.db import session_scope
from tests.conftest import BOT_API_SPEC

logger = logging.getLogger(__name__)
TOKEN = "4242424242:STOP-TEST-SECRET-TOKEN"
AGENT = "Jane Doe jane@example.com"
CHATS = [7_000_000_000 + n for n in range(200)]
TEXT = "Maintenance tonight at 22:00 ET"


async def start_bot(cwd: Path, env: dict[str, str]) -> asyncio.subprocess.Process:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "SEC_", "FINNHUB_", "DATABASE_",
                                                                     "NASDAQ_", "POLL_"))}
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot.cli", "run", env={**base, **env}, cwd=cwd,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )


async def eventually(check: Callable[[], bool], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.02)


async def stop(process: asyncio.subprocess.Process) -> tuple[float, str]:
    """SIGTERM; return the seconds until the process ended and its output."""
    signalled = time.monotonic()
    process.send_signal(signal.SIGTERM)
    try:
        output, _ = await asyncio.wait_for(process.communicate(), timeout=30)
    finally:
        if process.returncode is None:
            process.kill()
    return time.monotonic() - signalled, output.decode()


def seed(db: Engine) -> None:
    now = utc_now()
    with session_scope(db) as session:
        upsert_companies(session, [TickerEntry("MSFT", 789019, "MICROSOFT CORP")], now)
        for chat_id in CHATS:
            register_chat(session, chat_id, now=now)
        watch(session, CHATS[0], ["MSFT"], now=now)  # so that the calendar window is read
        enqueue_broadcast(session, text=TEXT, now=now, admin_chat_id=CHATS[0])


@pytest.mark.slow
async def test_sigterm_mid_broadcast_and_mid_window_read_exits_at_once_and_a_restart_sends_the_rest(
    tmp_path: Path, database_url: str, db: Engine,
) -> None:
    seed(db)
    async with LoopbackBotApi(TOKEN, flood=FloodLimits(), spec_path=BOT_API_SPEC) as api, LoopbackEdgar() as edgar, \
            FakeCalendars() as fake:
        edgar.company_tickers = [("MSFT", 789019, "MICROSOFT CORP"), ("NVDA", 1045810, "NVIDIA CORP")]
        fake.delay = 0.5  # a slow Nasdaq: the window read (32 days) takes half a minute
        api.hang_next("sendMessage", 0.1, times=10_000)  # every send takes a moment on the wire
        env = {
            "TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_API_URL": api.base_url, "DATABASE_URL": database_url,
            "TELEGRAM_RATE_PER_SECOND": "25", "SEC_USER_AGENT": AGENT, "SEC_WWW_URL": edgar.url,
            "SEC_DATA_URL": edgar.url, "NASDAQ_API_URL": fake.url, "POLL_ACTIVE_SECONDS": "1",
            "POLL_IDLE_SECONDS": "5", "LOG_LEVEL": "DEBUG",
        }
        started = time.monotonic()
        process = await start_bot(tmp_path, env)
        try:
            await eventually(lambda: api.sends_ok >= 60, timeout=60)
            await eventually(lambda: len([p for p in fake.nasdaq_paths() if p == "/api/calendar/earnings"]) >= 3,
                             timeout=30)
        except BaseException:
            process.kill()
            raise
        first_company_list = edgar.request_times[0] if edgar.requests["company_tickers"] else None
        sent_at_signal = api.sends_ok
        seconds, log = await stop(process)
        sent_after = api.sends_ok
        window_reads = len([p for p in fake.nasdaq_paths() if p == "/api/calendar/earnings"])

        assert process.returncode == 0, log
        assert seconds < 5, f"stopped after {seconds:.1f}s\n{log[-3000:]}"
        assert "Traceback" not in log and "Task was destroyed" not in log, log[-3000:]
        assert "maximum number of running instances" not in log
        assert sent_after - sent_at_signal <= 6  # only what was on the wire, nothing started after
        assert window_reads < 32  # the window read was cancelled, not waited for
        assert first_company_list is not None and first_company_list - started < 15
        logger.info("first company_tickers request %.1fs after start; SIGTERM to exit %.2fs; sends %d->%d",
                    first_company_list - started, seconds, sent_at_signal, sent_after)

        # the restart sends the rest
        process = await start_bot(tmp_path, env)
        try:
            await eventually(lambda: all(api.messages_to(c) for c in CHATS), timeout=60)
        finally:
            _seconds, log = await stop(process)
        assert process.returncode == 0, log
        assert "Traceback" not in log
    copies = {chat: sum(TEXT in m.visible_text for m in api.messages_to(chat)) for chat in CHATS}
    assert all(count >= 1 for count in copies.values())
    twice = [chat for chat, count in copies.items() if count > 1]
    assert len(twice) <= 6, twice  # at most the sends in flight at the signal
