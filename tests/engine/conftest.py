"""Fixtures shared by the engine tests."""

from tests.engine.feed_polling import polling

__all__ = ["polling"]
