"""A missing or invalid setting stops the program with one clear line naming it, never a traceback."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from bot.settings import Settings, SettingsError, load_settings

SECRET = "987654321:AAH-very-secret-token_value"


def run_cli(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "SEC_", "FINNHUB_", "POLL_",
                                                                        "ADMIN_", "DATABASE_", "LOG_"))}
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args], capture_output=True, text=True, timeout=60,
        env={**clean, **env}, cwd=os.path.dirname(__file__),
    )


@pytest.mark.parametrize(
    ("env", "name"),
    [
        ({}, "TELEGRAM_BOT_TOKEN"),
        ({"TELEGRAM_BOT_TOKEN": "not-a-token"}, "TELEGRAM_BOT_TOKEN"),
        ({"TELEGRAM_BOT_TOKEN": SECRET, "POLL_ACTIVE_SECONDS": "soon"}, "POLL_ACTIVE_SECONDS"),
        ({"TELEGRAM_BOT_TOKEN": SECRET, "ADMIN_CHAT_IDS": "12,abc"}, "ADMIN_CHAT_IDS"),
        ({"TELEGRAM_BOT_TOKEN": SECRET, "SEC_USER_AGENT": "curl"}, "SEC_USER_AGENT"),
        ({"TELEGRAM_BOT_TOKEN": SECRET, "DATABASE_URL": "mysql://db/x"}, "DATABASE_URL"),
        ({"TELEGRAM_BOT_TOKEN": SECRET, "TELEGRAM_RATE_PER_SECOND": "0"}, "TELEGRAM_RATE_PER_SECOND"),
        ({"TELEGRAM_BOT_TOKEN": SECRET, "DATABASE_URL": "postgresql://u:pw@127.0.0.1:notaport/db"}, "DATABASE_URL"),
    ],
)
def test_bad_setting_is_one_line_naming_the_setting(env: dict[str, str], name: str) -> None:
    result = run_cli("run", **env)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert name in lines[0]
    assert "Traceback" not in result.stderr
    assert SECRET not in result.stderr + result.stdout


def test_an_unreachable_database_is_one_line_naming_the_setting() -> None:
    result = run_cli("db", "status", DATABASE_URL="postgresql://someone:hunter2@127.0.0.1:9/db")
    assert result.returncode == 2
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
    monkeypatch.setenv("POLL_ACTIVE_SECONDS", "5")
    monkeypatch.setenv("SEC_USER_AGENT", "Jane Doe jane@example.com")
    monkeypatch.setenv("DATABASE_URL", "postgresql://u@h/db")
    settings = load_settings(_env_file=None)
    assert settings.bot_token == SECRET
    assert settings.telegram_api_url == "http://127.0.0.1:8081"
    assert settings.admin_chat_ids == frozenset({1, -1001234567890123})
    assert settings.poll_active_seconds == 5
    assert settings.poll_idle_seconds == 300
    assert settings.database_url == "postgresql+psycopg://u@h/db"
    assert SECRET not in repr(settings)


def test_missing_token_is_reported_only_when_needed() -> None:
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    with pytest.raises(SettingsError, match="TELEGRAM_BOT_TOKEN"):
        settings.bot_token  # noqa: B018
