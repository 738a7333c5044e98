"""A missing or invalid setting stops the program with one clear line naming it, never a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.settings import Settings, SettingsError, load_settings
from tests.conftest import NEWEST_SCHEMA

SECRET = "987654321:AAH-very-secret-token_value"
ROOT = Path(__file__).resolve().parents[2]


AGENT = "Jane Doe jane@example.com"


def run_cli(*args: str, cwd: str | Path | None = None, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "SEC_", "FINNHUB_", "POLL_",
                                                                        "ADMIN_", "DATABASE_", "LOG_"))}
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args], capture_output=True, text=True, timeout=60,
        env={**clean, **env}, cwd=cwd or os.path.dirname(__file__),
    )


def assert_one_line(result: subprocess.CompletedProcess[str], *names: str) -> str:
    """The program stopped with exit code 1 and one line on stderr naming each of `names`."""
    assert result.returncode == 1, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("earnings-bot: "), lines[0]
    for name in names:
        assert name in lines[0]
    assert "Traceback" not in result.stderr + result.stdout
    return lines[0]


@pytest.mark.parametrize(
    ("env", "name"),
    [
        ({}, "TELEGRAM_BOT_TOKEN"),
        ({"TELEGRAM_BOT_TOKEN": "not-a-token"}, "TELEGRAM_BOT_TOKEN"),
        ({"TELEGRAM_BOT_TOKEN": SECRET, "POLL_ACTIVE_SECONDS": "soon"}, "POLL_ACTIVE_SECONDS"),
        ({"TELEGRAM_BOT_TOKEN": SECRET, "ADMIN_CHAT_IDS": "12,abc"}, "ADMIN_CHAT_IDS"),
        ({"TELEGRAM_BOT_TOKEN": SECRET, "ADMIN_USER_IDS": "12,@alice"}, "ADMIN_USER_IDS"),
        ({"TELEGRAM_BOT_TOKEN": SECRET, "ADMIN_USER_IDS": str(2**64)}, "ADMIN_USER_IDS"),
        ({"TELEGRAM_BOT_TOKEN": SECRET, "SEC_USER_AGENT": "curl"}, "SEC_USER_AGENT"),
        ({"TELEGRAM_BOT_TOKEN": SECRET, "DATABASE_URL": "mysql://db/x"}, "DATABASE_URL"),
        ({"TELEGRAM_BOT_TOKEN": SECRET, "TELEGRAM_RATE_PER_SECOND": "0"}, "TELEGRAM_RATE_PER_SECOND"),
        ({"TELEGRAM_BOT_TOKEN": SECRET, "DATABASE_URL": "postgresql://u:pw@127.0.0.1:notaport/db"}, "DATABASE_URL"),
        ({"TELEGRAM_BOT_TOKEN": SECRET, "NEWSWIRE_FEEDS": "www.globenewswire.com/rss"}, "NEWSWIRE_FEEDS"),
        ({"TELEGRAM_BOT_TOKEN": SECRET, "IR_FEEDS_FILE": "/nowhere/ir_feeds.toml"}, "IR_FEEDS_FILE"),
    ],
)
def test_bad_setting_is_one_line_naming_the_setting(env: dict[str, str], name: str) -> None:
    result = run_cli("run", **{"SEC_USER_AGENT": AGENT, **env})
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert name in lines[0]
    assert "Traceback" not in result.stderr
    assert SECRET not in result.stderr + result.stdout


def test_an_unreachable_database_is_one_line_naming_the_setting() -> None:
    result = run_cli("db", "status", DATABASE_URL="postgresql://someone:hunter2@127.0.0.1:9/db")
    assert result.returncode == 1
    line = result.stderr.strip().splitlines()[-1]
    assert line.startswith("earnings-bot: DATABASE_URL: can't open or upgrade the database")
    assert "hunter2" not in result.stderr
    assert "Traceback" not in result.stderr


def test_a_token_pasted_with_spaces_is_used_without_them(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", f"  {SECRET} ")
    assert load_settings(_env_file=None).bot_token == SECRET


def test_settings_read_the_documented_names(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", SECRET)
    monkeypatch.setenv("TELEGRAM_API_URL", "http://127.0.0.1:8081/")
    monkeypatch.setenv("ADMIN_CHAT_IDS", "1, -1001234567890123")
    monkeypatch.setenv("ADMIN_USER_IDS", "5100000001;7")
    monkeypatch.setenv("POLL_ACTIVE_SECONDS", "5")
    monkeypatch.setenv("SEC_USER_AGENT", "Jane Doe jane@example.com")
    monkeypatch.setenv("DATABASE_URL", "postgresql://u@h/db")
    settings = load_settings(_env_file=None)
    assert settings.bot_token == SECRET
    assert settings.telegram_api_url == "http://127.0.0.1:8081"
    assert settings.admin_chat_ids == frozenset({1, -1001234567890123})
    assert settings.admin_user_ids == frozenset({5_100_000_001, 7})
    assert settings.poll_active_seconds == 5
    assert settings.poll_idle_seconds == 300
    assert settings.database_url == "postgresql+psycopg://u@h/db"
    assert SECRET not in repr(settings)


def test_missing_token_is_reported_only_when_needed() -> None:
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    with pytest.raises(SettingsError, match="TELEGRAM_BOT_TOKEN"):
        settings.bot_token  # noqa: B018


# --- the database -------------------------------------------------------------------------------


@pytest.mark.parametrize("command", [("db", "upgrade"), ("run",)])
def test_a_database_folder_that_cannot_be_created_is_one_line(command: tuple[str, ...]) -> None:
    result = run_cli(*command, TELEGRAM_BOT_TOKEN=SECRET, SEC_USER_AGENT=AGENT,
                     DATABASE_URL="sqlite:////proc/nope/x.sqlite3")
    line = assert_one_line(result, "DATABASE_URL", "/proc/nope")
    assert SECRET not in result.stderr + result.stdout
    assert "can't create the folder" in line


def test_a_database_folder_where_a_file_is_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "afile").write_text("not a folder")
    result = run_cli("db", "upgrade", DATABASE_URL=f"sqlite:///{tmp_path}/afile/x.sqlite3")
    assert_one_line(result, "DATABASE_URL", "afile")


def test_a_folder_the_database_cannot_be_written_in_is_one_line() -> None:
    # /proc exists and nobody, root included, may create a file in it
    result = run_cli("db", "upgrade", DATABASE_URL="sqlite:////proc/x.sqlite3")
    assert_one_line(result, "DATABASE_URL")


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root writes in read-only folders")
def test_a_read_only_database_folder_is_one_line(tmp_path: Path) -> None:
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        result = run_cli("db", "upgrade", DATABASE_URL=f"sqlite:///{folder}/x.sqlite3")
    finally:
        folder.chmod(0o755)
    assert_one_line(result, "DATABASE_URL")
    assert not (folder / "x.sqlite3").exists()


@pytest.mark.parametrize("url", ["sqlite://", "sqlite:///", "sqlite:///:memory:"])
@pytest.mark.parametrize("command", [("db", "upgrade"), ("run",)])
def test_a_database_that_would_vanish_at_exit_is_refused(url: str, command: tuple[str, ...]) -> None:
    result = run_cli(*command, TELEGRAM_BOT_TOKEN=SECRET, SEC_USER_AGENT=AGENT, DATABASE_URL=url)
    line = assert_one_line(result, "DATABASE_URL")
    assert "database schema" not in result.stdout
    assert "file" in line


def _newer_database(path: Path) -> str:
    from sqlalchemy import text

    from bot.store.db import make_engine, upgrade

    url = f"sqlite:///{path}"
    db = make_engine(url)
    upgrade(db)
    with db.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '0099'"))
    db.dispose()
    return url


@pytest.mark.parametrize("command", [("db", "upgrade"), ("db", "status"), ("run",)])
def test_a_database_from_a_newer_version_is_one_line(tmp_path: Path, command: tuple[str, ...]) -> None:
    url = _newer_database(tmp_path / "newer.sqlite3")
    result = run_cli(*command, TELEGRAM_BOT_TOKEN=SECRET, SEC_USER_AGENT=AGENT, DATABASE_URL=url)
    line = assert_one_line(result, "DATABASE_URL", "newer earnings-bot", "0099")
    assert "Can't locate revision" not in line


def test_db_status_of_a_database_not_created_yet_creates_nothing(tmp_path: Path) -> None:
    result = run_cli("db", "status", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines() == [
        "database schema: none yet: ./data/earnings-bot.sqlite3 does not exist "
        "(`earnings-bot db upgrade` creates it)"
    ]
    assert result.stderr == ""
    assert list(tmp_path.iterdir()) == []


def test_alembic_says_nothing_at_the_default_log_level(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/bot.sqlite3"
    upgraded = run_cli("db", "upgrade", DATABASE_URL=url)
    status = run_cli("db", "status", DATABASE_URL=url)
    for result in (upgraded, status):
        assert result.returncode == 0, result.stderr
        assert result.stderr == ""
        assert result.stdout.strip().splitlines() == [f"database schema: {NEWEST_SCHEMA} (newest: {NEWEST_SCHEMA})"]
    debug = run_cli("db", "upgrade", DATABASE_URL=f"sqlite:///{tmp_path}/other.sqlite3", LOG_LEVEL="DEBUG")
    assert debug.returncode == 0, debug.stderr
    assert "Running upgrade" in debug.stderr


# --- polling intervals --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "value", "allowed"),
    [
        ("POLL_ACTIVE_SECONDS", "inf", "1 to 3600"),
        ("POLL_ACTIVE_SECONDS", "nan", "1 to 3600"),
        ("POLL_ACTIVE_SECONDS", "0.001", "1 to 3600"),
        ("POLL_ACTIVE_SECONDS", "3601", "1 to 3600"),
        ("POLL_IDLE_SECONDS", "1e308", "5 to 86400"),
        ("POLL_IDLE_SECONDS", "nan", "5 to 86400"),
        ("POLL_IDLE_SECONDS", "-inf", "5 to 86400"),
        ("POLL_IDLE_SECONDS", "1", "5 to 86400"),
    ],
)
def test_a_poll_interval_out_of_range_is_one_line_with_the_range(name: str, value: str, allowed: str) -> None:
    result = run_cli("run", TELEGRAM_BOT_TOKEN=SECRET, SEC_USER_AGENT=AGENT, **{name: value})
    assert_one_line(result, f"invalid setting {name}", allowed)
    assert SECRET not in result.stderr


def test_poll_intervals_at_their_bounds_are_accepted(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("POLL_ACTIVE_SECONDS", "1")
    monkeypatch.setenv("POLL_IDLE_SECONDS", "86400")
    settings = load_settings(_env_file=None)
    assert (settings.poll_active_seconds, settings.poll_idle_seconds) == (1, 86400)
    monkeypatch.setenv("POLL_ACTIVE_SECONDS", "3600")
    monkeypatch.setenv("POLL_IDLE_SECONDS", "5")
    settings = load_settings(_env_file=None)
    assert (settings.poll_active_seconds, settings.poll_idle_seconds) == (3600, 5)


# --- the .env file ------------------------------------------------------------------------------


def test_a_dot_env_saved_as_utf16_is_one_line_naming_the_file(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text(f"TELEGRAM_BOT_TOKEN={SECRET}\nSEC_USER_AGENT={AGENT}\n", encoding="utf-16")
    result = run_cli("db", "status", cwd=tmp_path)
    line = assert_one_line(result, ".env", "UTF-8")
    assert str(tmp_path / ".env") in line
    assert SECRET not in result.stderr


def test_a_dot_env_saved_with_a_byte_order_mark_is_read(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text(f"DATABASE_URL=sqlite:///{tmp_path}/bom.sqlite3\n", encoding="utf-8-sig")
    result = run_cli("db", "upgrade", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "bom.sqlite3").exists()
    assert not (tmp_path / "data").exists()


# --- command line arguments ---------------------------------------------------------------------


@pytest.mark.parametrize("days", ["100000000", "-5", "0", "367", "soon"])
def test_sync_days_out_of_range_is_refused_by_the_command_line(tmp_path: Path, days: str) -> None:
    result = run_cli("sync", "--days", days, SEC_USER_AGENT=AGENT, cwd=tmp_path,
                     DATABASE_URL=f"sqlite:///{tmp_path}/x.sqlite3")
    assert result.returncode == 2, result.stderr
    assert "argument --days: must be a whole number of days from 1 to 366" in result.stderr.splitlines()[-1]
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "x.sqlite3").exists()


# --- run needs SEC_USER_AGENT -------------------------------------------------------------------


def test_run_without_sec_user_agent_stops_at_start_naming_it(tmp_path: Path) -> None:
    result = run_cli("run", TELEGRAM_BOT_TOKEN=SECRET, cwd=tmp_path, DATABASE_URL=f"sqlite:///{tmp_path}/x.sqlite3")
    line = assert_one_line(result, "SEC_USER_AGENT")
    assert "e-mail" in line
    assert SECRET not in result.stderr
    assert not (tmp_path / "x.sqlite3").exists()


# --- demo and console read no settings ----------------------------------------------------------


def test_demo_settings_ignore_the_environment_and_dot_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from bot.settings import IsolatedSettings

    monkeypatch.chdir(tmp_path)
    (tmp_path / ".env").write_text("POLL_IDLE_SECONDS=77\nLOG_LEVEL=DEBUG\n")
    monkeypatch.setenv("POLL_ACTIVE_SECONDS", "abc")
    monkeypatch.setenv("TELEGRAM_RATE_PER_SECOND", "3")
    settings = IsolatedSettings(database_url=f"sqlite:///{tmp_path}/x.sqlite3")
    assert settings.poll_active_seconds == 15
    assert settings.poll_idle_seconds == 300
    assert settings.telegram_rate_per_second == 25
    assert settings.log_level == "INFO"
    assert settings.database_url == f"sqlite:///{tmp_path}/x.sqlite3"


@pytest.mark.slow
def test_demo_reads_no_settings(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("POLL_IDLE_SECONDS=300\n", encoding="utf-16")
    result = run_cli("demo", cwd=tmp_path, POLL_ACTIVE_SECONDS="abc", TELEGRAM_RATE_PER_SECOND="0",
                     DATABASE_URL="sqlite://", LOG_LEVEL="loud")
    assert result.returncode == 0, result.stderr
    assert "NVDA beat: Q4 FY2025" in result.stdout
    assert "Demo finished" in result.stdout
    assert sorted(p.name for p in tmp_path.iterdir()) == [".env"]


def test_a_mistake_in_the_kpis_file_stops_run_with_one_line(tmp_path: Path) -> None:
    mine = tmp_path / "kpis.toml"
    mine.write_text('[NVDA.gaming_revenue]\nname = "Gaming"\nunit = "dollars"\nphrases = ["Gaming revenue"]\n',
                    encoding="utf-8")
    env = {"TELEGRAM_BOT_TOKEN": SECRET, "SEC_USER_AGENT": AGENT, "DATABASE_URL": f"sqlite:///{tmp_path}/x.sqlite3"}
    line = assert_one_line(run_cli("run", KPIS_FILE=str(mine), **env), str(mine), "NVDA.gaming_revenue.unit")
    assert "money" in line  # the units it could be
    assert not (tmp_path / "x.sqlite3").exists()  # stopped before touching anything
    assert_one_line(run_cli("run", KPIS_FILE=str(tmp_path / "absent.toml"), **env), "KPIS_FILE", "absent.toml")
