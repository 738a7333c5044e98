"""Tests of the Telegram side: handlers and the loopback Bot API server."""
