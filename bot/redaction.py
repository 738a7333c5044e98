"""Secrets out of text: API keys and bot tokens removed from URLs, errors and log lines.

A leaf module like bot.errors: every layer may use it, it uses nothing of ours.
"""

from __future__ import annotations

import re

_SECRET_QUERY = re.compile(r"(?i)((?:token|apikey|api_key|key)=)[^&\s]+")
_BOT_TOKEN = re.compile(r"/bot\d+:[A-Za-z0-9_-]+")
# A bare token, as in python-telegram-bot's "The token `123:ABC...` was rejected by the server."
_BARE_BOT_TOKEN = re.compile(r"\b\d{5,20}:[A-Za-z0-9_-]{20,}")


def redact(text: str) -> str:
    """Remove API keys and bot tokens from a URL or message."""
    text = _BOT_TOKEN.sub("/bot<token>", _SECRET_QUERY.sub(r"\1<secret>", text))
    return _BARE_BOT_TOKEN.sub("<token>", text)
