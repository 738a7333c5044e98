"""Migrations are the only thing that creates tables, and they match the models exactly."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, inspect
from sqlmodel import SQLModel

from bot.store.db import schema_status


def test_upgrade_head_leaves_no_drift_against_the_models(db: Engine) -> None:
    with db.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        diff = compare_metadata(context, SQLModel.metadata)
    assert diff == []


def test_upgrade_head_creates_every_table_and_records_the_head(db: Engine) -> None:
    tables = set(inspect(db).get_table_names())
    expected = {
        "company", "earnings_event", "expectation", "reported_figure", "filing",
        "chat", "watch", "alert", "delivery", "source_state",
    }
    assert expected <= tables
    current, head = schema_status(db)
    assert current == head != ""


def test_chat_ids_are_64_bit(db: Engine) -> None:
    columns = {c["name"]: c for c in inspect(db).get_columns("chat")}
    assert "BIGINT" in str(columns["chat_id"]["type"]).upper()
