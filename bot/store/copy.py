"""Copy the bot's whole database into an empty one (`earnings-bot db copy`): SQLite to PostgreSQL,
or any database SQLAlchemy opens to any other.

In one transaction on the target: the migrations create the schema, every table is copied in
foreign-key order (parents before children, rows in primary-key order, in batches), PostgreSQL's
sequences are moved past the copied ids, and each table's rows are counted on both sides. When a
count differs, or anything fails, the transaction is rolled back and the target stays empty. The
source is read in one transaction too, so the copy is one consistent moment of it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy import Connection, Engine, Table, func, inspect, select, text
from sqlmodel import SQLModel

import bot.store.tables  # noqa: F401  (registers every table on SQLModel.metadata)
from bot.store.db import upgrade_in

BATCH_ROWS = 1000
# Tables of the migration tool and of SQLite itself: not the bot's data.
_NOT_DATA = ("alembic_version",)
_NOT_DATA_PREFIX = "sqlite_"


class CopyError(Exception):
    """Why the copy can't be made, as one line."""


class TargetNotEmpty(CopyError):
    def __init__(self, tables: list[str]) -> None:
        shown = ", ".join(sorted(tables)[:5]) + (", ..." if len(tables) > 5 else "")
        super().__init__(f"the database is not empty ({len(tables)} tables: {shown}); "
                         "db copy fills only an empty database")
        self.tables = tables


@dataclass(frozen=True)
class TableCount:
    name: str
    source: int
    copied: int

    @property
    def matches(self) -> bool:
        return self.source == self.copied


class CountsDiffer(CopyError):
    """The copy's rows don't add up to the source's: nothing was kept."""

    def __init__(self, counts: list[TableCount]) -> None:
        differ = [c.name for c in counts if not c.matches]
        super().__init__(f"the counts differ ({', '.join(differ)}); nothing was kept in the target")
        self.counts = counts


def data_tables() -> list[Table]:
    """The bot's tables, parents before the tables whose foreign keys point at them."""
    return list(SQLModel.metadata.sorted_tables)


def copy_database(source: Engine, target: Engine, *, batch_rows: int = BATCH_ROWS,
                  on_table: Callable[[TableCount], None] | None = None) -> list[TableCount]:
    """Copy every table of source (a database at the newest schema) into the empty target.

    Returns each table's counts; raises TargetNotEmpty, CountsDiffer (rolled back) or CopyError."""
    check_empty(target)
    tables = data_tables()
    _check_source_tables(source, {t.name for t in tables})
    counts: list[TableCount] = []
    with _snapshot(source) as reading, _written_at_once(target) as writing:
        upgrade_in(writing)
        for table in tables:
            source_rows = _count(reading, table)
            _copy_table(reading, writing, table, batch_rows)
            # what the target now holds, counted there, against the source's count
            count = TableCount(table.name, source=source_rows, copied=_count(writing, table))
            counts.append(count)
            if on_table is not None:
                on_table(count)
        if writing.dialect.name == "postgresql":
            advance_sequences(writing, tables)
        if not all(c.matches for c in counts):
            raise CountsDiffer(counts)  # leaves the `with` before its commit: rolled back
    return counts


def check_empty(target: Engine) -> None:
    """Raise TargetNotEmpty when the target has any table at all (in its default schema)."""
    existing = inspect(target).get_table_names()
    if existing:
        raise TargetNotEmpty(existing)


def _check_source_tables(source: Engine, known: set[str]) -> None:
    found = {name for name in inspect(source).get_table_names()
             if name not in _NOT_DATA and not name.startswith(_NOT_DATA_PREFIX)}
    unknown = sorted(found - known)
    if unknown:
        raise CopyError(f"the source has tables this version does not know ({', '.join(unknown)}); "
                        "copy with the earnings-bot that made them")
    missing = sorted(known - found)
    if missing:
        raise CopyError(f"the source lacks tables ({', '.join(missing)}); run `earnings-bot db upgrade` on it first")


@contextmanager
def _snapshot(source: Engine) -> Iterator[Connection]:
    """A connection to the source reading one consistent moment (one read transaction)."""
    options = {"isolation_level": "REPEATABLE READ"} if source.dialect.name == "postgresql" else {}
    with source.connect().execution_options(**options) as connection, _transaction(connection):
        yield connection
        connection.rollback()  # it only read


@contextmanager
def _written_at_once(target: Engine) -> Iterator[Connection]:
    """A connection to the target in one transaction: committed when the block ends, else rolled back."""
    with target.connect() as connection, _transaction(connection):
        yield connection
        connection.commit()


@contextmanager
def _transaction(connection: Connection) -> Iterator[None]:
    """Begin a real transaction. Python's sqlite3 opens one only before INSERT, UPDATE or DELETE:
    CREATE TABLE and SELECT would run outside it, so the schema would survive a rollback and reads
    would see no single moment. On SQLite the driver's own handling is set aside for an explicit BEGIN
    (SQLAlchemy's recipe for SQLite transactions); elsewhere SQLAlchemy's begin is enough."""
    if connection.dialect.name != "sqlite":
        with connection.begin():
            yield
        return
    driver = connection.connection.driver_connection
    assert driver is not None
    saved = driver.isolation_level
    driver.isolation_level = None
    try:
        connection.exec_driver_sql("BEGIN")
        try:
            yield
        except BaseException:
            connection.rollback()
            raise
    finally:
        if connection.in_transaction():
            connection.rollback()
        driver.isolation_level = saved


def _copy_table(reading: Connection, writing: Connection, table: Table, batch_rows: int) -> None:
    rows = reading.execution_options(yield_per=batch_rows).execute(
        select(table).order_by(*table.primary_key.columns))
    for batch in rows.partitions():
        writing.execute(table.insert(), [row._asdict() for row in batch])


def _count(connection: Connection, table: Table) -> int:
    return int(connection.execute(select(func.count()).select_from(table)).scalar_one())


def advance_sequences(connection: Connection, tables: list[Table]) -> None:
    """Set each id sequence so the next row gets max(id) + 1 (1 for an empty table): rows were
    copied with their ids, which leaves PostgreSQL's sequences where the migrations made them."""
    quote = connection.dialect.identifier_preparer.quote
    for table in tables:
        column = table.autoincrement_column
        if column is None:
            continue
        connection.execute(
            text(f"SELECT setval(pg_get_serial_sequence(:table, :column), "
                 f"COALESCE((SELECT MAX({quote(column.name)}) FROM {quote(table.name)}), 0) + 1, false)"),
            {"table": quote(table.name), "column": column.name},
        )
