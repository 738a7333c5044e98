"""REDIS_URL: a mistake, or a Redis that does not answer, stops `run` at start with one line naming
the setting, never its password."""

from __future__ import annotations

from pathlib import Path

import pytest
import redis

from tests.cli.test_settings_errors import AGENT, SECRET, assert_one_line, run_cli
from tests.delivery.test_redis_budget import REDIS_URL, needs_redis

PASSWORD = "redis-PASSWORD-42"


@pytest.mark.parametrize("value", ["127.0.0.1:6379", f"http://:{PASSWORD}@127.0.0.1:6379/0"])
def test_a_redis_url_of_another_kind_is_one_line(value: str) -> None:
    result = run_cli("run", TELEGRAM_BOT_TOKEN=SECRET, SEC_USER_AGENT=AGENT, REDIS_URL=value)
    line = assert_one_line(result, "REDIS_URL")
    assert "redis://HOST:PORT/DB" in line and PASSWORD not in result.stderr + result.stdout


def test_a_redis_that_does_not_answer_stops_run_naming_it(tmp_path: Path) -> None:
    result = run_cli("run", cwd=tmp_path, TELEGRAM_BOT_TOKEN=SECRET, SEC_USER_AGENT=AGENT,
                     REDIS_URL=f"redis://:{PASSWORD}@127.0.0.1:1/0")
    line = assert_one_line(result, "REDIS_URL")
    assert "127.0.0.1:1/0 does not answer" in line, line
    assert PASSWORD not in result.stderr + result.stdout


def test_a_password_that_breaks_the_url_is_one_line_without_it() -> None:
    result = run_cli("run", TELEGRAM_BOT_TOKEN=SECRET, SEC_USER_AGENT=AGENT,
                     REDIS_URL=f"redis://:{PASSWORD}#more@127.0.0.1:6379/0")
    line = assert_one_line(result, "REDIS_URL")
    assert "percent-encoded" in line and PASSWORD not in result.stderr + result.stdout


@needs_redis
def test_a_redis_user_not_allowed_the_script_stops_run_naming_it(tmp_path: Path) -> None:
    admin = redis.Redis.from_url(REDIS_URL)
    admin.execute_command("ACL", "SETUSER", "budget-test", "on", f">{PASSWORD}", "~*", "+@all", "-eval", "-evalsha")
    try:
        result = run_cli("run", cwd=tmp_path, TELEGRAM_BOT_TOKEN=SECRET, SEC_USER_AGENT=AGENT,
                         REDIS_URL=f"redis://budget-test:{PASSWORD}@127.0.0.1:6379/15")
    finally:
        admin.execute_command("ACL", "DELUSER", "budget-test")
    line = assert_one_line(result, "REDIS_URL")
    assert "refused the send budget's script (NoPermissionError)" in line, line
    assert PASSWORD not in result.stderr + result.stdout
