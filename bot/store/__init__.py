"""Persistence: SQLModel tables, engine and session setup, and the few non-trivial queries."""
