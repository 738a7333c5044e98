"""The bot's exceptions. Foreign exceptions are translated at the boundary with ``raise ... from``.

BotError
├── UserInputError          a user typed something we can't use; the message is the reply
├── SourceError             a data provider failed
│   ├── SourceUnavailable   network error, timeout, 5xx, 429, blocked (403): try later
│   └── SourceDataInvalid   the response is not in the format we know: log, keep the old data
└── DeliveryError           Telegram refused a message for good
"""

from __future__ import annotations


class BotError(Exception):
    """Base of every error the bot raises on purpose."""


class UserInputError(BotError):
    """Bad input from a user; str(error) is a reply fit to show them."""


class SourceError(BotError):
    """A data provider failed."""


class SourceUnavailable(SourceError):
    """The provider can't be reached or refused us for now; retry_after says when to try again."""

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class SourceDataInvalid(SourceError):
    """The provider answered, but not in a format we understand."""


class DeliveryError(BotError):
    """Telegram refused a message for good (not a flood wait)."""
