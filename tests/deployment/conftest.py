"""Deployment tests: build the wheel, install it in a fresh virtualenv, run `earnings-bot run` as a
subprocess on an EMPTY database against the project's loopback servers, and check what a new user's
chat finally shows (edits applied).

Run them:

    uv run pytest tests/deployment                       # SQLite: a fresh file per test
    TEST_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test \\
        uv run pytest tests/deployment                   # a fresh PostgreSQL database per test
    DEPLOYMENT_TEST_EDITABLE=1 uv run pytest tests/deployment
                                                         # the checkout's .venv/bin/earnings-bot
                                                         # instead of the wheel

The wheel is built once per session (`uv build --wheel`) and installed with `uv pip install` into
DIR/venv; the folder is skipped when `uv` is not on PATH. Each test starts the process with its
working directory an empty tmp dir and an environment stripped of TELEGRAM_/SEC_/FINNHUB_/
DATABASE_/POLL_ variables, then set explicitly (see harness.Deployment.env).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from bot.sandbox.bot_api import FloodLimits, LoopbackBotApi
from bot.sandbox.calendars import FakeCalendars
from bot.sandbox.edgar import LoopbackEdgar
from tests.conftest import BOT_API_SPEC
from tests.deployment.harness import COMPANY_TICKERS, FINNHUB_KEY, TOKEN, Deployment

ROOT = Path(__file__).resolve().parents[2]
EDITABLE = os.environ.get("DEPLOYMENT_TEST_EDITABLE", "") not in ("", "0")
PG_URL = os.environ.get("TEST_DATABASE_URL", "")


@pytest.fixture(scope="session")
def bot_command(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The `earnings-bot` executable: from a freshly built and installed wheel, or the checkout's."""
    uv = shutil.which("uv")
    if uv is None:
        pytest.skip("deployment tests need `uv` on PATH to build and install the wheel")
    if EDITABLE:
        command = ROOT / ".venv" / "bin" / "earnings-bot"
        if not command.exists():
            pytest.skip(f"DEPLOYMENT_TEST_EDITABLE=1 but {command} is missing: run `uv sync`")
        return command
    where = tmp_path_factory.mktemp("wheel")
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "UV_PROJECT_ENVIRONMENT")}
    _run([uv, "build", "--wheel", "-o", str(where)], cwd=ROOT, env=env)
    [wheel] = where.glob("earnings_bot-*.whl")
    _run([uv, "venv", str(where / "venv")], cwd=where, env=env)
    _run([uv, "pip", "install", "--python", str(where / "venv" / "bin" / "python"), str(wheel)], cwd=where, env=env)
    return where / "venv" / "bin" / "earnings-bot"


def _run(args: list[str], *, cwd: Path, env: dict[str, str]) -> None:
    done = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=300, check=False)
    if done.returncode != 0:
        pytest.fail(f"{' '.join(args)} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")


@pytest.fixture
def empty_database_url(tmp_path: Path) -> Iterator[str]:
    """An empty database the bot has never seen: not migrated, no tables."""
    if not PG_URL:
        yield f"sqlite:///{tmp_path / 'data' / 'bot.sqlite3'}"
        return
    name = f"earnings_deploy_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield PG_URL.rsplit("/", 1)[0] + "/" + name
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
async def deployment(bot_command: Path, empty_database_url: str, tmp_path: Path) -> AsyncIterator[Deployment]:
    """The loopback Bot API, EDGAR (with SEC's ticker list) and calendars; every bot started in it is
    killed at the end if the test left it running."""
    workdir = tmp_path / "run"
    workdir.mkdir()
    async with (
        LoopbackBotApi(TOKEN, flood=FloodLimits(), spec_path=BOT_API_SPEC) as api,
        LoopbackEdgar(company_tickers=list(COMPANY_TICKERS)) as edgar,
        FakeCalendars(finnhub_key=FINNHUB_KEY) as calendars,
    ):
        world = Deployment(command=bot_command, workdir=workdir, database_url=empty_database_url,
                           api=api, edgar=edgar, calendars=calendars)
        try:
            yield world
        finally:
            for bot in world.processes:
                await bot.kill()
