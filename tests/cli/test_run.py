"""`earnings-bot run` as deployed: a subprocess that upgrades its database, talks to the Bot API at
TELEGRAM_API_URL (here the loopback server), answers a user, and stops cleanly on SIGINT without
printing its token."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

import pytest

from bot.sandbox.bot_api import FloodLimits, LoopbackBotApi
from tests.conftest import BOT_API_SPEC

TOKEN = "4242424242:RUN-TEST-SECRET-TOKEN"


async def start_run(cwd: Path, *, token: str, api_url: str, database_url: str) -> asyncio.subprocess.Process:
    """Start `earnings-bot run` as deployed, its output (log included) on stdout."""
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "SEC_", "FINNHUB_", "DATABASE_"))},
        "TELEGRAM_BOT_TOKEN": token, "TELEGRAM_API_URL": api_url, "DATABASE_URL": database_url,
        "SEC_USER_AGENT": "Run Test run-test@example.com",
        # no network in tests: the providers point at a closed local port
        "NASDAQ_API_URL": "http://127.0.0.1:9", "SEC_WWW_URL": "http://127.0.0.1:9",
        "SEC_DATA_URL": "http://127.0.0.1:9", "LOG_LEVEL": "DEBUG",
    }
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot.cli", "run", env=env, cwd=cwd,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )


@pytest.mark.slow
async def test_run_answers_a_user_and_stops_cleanly(tmp_path: Path, database_url: str) -> None:
    async with LoopbackBotApi(TOKEN, flood=FloodLimits(), spec_path=BOT_API_SPEC) as api:
        process = await start_run(tmp_path, token=TOKEN, api_url=api.base_url, database_url=database_url)
        try:
            api.user_sends(6_000_000_001, "/start")
            [reply] = await api.wait_for_messages(6_000_000_001, 1, timeout=30)
            assert "Earnings alerts" in reply.visible_text
        finally:
            process.send_signal(signal.SIGINT)
            output, _ = await asyncio.wait_for(process.communicate(), timeout=30)
    log = output.decode()
    assert process.returncode == 0, log
    assert TOKEN not in log and TOKEN.split(":")[1] not in log
    # SEC_USER_AGENT is set: SEC EDGAR is on (here a closed port) and the bot answers all the same
    assert "SEC EDGAR (company list, filings) is off" not in log
    assert "Traceback" not in log


@pytest.mark.slow
async def test_a_token_telegram_rejects_is_one_clear_line_without_the_token(tmp_path: Path, database_url: str) -> None:
    rejected = "4242424242:REJECTED-SECRET-TOKEN-VALUE"
    async with LoopbackBotApi(TOKEN, flood=FloodLimits(), spec_path=BOT_API_SPEC) as api:
        process = await start_run(tmp_path, token=rejected, api_url=api.base_url, database_url=database_url)
        output, _ = await asyncio.wait_for(process.communicate(), timeout=60)
    log = output.decode()
    assert process.returncode == 1, log
    assert log.strip().splitlines()[-1] == (
        "earnings-bot: TELEGRAM_BOT_TOKEN: Telegram rejected the token; copy it again from @BotFather"
    )
    assert rejected.split(":")[1] not in log
    assert "Traceback" not in log


@pytest.mark.slow
async def test_telegram_unreachable_at_start_is_retried_one_line_per_attempt_then_given_up(
    tmp_path: Path, database_url: str,
) -> None:
    closed = "http://127.0.0.1:9"
    # the real first delay and give-up time are seconds and minutes; the same code, quicker
    script = ("import bot.cli as cli; cli.TELEGRAM_FIRST_RETRY_SECONDS = 0.05; "
              "cli.TELEGRAM_GIVE_UP_SECONDS = 3.0; raise SystemExit(cli.main(['run']))")
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "SEC_", "FINNHUB_", "DATABASE_",
                                                                    "LOG_"))},
        "TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_API_URL": closed, "DATABASE_URL": database_url,
        "SEC_USER_AGENT": "Run Test run-test@example.com", "NASDAQ_API_URL": closed,
        "SEC_WWW_URL": closed, "SEC_DATA_URL": closed,
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-c", script, env=env, cwd=tmp_path,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await asyncio.wait_for(process.communicate(), timeout=60)
    log = output.decode()
    lines = log.strip().splitlines()
    assert process.returncode == 1, log
    assert "Traceback" not in log
    assert TOKEN not in log and TOKEN.split(":")[1] not in log
    *attempts, final = lines
    assert len(attempts) >= 3, log
    for number, line in enumerate(attempts, start=1):
        assert f"TELEGRAM_API_URL: can't reach the Bot API at {closed} (attempt {number}:" in line, log
        assert "trying again in" in line
    assert final.startswith(
        f"earnings-bot: TELEGRAM_API_URL: can't reach the Bot API at {closed}; gave up after {len(attempts) + 1} attempts"
    ), log
