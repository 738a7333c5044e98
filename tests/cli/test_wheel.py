"""`pip install .` as a user does it: the wheel alone, in a fresh virtualenv, run from an empty
folder, creates its database, reports its schema and plays the demo."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import NEWEST_SCHEMA

ROOT = Path(__file__).resolve().parents[2]


def _run(*args: str | Path, cwd: Path, env: dict[str, str] | None = None,
         timeout: float = 240) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(a) for a in args], capture_output=True, text=True, timeout=timeout, cwd=cwd,
                          env=env)


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Build the wheel once, install it into a new virtualenv; return that venv's earnings-bot."""
    uv = shutil.which("uv")
    if uv is None:
        pytest.skip("uv is not installed")
    folder = tmp_path_factory.mktemp("wheel")
    built = _run(uv, "build", "--wheel", "-o", folder / "dist", cwd=ROOT)
    assert built.returncode == 0, built.stderr
    [wheel] = (folder / "dist").glob("earnings_bot-*.whl")
    venv = folder / "venv"
    created = _run(uv, "venv", "-q", venv, cwd=folder)
    assert created.returncode == 0, created.stderr
    python = venv / "bin" / "python"
    done = _run(uv, "pip", "install", "-q", "--python", python, wheel, cwd=folder)
    assert done.returncode == 0, done.stderr
    return venv / "bin" / "earnings-bot"


def _env(**extra: str) -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(
        ("TELEGRAM_", "SEC_", "FINNHUB_", "POLL_", "ADMIN_", "DATABASE_", "LOG_", "PYTHON", "VIRTUAL_ENV"))}
    return {**clean, **extra}


@pytest.mark.slow
def test_the_installed_wheel_creates_its_database_from_an_empty_folder(installed: Path, tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    env = _env(DATABASE_URL=f"sqlite:///{tmp_path}/x.sqlite3")
    upgraded = _run(installed, "db", "upgrade", cwd=empty, env=env)
    assert upgraded.returncode == 0, upgraded.stderr
    assert upgraded.stdout.strip() == f"database schema: {NEWEST_SCHEMA} (newest: {NEWEST_SCHEMA})"
    assert "Traceback" not in upgraded.stderr
    status = _run(installed, "db", "status", cwd=empty, env=env)
    assert status.returncode == 0, status.stderr
    assert status.stdout.strip() == f"database schema: {NEWEST_SCHEMA} (newest: {NEWEST_SCHEMA})"
    assert (tmp_path / "x.sqlite3").exists()
    assert list(empty.iterdir()) == []


@pytest.mark.slow
def test_the_installed_wheel_plays_the_demo_from_an_empty_folder(installed: Path, tmp_path: Path) -> None:
    demo = _run(installed, "demo", cwd=tmp_path, env=_env(), timeout=120)
    assert demo.returncode == 0, demo.stderr
    assert "NVDA beat: Q4 FY2025" in demo.stdout
    assert "Demo finished" in demo.stdout
    assert list(tmp_path.iterdir()) == []


@pytest.mark.slow
def test_the_installed_wheel_reads_its_own_kpi_definitions(installed: Path, tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    script = ("from bot.kpis import load_kpis, shipped_kpi_file; "
              "print(shipped_kpi_file().name, [k.key for k in load_kpis().for_company('NVDA')])")
    done = _run(installed.parent / "python", "-c", script, cwd=empty, env=_env())
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "kpis.toml ['data_center_revenue']"
    assert "site-packages" in _run(installed.parent / "python", "-c",
                                   "from bot.kpis import shipped_kpi_file; print(shipped_kpi_file())",
                                   cwd=empty, env=_env()).stdout


def test_the_installed_wheel_carries_its_ir_feeds(installed: Path, tmp_path: Path) -> None:
    python = installed.parent / "python"
    code = ("from bot.sources.feeds.ir_feeds import load_ir_feeds, shipped_ir_feeds_path; "
            "print(shipped_ir_feeds_path().parent.name, sorted(load_ir_feeds(None)))")
    shown = _run(python, "-c", code, cwd=tmp_path, env=_env())
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.startswith("feeds [")  # read from inside the package, not a checkout
    assert "'NVDA'" in shown.stdout
