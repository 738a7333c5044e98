"""What a Telegram error means for a delivery: pause, chat gone, chat moved, retry later, or give up."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum

from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    RetryAfter,
    TelegramError,
)

# Telegram's 400 texts for a chat the bot can no longer write to (compared in lower case).
# They mean the same as a 403: stop writing to the chat until it talks to us again.
_CHAT_GONE_PHRASES = (
    "chat not found",
    "not enough rights",
    "have no rights",
    "need administrator rights",
    "chat_write_forbidden",
    "chat_restricted",
    "bot is not a member",
    "bot was kicked",
    "group chat was deactivated",
    "user is deactivated",
    "peer_id_invalid",
)
_EDIT_UNCHANGED = "message is not modified"
_EDIT_TARGET_GONE = ("message to edit not found", "message can't be edited", "message_id_invalid")


class FaultKind(StrEnum):
    FLOOD = "flood"  # 429: pause every send for retry_after
    CHAT_GONE = "chat_gone"  # blocked, kicked, not found, no rights: deactivate the chat
    CHAT_MIGRATED = "chat_migrated"  # group became a supergroup: new id, resend
    TRANSIENT = "transient"  # timeout, network, 5xx: back off and retry
    REJECTED = "rejected"  # Telegram refused this message (a bug on our side): do not retry
    EDIT_UNCHANGED = "edit_unchanged"  # an edit that changes nothing already shows the new text
    EDIT_TARGET_GONE = "edit_target_gone"  # the message to edit is gone: send a new one


@dataclass(frozen=True)
class Fault:
    """A classified Telegram error."""

    kind: FaultKind
    description: str
    retry_after: float = 0.0
    new_chat_id: int | None = None


def classify(error: TelegramError) -> Fault:
    """Map a python-telegram-bot exception to what the sender should do about it."""
    description = f"{type(error).__name__}: {error.message}"[:500]
    if isinstance(error, RetryAfter):
        return Fault(FaultKind.FLOOD, description, retry_after=_seconds(error))
    if isinstance(error, ChatMigrated):
        return Fault(FaultKind.CHAT_MIGRATED, description, new_chat_id=int(error.new_chat_id))
    if isinstance(error, Forbidden):
        return Fault(FaultKind.CHAT_GONE, description)
    if isinstance(error, BadRequest):
        text = error.message.lower()
        if _EDIT_UNCHANGED in text:
            return Fault(FaultKind.EDIT_UNCHANGED, description)
        if any(phrase in text for phrase in _EDIT_TARGET_GONE):
            return Fault(FaultKind.EDIT_TARGET_GONE, description)
        if any(phrase in text for phrase in _CHAT_GONE_PHRASES):
            return Fault(FaultKind.CHAT_GONE, description)
        return Fault(FaultKind.REJECTED, description)
    # TimedOut, NetworkError (which PTB raises for 5xx) and anything unforeseen: try again later.
    return Fault(FaultKind.TRANSIENT, description)


def _seconds(error: RetryAfter) -> float:
    # PTB gives a timedelta when PTB_TIMEDELTA=true, else int seconds (with a deprecation warning).
    value = error.retry_after
    if isinstance(value, timedelta):
        return value.total_seconds()
    return float(value)


@dataclass(frozen=True)
class Backoff:
    """Retries after a transient fault: `first` seconds, doubling, at most `longest` apart, until
    `max_attempts` tries in all."""

    max_attempts: int
    first: float
    longest: float

    def delay(self, attempt: int) -> float | None:
        """Return seconds to wait after this attempt (1 for the first) failed, or None: give up."""
        if attempt >= self.max_attempts:
            return None
        return min(self.longest, self.first * 2 ** (attempt - 1))
