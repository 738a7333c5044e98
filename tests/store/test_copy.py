"""Copying the whole database into an empty one: every row of every table arrives as it was, the
ids continue after the copy, a non-empty target is refused, and a failure leaves the target empty.

The source is SQLite (what a deployment moves away from); the target is a SQLite file and, when
this machine's PostgreSQL answers, a PostgreSQL database made for the test."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    Engine,
    Float,
    Integer,
    String,
    Table,
    create_engine,
    inspect,
    select,
    text,
)
from sqlalchemy.exc import OperationalError
from sqlalchemy.types import TypeDecorator

import bot.store.copy as copying
from bot.store.copy import CountsDiffer, TargetNotEmpty, copy_database, data_tables
from bot.store.db import make_engine, upgrade
from bot.store.types import DecimalText, UtcDateTime

ROWS_PER_TABLE = 3
IDS = (3, 8, 20)  # gaps on purpose: the next id after the copy must be 21, not 4
PG_ADMIN_URL = os.environ.get("TEST_DATABASE_URL") or "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
WHEN = datetime(2025, 2, 26, 21, 20, 5, 123456, tzinfo=UTC)


def _value(table: Table, column: Any, i: int, ids: dict[str, list[int]]) -> Any:
    """A value of the column's type for row i: distinct per row (unique constraints), NULL in every
    second row of a nullable column, a foreign key pointing at a stored row of its table."""
    if column.foreign_keys:
        [fk] = column.foreign_keys
        parents = ids.get(fk.column.table.name, [])
        if fk.column.table is table:  # a row pointing at an earlier row of its own table
            return IDS[i - 1] if i > 0 else None
        return parents[i % len(parents)] if parents else None
    if column.nullable and i % 2 == 1:
        return None
    kind = column.type
    if isinstance(kind, UtcDateTime):
        return WHEN + timedelta(days=i, microseconds=i)
    if isinstance(kind, DecimalText):
        return Decimal("-0.0125") + i
    if isinstance(kind, TypeDecorator):  # SQLModel's AutoString and the like: what it stores
        kind = kind.impl_instance
    if isinstance(kind, BigInteger):
        return 7_100_000_001 + i  # a chat id beyond 32 bits
    if isinstance(kind, Boolean):
        return i % 2 == 0
    if isinstance(kind, Integer):
        return 2024 + i
    if isinstance(kind, Float):
        return 1.5 + i
    if isinstance(kind, Date):
        return date(2025, 2, 26) + timedelta(days=i)
    if isinstance(kind, String):
        value = f"v{i}-{column.name} <&> é"
        return value[: kind.length] if kind.length else value
    raise AssertionError(f"no test value for {table.name}.{column.name} ({kind!r})")


def fill(db: Engine) -> dict[str, list[dict[str, Any]]]:
    """Put ROWS_PER_TABLE rows in every table (ids from IDS); return what was written, by table."""
    ids: dict[str, list[int]] = {}
    written: dict[str, list[dict[str, Any]]] = {}
    with db.begin() as conn:
        for table in data_tables():
            rows = []
            for i in range(ROWS_PER_TABLE):
                row = {c.name: _value(table, c, i, ids) for c in table.columns if not c.primary_key}
                row.update({c.name: IDS[i] if isinstance(c.type, Integer) else _value(table, c, i, ids)
                            for c in table.primary_key.columns})  # send_budget's key is a name
                conn.execute(table.insert(), row)
                rows.append(row)
            ids[table.name] = list(IDS)
            written[table.name] = rows
    return written


def rows_of(db: Engine) -> dict[str, list[dict[str, Any]]]:
    with db.connect() as conn:
        return {t.name: [r._asdict() for r in conn.execute(select(t).order_by(*t.primary_key.columns))]
                for t in data_tables()}


@pytest.fixture
def source(tmp_path: Path) -> Iterator[Engine]:
    db = make_engine(f"sqlite:///{tmp_path / 'source.sqlite3'}")
    upgrade(db)
    yield db
    db.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_target(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """An empty database: a new SQLite file, or a PostgreSQL database created for this test."""
    if request.param == "sqlite":
        db = make_engine(f"sqlite:///{tmp_path / 'target' / 'copy.sqlite3'}")
        yield db
        db.dispose()
        return
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    name = f"earnings_copy_{uuid.uuid4().hex[:10]}"
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except OperationalError as exc:
        admin.dispose()
        pytest.skip(f"PostgreSQL is not reachable at {PG_ADMIN_URL.split('@')[-1]}: {exc.orig}")
    db = make_engine(PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name)
    try:
        yield db
    finally:
        db.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def test_every_row_of_every_table_arrives_as_it_was(source: Engine, empty_target: Engine) -> None:
    written = fill(source)
    seen = []
    counts = copy_database(source, empty_target, batch_rows=2, on_table=seen.append)  # batches of 2

    assert [c.name for c in counts] == [t.name for t in data_tables()] == [c.name for c in seen]
    assert all(c.source == c.copied == ROWS_PER_TABLE for c in counts), counts
    copied = rows_of(empty_target)
    assert copied == rows_of(source)
    # and what was written, typed: aware UTC times, exact decimals, 64-bit ids, NULLs, HTML and accents
    assert copied == written
    assert inspect(empty_target).has_table("alembic_version")  # the migrations made the schema


def test_a_new_row_after_the_copy_takes_the_next_id_in_every_table(source: Engine, empty_target: Engine) -> None:
    fill(source)
    copy_database(source, empty_target)
    ids = {name: list(IDS) for name in (t.name for t in data_tables())}
    with empty_target.begin() as conn:
        for table in data_tables():
            if table.autoincrement_column is None:
                continue
            row = {c.name: _value(table, c, ROWS_PER_TABLE, ids) for c in table.columns if not c.primary_key}
            new_id = conn.execute(table.insert().returning(table.autoincrement_column), row).scalar_one()
            assert new_id == max(IDS) + 1, table.name
            ids[table.name].append(new_id)  # the next table's new row points at this new one


def test_an_empty_source_copies_and_the_first_rows_start_at_one(source: Engine, empty_target: Engine) -> None:
    counts = copy_database(source, empty_target)
    assert all(c.source == c.copied == 0 for c in counts)
    chat = next(t for t in data_tables() if t.name == "chat")
    with empty_target.begin() as conn:
        row = {c.name: _value(chat, c, 0, {}) for c in chat.columns if not c.primary_key}
        assert conn.execute(chat.insert().returning(chat.c.id), row).scalar_one() == 1


def test_a_target_that_is_not_empty_is_refused_and_left_alone(source: Engine, empty_target: Engine) -> None:
    fill(source)
    upgrade(empty_target)
    with empty_target.begin() as conn:
        conn.execute(text("CREATE TABLE keep_me (x integer)"))
        conn.execute(text("INSERT INTO keep_me VALUES (42)"))
    with pytest.raises(TargetNotEmpty, match="not empty"):
        copy_database(source, empty_target)
    assert all(rows == [] for rows in rows_of(empty_target).values())
    with empty_target.connect() as conn:
        assert conn.execute(text("SELECT x FROM keep_me")).scalar_one() == 42


def test_a_failure_midway_rolls_everything_back_so_the_copy_can_run_again(source: Engine,
                                                                          empty_target: Engine) -> None:
    fill(source)

    def stop_after_three(count: copying.TableCount) -> None:
        if count.name == data_tables()[2].name:
            raise RuntimeError("the disk is full")

    with pytest.raises(RuntimeError, match="disk is full"):
        copy_database(source, empty_target, on_table=stop_after_three)
    assert inspect(empty_target).get_table_names() == []  # not even the schema stayed
    copy_database(source, empty_target)
    assert rows_of(empty_target) == rows_of(source)


def test_counts_that_differ_are_reported_and_nothing_is_kept(source: Engine, empty_target: Engine,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """A fault put in on purpose: one table's last row never reaches the target."""
    fill(source)
    copy_rows = copying._copy_table

    def lose_a_watch(reading: Any, writing: Any, table: Table, batch_rows: int) -> None:
        copy_rows(reading, writing, table, batch_rows)
        if table.name == "watch":
            writing.execute(table.delete().where(table.c.id == max(IDS)))

    monkeypatch.setattr(copying, "_copy_table", lose_a_watch)
    with pytest.raises(CountsDiffer, match=r"the counts differ \(watch\)") as raised:
        copy_database(source, empty_target)
    [differs] = [c for c in raised.value.counts if not c.matches]
    assert (differs.name, differs.source, differs.copied) == ("watch", 3, 2)
    assert inspect(empty_target).get_table_names() == []
