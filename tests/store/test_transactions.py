"""The transactions of command steps: committed when the step returns, rolled back when it raises,
and on PostgreSQL run on the event loop, which serves other work while a step waits on the server."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine, text
from sqlmodel import Session, select

from bot.store.db import LoopTransactions, ThreadedTransactions, command_transactions, session_scope
from bot.store.tables import Chat, ChatStatus
from tests.conftest import PG_URL

postgres_only = pytest.mark.skipif(not PG_URL.startswith("postgresql"), reason="needs TEST_DATABASE_URL on PostgreSQL")
NOW = datetime(2026, 12, 1, 15, 0, tzinfo=UTC)


def add_chat(session: Session, chat_id: int) -> int:
    chat = Chat(chat_id=chat_id, kind="private", status=ChatStatus.ACTIVE, created_at=NOW, updated_at=NOW)
    session.add(chat)
    session.flush()
    assert chat.id is not None
    return chat.id


def add_chat_then_fail(session: Session, chat_id: int) -> None:
    add_chat(session, chat_id)
    raise ValueError("the step fails after its insert")


def stored_chat_ids(db: Engine) -> list[int]:
    with session_scope(db) as session:
        return list(session.exec(select(Chat.chat_id).order_by(Chat.chat_id)).all())


async def test_a_step_is_committed_and_a_failed_one_leaves_nothing(db: Engine) -> None:
    steps = command_transactions(db)
    expected = LoopTransactions if db.url.get_backend_name() == "postgresql" else ThreadedTransactions
    assert isinstance(steps, expected)
    try:
        pk = await steps.run(add_chat, 9_007_199_254_740_993)  # a 64-bit chat id, beyond a double's precision
        with pytest.raises(ValueError, match="after its insert"):
            await steps.run(add_chat_then_fail, 42)
    finally:
        if isinstance(steps, LoopTransactions):
            await steps.close()
    assert pk > 0
    assert stored_chat_ids(db) == [9_007_199_254_740_993]


@postgres_only
async def test_the_loop_serves_other_steps_while_one_waits_on_a_row_lock(db: Engine) -> None:
    with session_scope(db) as session:
        add_chat(session, 1)
    steps = LoopTransactions(db)

    def rename(session: Session, title: str) -> str:
        # a loop blocked by this wait would fail the test after 5 s instead of hanging it
        session.execute(text("SET LOCAL lock_timeout = '5s'"))
        chat = session.exec(select(Chat).where(Chat.chat_id == 1).with_for_update()).one()
        chat.title = title
        session.add(chat)
        return title

    def count_chats(session: Session) -> int:
        return len(session.exec(select(Chat.id)).all())

    holder = db.connect()
    try:
        holder.begin()
        holder.execute(text("SELECT id FROM chat WHERE chat_id = 1 FOR UPDATE"))  # another process holds the row
        waiting = asyncio.create_task(steps.run(rename, "renamed"))
        # the waiting step's statement is with the server; meanwhile the loop runs other steps
        answered = [await steps.run(count_chats) for _ in range(5)]
        assert answered == [1] * 5 and not waiting.done()
        holder.rollback()
        assert await asyncio.wait_for(waiting, timeout=10) == "renamed"
    finally:
        holder.close()
        await steps.close()
    with session_scope(db) as session:
        assert session.exec(select(Chat.title).where(Chat.chat_id == 1)).one() == "renamed"


@postgres_only
async def test_a_step_on_a_connection_the_server_dropped_runs_again_on_a_new_one(db: Engine) -> None:
    steps = LoopTransactions(db)

    def backend_pid(session: Session) -> int:
        return int(session.execute(text("SELECT pg_backend_pid()")).scalar_one())

    try:
        first = await steps.run(backend_pid)  # its connection goes back to the pool
        with db.connect() as admin:  # what a server restart does to it
            admin.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": first})
        pk = await steps.run(add_chat, 77)
        again = await steps.run(backend_pid)
    finally:
        await steps.close()
    assert again != first and pk > 0
    assert stored_chat_ids(db) == [77]  # stored once


@postgres_only
async def test_a_read_runs_each_statement_alone_and_a_step_in_one_transaction(db: Engine) -> None:
    steps = LoopTransactions(db)

    def second_statement_opens_its_transaction(session: Session) -> bool:
        session.execute(text("SELECT pg_sleep(0.01)"))
        return bool(session.execute(text("SELECT statement_timestamp() = transaction_timestamp()")).scalar_one())

    try:
        alone = await steps.read(second_statement_opens_its_transaction)
        together = await steps.run(second_statement_opens_its_transaction)
        again = await steps.read(second_statement_opens_its_transaction)  # the pool's connection, reset
    finally:
        await steps.close()
    assert (alone, together, again) == (True, False, True)
