"""Ports: what the engine needs from the layers after it, as Protocols they implement."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from sqlmodel import Session

from bot.engine.alerts import AlertData
from bot.store.tables import Alert


@dataclass(frozen=True)
class Publication:
    """What publishing an alert did: the alert row written (None when it said nothing new), and
    whether it revises one sent before."""

    alert: Alert | None
    is_correction: bool = False


class Outbox(Protocol):
    """Queue an alert for its chats, in the caller's transaction (bot.delivery.publisher)."""

    def publish(self, session: Session, alert: AlertData, *, now: datetime) -> Publication: ...
