"""The company universe in the database: load SEC's list, look up, suggest, refresh daily."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, func
from sqlmodel import Session, select

from bot.errors import SourceUnavailable
from bot.sources.sec_tickers import TickerEntry, parse_company_tickers
from bot.store.companies import (
    SEC_TICKERS_KEY,
    company_tickers_due,
    edit_distance,
    find_company,
    suggest_tickers,
    upsert_companies,
)
from bot.store.db import session_scope
from bot.store.source_state import record_source_error, record_source_success
from bot.store.tables import Company
from tests.conftest import FIXTURES, shared_path

NOW = datetime(2026, 8, 3, 12, 0, tzinfo=UTC)


def fixture_entries() -> list[TickerEntry]:
    path = FIXTURES / "sec_tickers" / "company_tickers.json"
    return parse_company_tickers(json.loads(path.read_text(encoding="utf-8")))


def load_fixture(db: Engine) -> None:
    with session_scope(db) as session:
        upsert_companies(session, fixture_entries(), NOW)


def tickers(companies: list[Company]) -> list[str]:
    return [company.ticker for company in companies]


def test_a_first_load_inserts_every_ticker_with_its_cik(db: Engine) -> None:
    with session_scope(db) as session:
        assert upsert_companies(session, fixture_entries(), NOW) == 17

    with Session(db) as session:
        rows = {c.ticker: c for c in session.exec(select(Company)).all()}
    assert len(rows) == 17
    assert (rows["GOOG"].cik, rows["GOOGL"].cik) == (1652044, 1652044)
    assert (rows["BABA"].name, rows["BABA"].cik) == ("Alibaba Group Holding Ltd", 1577552)
    assert rows["BRK-B"].updated_at == NOW
    assert rows["NVDA"].currency == "USD"


def test_a_reload_changes_only_what_changed_and_deletes_nothing(db: Engine) -> None:
    load_fixture(db)
    later = NOW + timedelta(days=1)
    renamed = [
        TickerEntry("NVDA", 1045810, "NVIDIA CORP"),  # unchanged
        TickerEntry("META", 1326801, "Meta Platforms Inc"),  # renamed
        TickerEntry("TSM", 1046180, "TAIWAN SEMICONDUCTOR MANUFACTURING CO LTD"),  # new CIK
        TickerEntry("ARM", 1973239, "Arm Holdings plc"),  # new
        TickerEntry("arm", 1, "Arm again (repeat ignored)"),
    ]
    with session_scope(db) as session:
        assert upsert_companies(session, renamed, later) == 3
    with session_scope(db) as session:
        assert upsert_companies(session, renamed, later) == 0

    with Session(db) as session:
        rows = {c.ticker: c for c in session.exec(select(Company)).all()}
    assert len(rows) == 18  # the 14 tickers absent from the second list are kept
    assert (rows["META"].name, rows["META"].updated_at) == ("Meta Platforms Inc", later)
    assert rows["TSM"].cik == 1046180
    assert (rows["ARM"].name, rows["ARM"].cik) == ("Arm Holdings plc", 1973239)
    assert rows["NVDA"].updated_at == NOW
    assert rows["MSFT"].name == "MICROSOFT CORP"


def test_find_company_accepts_any_spelling(db: Engine) -> None:
    load_fixture(db)
    with Session(db) as session:
        for raw in ("BRK-B", "brk.b", "BRK/B", "$brk-b", " brk b "):
            company = find_company(session, raw)
            assert company is not None and company.ticker == "BRK-B", raw
        assert find_company(session, "NOPE") is None
        assert find_company(session, "  ") is None


def test_suggestions_for_typos_prefixes_and_names(db: Engine) -> None:
    load_fixture(db)
    with Session(db) as session:
        assert tickers(suggest_tickers(session, "APPL"))[0] == "AAPL"
        assert tickers(suggest_tickers(session, "NVIDIA")) == ["NVDA"]
        assert tickers(suggest_tickers(session, "nvidia corp")) == ["NVDA"]
        assert tickers(suggest_tickers(session, "apple"))[:2] == ["AAPL", "APLE"]
        assert tickers(suggest_tickers(session, "BRK")) == ["BRK-B", "BRK-A"]
        assert tickers(suggest_tickers(session, "alphabet")) == ["GOOGL", "GOOG"]
        assert tickers(suggest_tickers(session, "MSFTT")) == ["MSFT"]
        assert tickers(suggest_tickers(session, "NDVA"))[0] == "NVDA"  # swapped letters
        assert tickers(suggest_tickers(session, "alibaba")) == ["BABA"]
        assert suggest_tickers(session, "QQQQQQ") == []
        assert suggest_tickers(session, "") == []


def test_suggestions_respect_the_limit(db: Engine) -> None:
    load_fixture(db)
    with Session(db) as session:
        assert tickers(suggest_tickers(session, "APPLE", limit=9)) == ["AAPL", "APLE", "APPN", "APP"]
        assert tickers(suggest_tickers(session, "APPL", limit=9)) == ["AAPL", "APPN", "APP"]
        assert len(suggest_tickers(session, "APPLE")) == 3
        assert suggest_tickers(session, "APPLE", limit=0) == []


def test_edit_distance() -> None:
    assert edit_distance("APPL", "AAPL", 2) == 1
    assert edit_distance("NDVA", "NVDA", 2) == 1
    assert edit_distance("NVIDIA", "NVDA", 2) == 2
    assert edit_distance("MSFT", "MSFT", 2) == 0
    assert edit_distance("MSFT", "AAPL", 2) is None
    assert edit_distance("A", "ABCD", 2) is None


def test_the_ticker_list_is_due_daily_and_not_while_backing_off(db: Engine) -> None:
    with session_scope(db) as session:
        assert company_tickers_due(session, NOW)
        record_source_success(session, SEC_TICKERS_KEY, NOW)
    with session_scope(db) as session:
        assert not company_tickers_due(session, NOW + timedelta(hours=23))
        assert company_tickers_due(session, NOW + timedelta(hours=24))
        blocked = SourceUnavailable("sec: HTTP 403", retry_after=900)
        record_source_error(session, SEC_TICKERS_KEY, NOW + timedelta(hours=25), blocked)
    with session_scope(db) as session:
        assert not company_tickers_due(session, NOW + timedelta(hours=25, minutes=14))
        assert company_tickers_due(session, NOW + timedelta(hours=25, minutes=15))


def test_ten_thousand_companies_load_reload_and_suggest(db: Engine) -> None:
    letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    entries = [
        TickerEntry(a + b + c + d, 100000 + i, f"Company {a}{b}{c}{d} Holdings")
        for i, (a, b, c, d) in enumerate(
            (a, b, c, d) for a in letters[:10] for b in letters[:10] for c in letters[:10]
            for d in letters[:10]
        )
    ]
    assert len(entries) == 10_000

    with session_scope(db) as session:
        assert upsert_companies(session, entries, NOW) == 10_000
    with session_scope(db) as session:
        assert upsert_companies(session, entries, NOW) == 0
        suggestions = suggest_tickers(session, "ABCK")
        count = session.execute(select(func.count()).select_from(Company)).scalar_one()

    assert count == 10_000
    assert tickers(suggestions) == ["ABCA", "ABCB", "ABCC"]


def test_the_real_sec_list_loads_and_answers_typos(db: Engine) -> None:
    path = shared_path("fixtures", "sec", "sec_company_tickers.json")
    entries = parse_company_tickers(json.loads(path.read_text(encoding="utf-8")))
    with session_scope(db) as session:
        assert upsert_companies(session, entries, NOW) == len(entries)
    with Session(db) as session:
        assert tickers(suggest_tickers(session, "APPL"))[0] == "AAPL"
        assert tickers(suggest_tickers(session, "NVIDIA"))[0] == "NVDA"
        assert tickers(suggest_tickers(session, "alibaba"))[0] == "BABA"
        assert tickers(suggest_tickers(session, "BRK"))[:2] == ["BRK-B", "BRK-A"]
        company = find_company(session, "brk.b")
        assert company is not None and company.cik == 1067983
