"""Telegram: command handlers and the loopback Bot API server."""
