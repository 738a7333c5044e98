"""`earnings-bot console`: lines typed as a user get the bot's replies in the terminal."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys

import pytest


@pytest.mark.slow
def test_console_answers_typed_commands(tmp_path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "DATABASE_", "SEC_", "FINNHUB_"))}
    result = subprocess.run(
        [sys.executable, "-m", "bot.cli", "console"], input="/start\n/watch NVDA brk.b ZZZZQ\n/watchlist\nquit\n",
        capture_output=True, text=True, timeout=60, env=env, cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "bot> 👋 Earnings alerts" in out
    assert "✅ Watching NVDA, BRK-B" in out
    assert "I don't know the ticker ZZZZQ" in out
    assert "next report Q4 FY2025: Wed Feb 26, 2025, after the close" in out
    assert out.rstrip().endswith("bye")


def _console_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "DATABASE_", "SEC_", "FINNHUB_",
                                                                    "POLL_", "LOG_"))}


@pytest.mark.slow
def test_console_reads_no_settings(tmp_path) -> None:
    # settings for `run` that are wrong, in the environment and in an unreadable .env, don't matter here
    (tmp_path / ".env").write_text("POLL_IDLE_SECONDS=300\n", encoding="utf-16")
    env = {**_console_env(), "POLL_ACTIVE_SECONDS": "abc", "TELEGRAM_API_URL": "ftp://nowhere",
           "DATABASE_URL": "sqlite://"}
    result = subprocess.run(
        [sys.executable, "-m", "bot.cli", "console"], input="/start\nquit\n",
        capture_output=True, text=True, timeout=60, env=env, cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert "bot> 👋 Earnings alerts" in result.stdout
    assert result.stdout.rstrip().endswith("bye")


@pytest.mark.slow
async def test_console_ends_promptly_on_ctrl_c(tmp_path) -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot.cli", "console", env=_console_env(), cwd=tmp_path,
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    assert process.stdout is not None and process.stdin is not None
    try:
        prompt = await asyncio.wait_for(process.stdout.readuntil(b"you> "), timeout=60)
        assert b"Earnings bot console" in prompt
        # stdin stays open: the console is waiting for the user to type
        process.send_signal(signal.SIGINT)
        await asyncio.wait_for(process.wait(), timeout=5)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    assert process.stderr is not None
    stderr = (await process.stderr.read()).decode()
    assert process.returncode in (0, 130), stderr
    assert "Traceback" not in stderr
