"""Shared fixtures: a migrated database per test (SQLite by default, PostgreSQL when
TEST_DATABASE_URL says so), the shared reference folder, and the loopback servers."""

from __future__ import annotations

import os
import re
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlmodel import SQLModel

from bot.store.db import make_engine, upgrade

os.environ.setdefault("PTB_TIMEDELTA", "true")
# No test reaches the real newswires or IR sites: one that reads feeds names its loopback ones.
os.environ.setdefault("NEWSWIRE_FEEDS", "none")
os.environ.setdefault("IR_FEEDS_FILE", "none")

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
# api.json, which the loopback Bot API server checks every call against; None when absent, and the
# server falls back to its lenient built-in spec (tests that need api.json use shared_path instead).
_API_JSON = SHARED / "telegram-bot-api" / "api.json"
BOT_API_SPEC = _API_JSON if _API_JSON.exists() else None
FIXTURES = Path(__file__).resolve().parent / "fixtures"
# The newest schema revision: the revision id the last migration file declares.
NEWEST_SCHEMA = re.search(
    r"^revision = '([^']+)'", sorted((ROOT / "alembic" / "versions").glob("[0-9]*.py"))[-1].read_text(), re.M,
)[1]  # type: ignore[index]
PG_URL = os.environ.get("TEST_DATABASE_URL", "")


def shared_path(*parts: str) -> Path:
    """Return a path under ../shared, skipping the test when it is not there."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"reference data not available: {path}")
    return path


@pytest.fixture(scope="session")
def _migrated_template(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Migrate once per session: a SQLite file to copy, or a fresh PostgreSQL database."""
    if PG_URL:
        name = f"earnings_test_{uuid.uuid4().hex[:10]}"
        admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        url = PG_URL.rsplit("/", 1)[0] + "/" + name
        db = make_engine(url)
        upgrade(db)
        db.dispose()
        yield url
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
    else:
        path = tmp_path_factory.mktemp("template") / "template.sqlite3"
        db = make_engine(f"sqlite:///{path}")
        upgrade(db)
        db.dispose()
        yield str(path)


@pytest.fixture
def database_url(_migrated_template: str, tmp_path: Path) -> Iterator[str]:
    """Return the URL of an empty, migrated database for this test alone."""
    if PG_URL:
        yield _migrated_template
        db = make_engine(_migrated_template)
        tables = ", ".join(f'"{t.name}"' for t in SQLModel.metadata.sorted_tables)
        with db.begin() as conn:
            conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        db.dispose()
    else:
        path = tmp_path / "bot.sqlite3"
        shutil.copy(_migrated_template, path)
        yield f"sqlite:///{path}"


@pytest.fixture
def db(database_url: str) -> Iterator[Engine]:
    db = make_engine(database_url)
    yield db
    db.dispose()
