"""`earnings-bot demo` as a stranger runs it: no token, no network, done in under 30 seconds."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest


@pytest.mark.slow
def test_demo_shows_the_conversation_with_correct_verdicts(tmp_path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "DATABASE_", "SEC_", "FINNHUB_"))}
    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-m", "bot.cli", "demo"], capture_output=True, text=True, timeout=60,
        env=env, cwd=tmp_path,
    )
    elapsed = time.monotonic() - started
    out = result.stdout
    assert result.returncode == 0, result.stderr
    assert elapsed < 30
    assert "👤 /watch NVDA BABA MSFT AMZN" in out
    assert "✅ Watching NVDA, BABA, MSFT, AMZN" in out
    assert "Did you mean NVDA?" in out
    assert "next report Q4 FY2025: Wed Feb 26, 2025, after the close" in out
    assert "NVDA beat: Q4 FY2025" in out
    assert "EPS $0.89 vs $0.84 est. (+6.0%) ✅ beat · adjusted, Zacks" in out
    assert "Revenue $39.33B vs $37.72B est. (+4.3%) ✅ beat · Zacks" in out
    assert "MSFT beat: Q2 FY2025" in out
    # Alibaba: RMB figures against RMB consensus, US$ against US$, per ADS: the beat the press reported
    assert "BABA beat: Q3 FY2025" in out
    assert "EPS RMB21.39/ADS vs RMB19.12/ADS est. (+11.9%) ✅ beat · adjusted, FintechNews" in out
    assert "EPS $2.93/ADS vs $2.63/ADS est. (+11.4%) ✅ beat · adjusted, FintechNews" in out
    assert "miss" not in out.split("BABA beat")[1].split("──")[0]
    assert "Revenue RMB280.15B vs RMB277.40B est. (+1.0%) ✅ beat · Bloomberg" in out
    assert "MSFT has just filed its results (8-K Item 2.02, Item 9.01)" in out
    # companies the user does not watch send nothing
    assert "AAPL beat" not in out and "GOOGL" not in out.split("GOOGL reports")[-1].split("──")[0]
    assert out.count("NVDA beat") == 1
    assert "Traceback" not in result.stderr
