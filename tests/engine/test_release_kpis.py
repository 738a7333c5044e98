"""The detector reads a company's KPIs (config/kpis.toml) from its press release beside the headline
figures, and stores them as reported figures: a chat's own Data Center number is judged against it."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from bot.engine.detect import EdgarDetector
from bot.engine.own_numbers import set_own_number
from bot.engine.subscriptions import get_chat
from bot.engine.sync import apply_calendar_rows
from bot.kpis import load_kpis
from bot.sandbox.edgar import LoopbackEdgar
from bot.sources.edgar.client import EdgarClient
from bot.sources.http import RateLimiter, make_client
from bot.store.db import ThreadedTransactions, session_scope
from bot.store.tables import Alert, Delivery, ReportedFigure, saved_id
from tests.engine.helpers import (
    OUTBOX,
    Clock,
    add_company,
    calendar_row,
    eps,
    revenue,
    watching_chat,
)
from tests.engine.test_detect import ACCEPTED, AGENT, nvda_filing

ALICE, BOB = 5_000_000_001, 5_000_000_002


async def test_release_kpis_are_stored_and_judged_against_own_numbers(db: Engine) -> None:
    kpis = load_kpis().for_company
    with Session(db) as session:
        add_company(session)
        watching_chat(session, ALICE, "NVDA")
        watching_chat(session, BOB, "NVDA")
        row = calendar_row(day=date(2025, 2, 26), estimates=(eps("0.84"), revenue("37720000000")))
        apply_calendar_rows(session, [row], now=ACCEPTED - timedelta(days=1))
        for metric, value in (("eps", "0.90"), ("data_center_revenue", "36B")):
            set_own_number(session, ALICE, "NVDA", metric, value, kpis_of=kpis, now=ACCEPTED - timedelta(hours=5))
        session.commit()
    async with LoopbackEdgar() as edgar, make_client() as http:
        client = EdgarClient(http, edgar.url, edgar.url, AGENT, RateLimiter(10))
        detector = EdgarDetector(ThreadedTransactions(db), client, outbox=OUTBOX, active_seconds=15,
                                 idle_seconds=300, clock=Clock(ACCEPTED + timedelta(seconds=20)), kpis_of=kpis)
        edgar.publish(nvda_filing())
        assert (await detector.poll()).errors == []
    with session_scope(db) as session:
        kpi = session.exec(select(ReportedFigure).where(ReportedFigure.metric == "kpi:data_center_revenue")).one()
        assert (kpi.value, kpi.unit, kpi.currency, kpi.source) == (Decimal(35_600_000_000), "money", "USD", "sec")
        result = session.exec(select(Alert).where(col(Alert.dedup_key).startswith("result:"))).one()
        texts = {d.chat_pk: d.text or result.text
                 for d in session.exec(select(Delivery).where(Delivery.alert_id == result.id)).all()}
        alice, bob = (saved_id(get_chat(session, c)) for c in (ALICE, BOB))  # type: ignore[arg-type]
        assert "EPS $0.89 vs $0.90 yours (-1.1%) ❌ miss" in texts[alice]
        assert "Data center revenue $35.60B vs $36.00B yours (-1.1%) ❌ miss" in texts[alice]
        assert "yours" not in texts[bob] and "Data center revenue $35.60B" in texts[bob]
