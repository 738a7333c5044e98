"""Builders for delivery tests: a company, chats that watch it, alerts in the outbox."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, insert, select
from sqlmodel import Session

from bot.delivery.outbox import enqueue_alert
from bot.domain.market_time import utc_now
from bot.store.db import session_scope
from bot.store.tables import Alert, AlertKind, Chat, ChatStatus, Company, Delivery, Watch

SOON = timedelta(hours=1)


def add_company(db: Engine, ticker: str = "NVDA") -> int:
    with session_scope(db) as session:
        company = Company(ticker=ticker, name=f"{ticker} Corp")
        session.add(company)
        session.flush()
        return company.id  # type: ignore[return-value]


def add_chats(db: Engine, chat_ids: Iterable[int], *, company_id: int | None = None,
              status: ChatStatus = ChatStatus.ACTIVE) -> dict[int, int]:
    """Add chats (watching company_id when given); return chat_id -> chat pk."""
    now = datetime(2025, 1, 1, tzinfo=UTC)
    ids = list(chat_ids)
    with session_scope(db) as session:
        session.exec(insert(Chat), params=[  # type: ignore[call-overload]
            {"chat_id": chat_id, "kind": "private" if chat_id > 0 else "group", "timezone": "UTC",
             "status": status, "announcement_kinds": "", "created_at": now, "updated_at": now}
            for chat_id in ids
        ])
        pks = dict(session.exec(select(Chat.chat_id, Chat.id).where(Chat.chat_id.in_(ids))).all())
        if company_id is not None:
            session.exec(insert(Watch), params=[  # type: ignore[call-overload]
                {"chat_pk": pks[chat_id], "company_id": company_id, "created_at": now} for chat_id in ids
            ])
    return pks


def alert(db: Engine, key: str, text: str, *, kind: AlertKind = AlertKind.RESULT,
          company_id: int | None = None, chat_pks: Sequence[int] | None = None,
          now: datetime | None = None) -> int:
    with session_scope(db) as session:
        created = enqueue_alert(session, kind=kind, dedup_key=key, text=text, company_id=company_id,
                                chat_pks=chat_pks, now=now or utc_now())
        assert created is not None
        return created.id  # type: ignore[return-value]


def deliveries(db: Engine, alert_id: int | None = None) -> list[Delivery]:
    with Session(db) as session:
        query = select(Delivery).order_by(Delivery.id)
        if alert_id is not None:
            query = query.where(Delivery.alert_id == alert_id)
        return list(session.exec(query).scalars())  # type: ignore[call-overload]


def chat(db: Engine, chat_pk: int) -> Chat:
    with Session(db) as session:
        found = session.get(Chat, chat_pk)
        assert found is not None
        return found


def alert_row(db: Engine, alert_id: int) -> Alert:
    with Session(db) as session:
        found = session.get(Alert, alert_id)
        assert found is not None
        return found
