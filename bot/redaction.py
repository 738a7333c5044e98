"""Secrets out of text: API keys and bot tokens removed from URLs, errors and log lines.

A leaf module like bot.errors: every layer may use it, it uses nothing of ours.
"""

from __future__ import annotations

import re

_SECRET_QUERY = re.compile(r"(?i)((?:token|apikey|api_key|key)=)[^&\s]+")
_BOT_TOKEN = re.compile(r"/bot\d+:[A-Za-z0-9_-]+")
# A bare token, as in python-telegram-bot's "The token `123:ABC...` was rejected by the server."
_BARE_BOT_TOKEN = re.compile(r"\b\d{5,20}:[A-Za-z0-9_-]{20,}")
# A webhook's secret: python-telegram-bot logs setWebhook's parameters at DEBUG ('secret_token':
# '...'); the header X-Telegram-Bot-Api-Secret-Token carries it too.
_WEBHOOK_SECRET = re.compile(r"(?i)(secret[_-]token['\"]?\s*[:=]\s*['\"]?)[A-Za-z0-9_-]+")


def redact(text: str) -> str:
    """Remove API keys and bot tokens from a URL or message."""
    text = _BOT_TOKEN.sub("/bot<token>", _SECRET_QUERY.sub(r"\1<secret>", text))
    text = _WEBHOOK_SECRET.sub(r"\1<secret>", text)
    return _BARE_BOT_TOKEN.sub("<token>", text)
