"""Telegram: command handlers, replies and admin commands."""
