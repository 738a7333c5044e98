"""Ports: what the engine needs from the layers after it, as Protocols they implement."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Concatenate, ParamSpec, Protocol, TypeVar

from sqlmodel import Session

from bot.engine.alerts import AlertData
from bot.store.tables import Alert

T = TypeVar("T")
P = ParamSpec("P")


@dataclass(frozen=True)
class Publication:
    """What publishing an alert did: the alert row written (None when it said nothing new), and
    whether it revises one sent before."""

    alert: Alert | None
    is_correction: bool = False


class Outbox(Protocol):
    """Queue an alert for its chats, in the caller's transaction (bot.delivery.publisher)."""

    def publish(self, session: Session, alert: AlertData, *, now: datetime) -> Publication: ...


class Transactions(Protocol):
    """Run one step in a transaction of its own, off the event loop (bot.store.db.ThreadedTransactions).

    The pollers and the detector take this instead of opening sessions: each step commits before the
    next network read, so a crash resumes from the tables and a locked database never freezes the bot.
    """

    async def run(self, step: Callable[Concatenate[Session, P], T], *args: P.args, **kwargs: P.kwargs) -> T:
        """Call step(session, *args, **kwargs) in a new transaction; commit when it returns."""
        ...
