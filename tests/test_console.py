"""`earnings-bot console`: lines typed as a user get the bot's replies in the terminal."""

from __future__ import annotations

import os
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
