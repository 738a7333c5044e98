"""HTTP_PORT and the webhook settings: a mistake is one line naming the setting, the secret never shown;
`earnings-bot status` prints what /healthz says and exits 1 when unhealthy."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine

from bot.domain.market_time import utc_now
from tests.cli.test_settings_errors import AGENT, SECRET, assert_one_line, run_cli
from tests.http.helpers import source_state, watched_company

WEBHOOK_SECRET = "hook-SECRET-value_123"


@pytest.mark.parametrize("value", ["0", "65536", "http", "-1", "80.5"])
def test_a_bad_http_port_is_one_line_with_the_range(value: str) -> None:
    line = assert_one_line(run_cli("run", TELEGRAM_BOT_TOKEN=SECRET, SEC_USER_AGENT=AGENT, HTTP_PORT=value),
                           "HTTP_PORT")
    assert "allowed from 1 to 65535" in line


def test_a_webhook_url_without_a_secret_stops_run_naming_the_secret(tmp_path: Path) -> None:
    result = run_cli("run", cwd=tmp_path, TELEGRAM_BOT_TOKEN=SECRET, SEC_USER_AGENT=AGENT, HTTP_PORT="8080",
                     TELEGRAM_WEBHOOK_URL="https://bot.example.com/telegram/webhook")
    assert_one_line(result, "TELEGRAM_WEBHOOK_SECRET")
    assert not (tmp_path / "data").exists()  # stopped before it touched anything


def test_a_webhook_url_without_http_port_stops_run_naming_it(tmp_path: Path) -> None:
    result = run_cli("run", cwd=tmp_path, TELEGRAM_BOT_TOKEN=SECRET, SEC_USER_AGENT=AGENT,
                     TELEGRAM_WEBHOOK_URL="https://bot.example.com/telegram/webhook",
                     TELEGRAM_WEBHOOK_SECRET=WEBHOOK_SECRET)
    line = assert_one_line(result, "HTTP_PORT")
    assert WEBHOOK_SECRET not in result.stderr + result.stdout and "TELEGRAM_WEBHOOK_SECRET" not in line


@pytest.mark.parametrize(("name", "value"), [("TELEGRAM_WEBHOOK_SECRET", "has spaces in it"),
                                             ("TELEGRAM_WEBHOOK_SECRET", "x" * 257),
                                             ("TELEGRAM_WEBHOOK_URL", "bot.example.com/hook")])
def test_a_bad_webhook_setting_is_one_line_without_the_value(name: str, value: str) -> None:
    env = {"TELEGRAM_WEBHOOK_URL": "https://bot.example.com/telegram/webhook",
           "TELEGRAM_WEBHOOK_SECRET": WEBHOOK_SECRET, name: value}
    result = run_cli("run", TELEGRAM_BOT_TOKEN=SECRET, SEC_USER_AGENT=AGENT, HTTP_PORT="8080", **env)
    assert_one_line(result, name)
    assert value not in result.stderr


def test_status_of_a_healthy_bot_exits_0(db: Engine, database_url: str, tmp_path: Path) -> None:
    now = utc_now()
    watched_company(db, now)
    source_state(db, "nasdaq", success=now - timedelta(minutes=1))
    source_state(db, "sec_edgar", success=now - timedelta(seconds=20), error="sec: HTTP 503 for https://www.sec.gov/x",
                 error_at=now - timedelta(seconds=5))
    result = run_cli("status", cwd=tmp_path, DATABASE_URL=database_url)
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "earnings-bot: healthy (leader: none: no earnings-bot run is running)"
    assert "database: reachable" in lines
    assert any(line.startswith("sender lag: 0 s") for line in lines)
    assert any(line.startswith("source nasdaq: last success ") for line in lines)
    assert any(line.startswith("source sec_edgar:") and "last error: sec: HTTP 503" in line for line in lines)


def test_status_with_stale_polls_exits_1_saying_why(db: Engine, database_url: str, tmp_path: Path) -> None:
    watched_company(db, utc_now())
    source_state(db, "nasdaq", success=utc_now() - timedelta(hours=2))
    result = run_cli("status", cwd=tmp_path, DATABASE_URL=database_url, POLL_IDLE_SECONDS="300")
    assert result.returncode == 1
    assert result.stdout.splitlines()[0] == "earnings-bot: UNHEALTHY (leader: none: no earnings-bot run is running)"
    assert "no poll succeeded since" in result.stdout and "3 x POLL_IDLE_SECONDS" in result.stdout


@pytest.mark.parametrize("where", ["missing file", "closed port"])
def test_status_of_an_unreachable_database_is_exit_1_without_a_traceback(tmp_path: Path, where: str) -> None:
    url = (f"sqlite:///{tmp_path / 'nothing-here.sqlite3'}" if where == "missing file"
           else "postgresql+psycopg://bot:hunter2@127.0.0.1:9/bot")
    result = run_cli("status", cwd=tmp_path, DATABASE_URL=url)
    assert result.returncode == 1
    assert "Traceback" not in result.stdout + result.stderr and "hunter2" not in result.stdout + result.stderr
    assert result.stdout.splitlines()[:3] == [
        "earnings-bot: UNHEALTHY (leader: unknown)", result.stdout.splitlines()[1], "database: unreachable"]
    assert result.stdout.splitlines()[1].startswith("  problem: database unreachable: ")
    assert not (tmp_path / "nothing-here.sqlite3").exists()


def test_the_http_settings_read_their_documented_names(monkeypatch: pytest.MonkeyPatch) -> None:
    from bot.settings import load_settings

    monkeypatch.setenv("HTTP_PORT", "8080")
    monkeypatch.setenv("TELEGRAM_WEBHOOK_URL", "https://bot.example.com/telegram/webhook")
    monkeypatch.setenv("TELEGRAM_WEBHOOK_SECRET", WEBHOOK_SECRET)
    settings = load_settings(_env_file=None)
    assert settings.http_port == 8080
    assert settings.telegram_webhook_url == "https://bot.example.com/telegram/webhook"
    assert settings.telegram_webhook_secret is not None
    assert settings.telegram_webhook_secret.get_secret_value() == WEBHOOK_SECRET
    assert WEBHOOK_SECRET not in repr(settings)
    monkeypatch.delenv("HTTP_PORT")
    assert load_settings(_env_file=None).http_port is None  # off by default


def test_status_names_the_process_that_runs_the_bot_on_sqlite(db: Engine, database_url: str, tmp_path: Path) -> None:
    from bot.store.db import sqlite_file
    from bot.store.leadership import hold_sqlite_run_lock, process_label

    path = sqlite_file(database_url)
    if path is None:
        pytest.skip("the run lock is SQLite's")
    held = hold_sqlite_run_lock(path)
    try:
        result = run_cli("status", cwd=tmp_path, DATABASE_URL=database_url)
    finally:
        if held is not None:
            held.close()
    assert result.stdout.splitlines()[0] == f"earnings-bot: healthy (leader: process {process_label()})"


def test_status_names_the_leader_on_postgresql(db: Engine, database_url: str, tmp_path: Path) -> None:
    from bot.store.leadership import AdvisoryLeaderLock, process_label

    if db.dialect.name != "postgresql":
        pytest.skip("needs TEST_DATABASE_URL on PostgreSQL")
    lock = AdvisoryLeaderLock(db)
    assert lock.try_acquire()
    try:
        result = run_cli("status", cwd=tmp_path, DATABASE_URL=database_url)
    finally:
        lock.release()
    assert result.stdout.splitlines()[0] == f"earnings-bot: healthy (leader: process {process_label()})"
    after = run_cli("status", cwd=tmp_path, DATABASE_URL=database_url)
    assert after.stdout.splitlines()[0] == "earnings-bot: healthy (leader: none: no earnings-bot run is running)"
