"""Moved to bot.store.figures; this name stays only until bot/demo/runner.py imports it from there."""

from bot.store.figures import latest_expectations, record_expectation, record_reported

__all__ = ["latest_expectations", "record_expectation", "record_reported"]
