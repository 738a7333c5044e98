"""The HTTP server on a free loopback port, and rows to seed what it reports."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import datetime

from sqlalchemy import Engine

from bot.http_server import HttpServer, Webhook, create_app
from bot.metrics import BotCollector
from bot.sources.http import SourceCounts
from bot.store.db import session_scope
from bot.store.tables import Alert, Chat, Company, Delivery, DeliveryStatus, SourceState, Watch

IDLE = 300.0  # POLL_IDLE_SECONDS: polls are stale after 3 x this


@asynccontextmanager
async def serving(
    db: Engine, *, now: Callable[[], datetime], running_since: datetime, messages_sent: int = 0,
    counts: SourceCounts | None = None, webhook: Webhook | None = None, role: Callable[[], str] = lambda: "leader",
) -> AsyncIterator[str]:
    """Serve the app with uvicorn on 127.0.0.1 and a free port; yield its base URL."""
    collector = BotCollector(db, messages_sent=lambda: messages_sent, source_counts=counts,
                             leader=lambda: role() == "leader")
    app = create_app(db, clock=now, poll_idle_seconds=IDLE, running_since=running_since,
                     collector=collector, webhook=webhook, role=role)
    server = HttpServer(app, port=0, host="127.0.0.1")
    await server.start()
    try:
        yield f"http://127.0.0.1:{server.port}"
    finally:
        await server.stop()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def watched_company(db: Engine, now: datetime, ticker: str = "NVDA", chat_id: int = 501) -> tuple[int, int]:
    """A company one chat watches; return (company id, chat pk)."""
    with session_scope(db) as session:
        company = Company(ticker=ticker, name=f"{ticker} Corp", updated_at=now)
        chat = Chat(chat_id=chat_id, created_at=now, updated_at=now)
        session.add_all([company, chat])
        session.flush()
        session.add(Watch(chat_pk=chat.id, company_id=company.id, created_at=now))
        return company.id, chat.id  # type: ignore[return-value]


def source_state(db: Engine, key: str, *, success: datetime | None = None, error: str | None = None,
                 error_at: datetime | None = None) -> None:
    with session_scope(db) as session:
        session.add(SourceState(key=key, last_success_at=success, last_error=error, last_error_at=error_at,
                                failures=1 if error else 0))


def alert_with_deliveries(
    db: Engine, *, kind: str, created_at: datetime, chat_pks: list[int], key: str,
    sent_at: list[datetime | None] | None = None, next_attempt_at: datetime | None = None,
    event_id: int | None = None, filing_id: int | None = None,
) -> int:
    """An alert with one delivery per chat: sent at the times given, else pending."""
    with session_scope(db) as session:
        alert = Alert(kind=kind, dedup_key=key, text=key, created_at=created_at, event_id=event_id,
                      filing_id=filing_id)
        session.add(alert)
        session.flush()
        for index, chat_pk in enumerate(chat_pks):
            sent = sent_at[index] if sent_at else None
            session.add(Delivery(
                alert_id=alert.id, chat_pk=chat_pk, status=DeliveryStatus.SENT if sent else DeliveryStatus.PENDING,
                next_attempt_at=next_attempt_at or created_at, sent_at=sent,
            ))
        return alert.id  # type: ignore[return-value]


def chats(db: Engine, chat_ids: list[int], now: datetime) -> list[int]:
    with session_scope(db) as session:
        rows = [Chat(chat_id=chat_id, created_at=now, updated_at=now) for chat_id in chat_ids]
        session.add_all(rows)
        session.flush()
        return [row.id for row in rows]  # type: ignore[misc]
