"""Moving a running deployment from SQLite to PostgreSQL: the installed bot takes a user's watch on
SQLite, `earnings-bot db backup` copies the file while it runs, and the bot stops; `earnings-bot db copy --to postgresql+psycopg://...` copies it into an empty
database made for the test; the bot started on the copy still knows the user's watchlist and takes
a new watch (the ids continue after the copied ones); a second copy into it is refused."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

from tests.deployment.harness import Deployment

pytestmark = pytest.mark.slow

CHAT = 6_500_000_001
PG_ADMIN_URL = os.environ.get("TEST_DATABASE_URL") or "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


@pytest.fixture
def empty_postgresql() -> Iterator[str]:
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    name = f"earnings_copy_{uuid.uuid4().hex[:10]}"
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except OperationalError as exc:
        admin.dispose()
        pytest.skip(f"PostgreSQL is not reachable at {PG_ADMIN_URL.split('@')[-1]}: {exc.orig}")
    try:
        yield PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


async def db_copy(deployment: Deployment, source: str, target: str) -> tuple[int, str, str]:
    return await earnings_bot(deployment, source, "db", "copy", "--to", target)


async def earnings_bot(deployment: Deployment, database_url: str, *args: str) -> tuple[int, str, str]:
    env = deployment.env(extra={"DATABASE_URL": database_url})
    process = await asyncio.create_subprocess_exec(
        str(deployment.command), *args, cwd=deployment.workdir, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(process.communicate(), timeout=120)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


async def test_a_sqlite_deployment_moves_to_postgresql_and_goes_on(deployment: Deployment, tmp_path: Path,
                                                                   empty_postgresql: str) -> None:
    sqlite_url = f"sqlite:///{tmp_path / 'data' / 'bot.sqlite3'}"
    bot = await deployment.start(extra_env={"DATABASE_URL": sqlite_url})
    await deployment.new_watcher(bot, CHAT, "NVDA")
    # a backup first, while the bot runs on the file
    backup = tmp_path / "backups" / "before-the-move.sqlite3"
    code, out, err = await earnings_bot(deployment, sqlite_url, "db", "backup", str(backup))
    assert code == 0 and "integrity ok" in out, out + err
    with sqlite3.connect(backup) as conn:
        assert conn.execute("SELECT count(*) FROM watch").fetchall() == [(1,)]
    code, _ = await bot.terminate(timeout=10)
    assert code == 0, bot.tail()

    code, out, err = await db_copy(deployment, sqlite_url, empty_postgresql)
    assert code == 0, out + err
    rows = {line.split()[0]: int(line.split()[1].replace(",", "")) for line in out.splitlines()[1:-1]}
    assert rows["chat"] == 1 and rows["watch"] == 1 and rows["company"] >= 7, out
    assert "every count matches" in out.splitlines()[-1]

    bot = await deployment.start(extra_env={"DATABASE_URL": empty_postgresql})
    shown = (await deployment.reply_to(bot, CHAT, "/watchlist", timeout=20)).visible_text
    assert "NVDA" in shown, deployment.describe(CHAT)
    reply = await deployment.reply_to(bot, CHAT, "/watch AAPL")
    assert "Watching AAPL" in reply.visible_text, deployment.describe(CHAT)
    shown = (await deployment.reply_to(bot, CHAT, "/watchlist")).visible_text
    assert "NVDA" in shown and "AAPL" in shown, deployment.describe(CHAT)
    code, _ = await bot.terminate(timeout=10)
    assert code == 0 and "Traceback" not in bot.output, bot.tail()

    db = create_engine(empty_postgresql)
    with db.connect() as conn:
        watches = conn.execute(text("SELECT id FROM watch ORDER BY id")).scalars().all()
    db.dispose()
    assert watches == [1, 2]  # the new watch took the id after the copied one

    code, out, err = await db_copy(deployment, sqlite_url, empty_postgresql)
    assert code == 1 and out == ""
    [line] = err.strip().splitlines()
    assert line.startswith("earnings-bot: --to: ") and "not empty" in line
