"""The company universe comes from SEC's company_tickers.json, with the declared User-Agent."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy import Engine
from sqlmodel import select

from bot.engine.universe import refresh_universe
from bot.sandbox.edgar import LoopbackEdgar
from bot.settings import Settings
from bot.sources.http import RateLimiter, make_client
from bot.store.db import ThreadedTransactions, session_scope
from bot.store.tables import Company, SourceState
from tests.conftest import FIXTURES

NOW = datetime(2026, 11, 2, 12, tzinfo=UTC)
AGENT = "Jane Doe jane@example.com"


@dataclass
class Clock:
    now: datetime

    def __call__(self) -> datetime:
        return self.now


def sec(handler_calls: list[httpx.Request], status: int = 200) -> httpx.AsyncClient:
    body = (FIXTURES / "sec_tickers" / "company_tickers.json").read_bytes()

    def handler(request: httpx.Request) -> httpx.Response:
        handler_calls.append(request)
        return httpx.Response(status, content=body if status == 200 else b"<html>Undeclared Automated Tool</html>")

    return make_client(transport=httpx.MockTransport(handler))


async def test_refresh_stores_companies_once_a_day_with_the_user_agent(db: Engine) -> None:
    calls: list[httpx.Request] = []
    settings = Settings(sec_user_agent=AGENT, _env_file=None)  # type: ignore[call-arg]
    async with sec(calls) as client:
        stored = await refresh_universe(ThreadedTransactions(db), client, settings, lambda: NOW, limiter=RateLimiter(1000))
        again = await refresh_universe(ThreadedTransactions(db), client, settings, lambda: NOW + timedelta(hours=2), limiter=RateLimiter(1000))
        later = await refresh_universe(ThreadedTransactions(db), client, settings, lambda: NOW + timedelta(days=1, hours=1), limiter=RateLimiter(1000))
    assert stored and stored > 5
    assert again is None and later == 0
    assert len(calls) == 2
    assert all(r.headers["User-Agent"] == AGENT for r in calls)
    assert calls[0].url.path == "/files/company_tickers.json"
    with session_scope(db) as session:
        tickers = set(session.exec(select(Company.ticker)).all())
    assert {"NVDA", "BRK-B"} <= tickers


async def test_without_a_user_agent_sec_is_never_asked(db: Engine) -> None:
    calls: list[httpx.Request] = []
    async with sec(calls) as client:
        result = await refresh_universe(ThreadedTransactions(db), client, Settings(_env_file=None), lambda: NOW, limiter=RateLimiter(1000))  # type: ignore[call-arg]
    assert result is None and calls == []


async def test_a_refusal_is_recorded_and_backs_off(db: Engine) -> None:
    calls: list[httpx.Request] = []
    settings = Settings(sec_user_agent=AGENT, _env_file=None)  # type: ignore[call-arg]
    async with sec(calls, status=403) as client:
        assert await refresh_universe(ThreadedTransactions(db), client, settings, lambda: NOW, limiter=RateLimiter(1000)) is None
        assert await refresh_universe(ThreadedTransactions(db), client, settings, lambda: NOW + timedelta(minutes=5), limiter=RateLimiter(1000)) is None
    assert len(calls) == 1
    with session_scope(db) as session:
        state = session.exec(select(SourceState).where(SourceState.key == "sec_tickers")).one()
        assert state.backoff_until is not None and state.backoff_until >= NOW + timedelta(minutes=10)
        assert "403" in (state.last_error or "")


async def test_consecutive_failures_of_the_company_list_back_off_longer_each_time(db: Engine) -> None:
    clock = Clock(NOW)
    gaps: list[float] = []
    async with LoopbackEdgar(refuse_with=503) as edgar, make_client() as client:
        settings = Settings(sec_user_agent=AGENT, sec_www_url=edgar.url, _env_file=None)  # type: ignore[call-arg]
        for _ in range(6):
            assert await refresh_universe(ThreadedTransactions(db), client, settings, clock, limiter=RateLimiter(1000)) is None
            assert await refresh_universe(ThreadedTransactions(db), client, settings, clock, limiter=RateLimiter(1000)) is None  # backing off: not asked
            with session_scope(db) as session:
                state = session.exec(select(SourceState).where(SourceState.key == "sec_tickers")).one()
            assert state.backoff_until is not None
            until = state.backoff_until.replace(tzinfo=UTC)
            gaps.append((until - clock.now).total_seconds())
            clock.now = until + timedelta(seconds=1)
        assert edgar.requests["company_tickers"] == 6
        assert all(later > earlier for earlier, later in zip(gaps, gaps[1:], strict=False)), gaps
        edgar.refuse_with = None
        edgar.company_tickers = [("NVDA", 1045810, "NVIDIA CORP")]
        assert await refresh_universe(ThreadedTransactions(db), client, settings, clock, limiter=RateLimiter(1000)) == 1
    with session_scope(db) as session:
        state = session.exec(select(SourceState).where(SourceState.key == "sec_tickers")).one()
    assert (state.failures, state.backoff_until) == (0, None)
