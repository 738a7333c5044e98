"""`earnings-bot extract PATH` prints the figures of one press release as JSON; bad input, one line."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.conftest import FIXTURES


def extract(target: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "bot.cli", "extract", target], capture_output=True, text=True,
                          timeout=60)


def test_extract_prints_the_figures_as_json() -> None:
    result = extract(str(FIXTURES / "press_releases" / "nvda_q4_fy2025_ex99-1.htm"))
    assert result.returncode == 0, result.stderr
    figures = json.loads(result.stdout)["figures"]
    by_key = {(f["metric"], f["basis"]): f for f in figures}
    assert by_key[("revenue", "gaap")]["value"] == "39331000000"
    assert by_key[("revenue", "gaap")]["currency"] == "USD"
    assert by_key[("eps", "adjusted")]["value"] == "0.89"
    assert by_key[("eps", "gaap")]["unit"] == "per_share"
    assert {"metric", "value", "unit", "currency", "basis", "period"} <= set(figures[0])


def test_a_missing_file_is_one_clear_line() -> None:
    result = extract("/no/such/release.htm")
    assert result.returncode == 1
    assert result.stderr.strip() == "earnings-bot extract: no such file: /no/such/release.htm"
