"""Status: what /status shows about the data sources and the outbox."""

from __future__ import annotations

from datetime import datetime
from html import escape

from sqlalchemy import Engine, func
from sqlmodel import select

from bot.domain.market_time import NEW_YORK
from bot.settings import Settings
from bot.store.db import session_scope
from bot.store.tables import Delivery, DeliveryStatus, SourceState


def status_report(engine: Engine, settings: Settings, now: datetime) -> str:
    """Return the /status text: each source's last success or error, and the pending deliveries."""
    lines = ["<b>Status</b>"]
    if not settings.sec_user_agent:
        lines.append("⚠️ SEC EDGAR: off (SEC_USER_AGENT with a contact e-mail is not set)")
    if not settings.finnhub_key:
        lines.append("Finnhub: off (no FINNHUB_API_KEY; revenue consensus comes only from other sources)")
    with session_scope(engine) as session:
        states = session.exec(select(SourceState).order_by(SourceState.key)).all()
        pending = session.exec(
            select(func.count()).select_from(Delivery).where(Delivery.status == DeliveryStatus.PENDING)
        ).one()
    for state in states:
        line = f"{escape(state.key)}: "
        if state.backoff_until and state.backoff_until > now:
            line += f"⏸ backing off until {state.backoff_until.astimezone(NEW_YORK):%H:%M} ET; "
        if state.last_success_at:
            line += f"ok {state.last_success_at.astimezone(NEW_YORK):%b %d %H:%M:%S} ET"
        else:
            line += "no success yet"
        if state.last_error and (not state.last_success_at or (state.last_error_at or now) > state.last_success_at):
            line += f"; last error: {escape(state.last_error[:120])}"
        lines.append(line)
    lines.append(f"Messages waiting to be sent: {pending}")
    return "\n".join(lines)
