"""A /watch typed while SEC's company list loads: what could not be looked up is said so, never
called unknown, and a retry once the list has landed adds it without saying "already watching"."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Engine, event
from sqlmodel import select

from bot.engine import subscriptions
from bot.sources.sec_tickers import TickerEntry
from bot.store.companies import upsert_companies
from bot.store.db import session_scope
from bot.store.tables import Company, Watch

NOW = datetime(2026, 11, 2, 15, tzinfo=UTC)
CHAT = 7_300_000_001
NVIDIA = TickerEntry(ticker="NVDA", cik=1045810, name="NVIDIA CORP")


def watch(db: Engine, tickers: list[str]) -> subscriptions.WatchResult:
    with session_scope(db) as session:
        return subscriptions.watch(session, CHAT, tickers, now=NOW)


def watched(db: Engine) -> list[str]:
    with session_scope(db) as session:
        return list(session.exec(select(Company.ticker).join(Watch, Watch.company_id == Company.id)).all())


def test_tickers_typed_before_the_list_landed_are_not_looked_up_and_a_retry_adds_them(db: Engine) -> None:
    first = watch(db, ["NVDA", "ZZZZ"])
    assert first.not_looked_up == ["NVDA", "ZZZZ"] and first.catalog_empty
    assert first.added == [] and first.unknown == [] and watched(db) == []

    with session_scope(db) as session:
        upsert_companies(session, [NVIDIA], NOW)
    result = first.merged(watch(db, first.not_looked_up))
    assert result.added == ["NVDA"] and result.already == []
    assert [typed for typed, _ in result.unknown] == ["ZZZZ"]
    assert not result.catalog_empty
    assert watched(db) == ["NVDA"]


def test_a_ticker_found_while_the_list_lands_is_watched_not_left_for_a_retry(db: Engine) -> None:
    with session_scope(db) as session:
        upsert_companies(session, [NVIDIA], NOW)  # the first rows of the list are in
    result = watch(db, ["NVDA"])
    assert result.added == ["NVDA"] and result.not_looked_up == [] and not result.catalog_empty


def test_the_merged_reply_keeps_what_the_first_try_did() -> None:
    first = subscriptions.WatchResult(added=["AAPL"], invalid=["!!"], not_looked_up=["NVDA"], truncated=True)
    retry = subscriptions.WatchResult(added=["NVDA"], unscheduled=["NVDA"])
    merged = first.merged(retry)
    assert merged.added == ["AAPL", "NVDA"] and merged.invalid == ["!!"] and merged.truncated
    assert merged.unscheduled == ["NVDA"] and merged.not_looked_up == []


def test_a_list_landing_right_after_the_emptiness_check_is_used_by_the_retry_only(db: Engine) -> None:
    """The race of a deployment's first seconds, made exact: SEC's list commits (from another
    connection) the moment the /watch has found the company table empty."""
    landed: list[bool] = []

    def land_the_list(_conn, _cursor, statement: str, *_args: object) -> None:  # type: ignore[no-untyped-def]
        if not landed and statement.lstrip().upper().startswith("SELECT COMPANY.ID") and "LIMIT" in statement.upper():
            landed.append(True)
            with session_scope(db) as other:
                upsert_companies(other, [NVIDIA], NOW)

    with session_scope(db) as session:
        subscriptions.register_chat(session, CHAT, now=NOW)  # the chat said /start: /watch only reads first
    event.listen(db, "after_cursor_execute", land_the_list)
    try:
        first = watch(db, ["NVDA"])
    finally:
        event.remove(db, "after_cursor_execute", land_the_list)
    assert landed, "the emptiness check ran no query"
    assert first.not_looked_up == ["NVDA"] and first.added == [] and first.unknown == []
    assert watched(db) == []
    result = first.merged(watch(db, first.not_looked_up))
    assert result.added == ["NVDA"] and result.already == [] and result.unknown == []
