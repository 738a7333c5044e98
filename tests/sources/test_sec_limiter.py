"""One SEC budget per process: the EDGAR client and the company list share one limiter."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from sqlalchemy import Engine

from bot.app import build_application
from bot.settings import Settings
from bot.sources.edgar.client import EdgarClient, sec_rate_limiter
from bot.sources.http import RateLimiter, make_client
from bot.sources.sec_tickers import fetch_company_tickers
from tests.conftest import FIXTURES

USER_AGENT = "Earnings Bot Tests ops@example.com"
TICKERS = (FIXTURES / "sec_tickers" / "company_tickers.json").read_bytes()


class FakeClock:
    """A monotonic clock that moves only when the limiter sleeps."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += seconds
        await asyncio.sleep(0)


def _most_in_one_second(moments: list[float]) -> int:
    moments = sorted(moments)
    return max(sum(1 for m in moments if start <= m < start + 1.0 - 1e-9) for start in moments)


async def test_two_users_of_the_shared_limiter_together_stay_within_the_rate() -> None:
    clock = FakeClock()
    limiter = RateLimiter(5, clock=clock, sleep=clock.sleep)
    seen: list[tuple[str, float]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/files/company_tickers.json":
            seen.append(("tickers", clock.now))
            return httpx.Response(200, content=TICKERS)
        seen.append(("edgar", clock.now))
        return httpx.Response(404)

    async with make_client(transport=httpx.MockTransport(handler)) as http:
        edgar = EdgarClient(http, "https://www.sec.test", "https://data.sec.test", USER_AGENT, limiter)

        async def edgar_user() -> None:
            for cik in range(10):
                await edgar.companyfacts(cik)

        async def tickers_user() -> None:
            for _ in range(10):
                await fetch_company_tickers(http, "https://www.sec.test", USER_AGENT, limiter)

        await asyncio.gather(edgar_user(), tickers_user())

    assert limiter.requests == 20
    assert {who for who, _ in seen} == {"edgar", "tickers"}
    assert _most_in_one_second([moment for _, moment in seen]) <= 5
    # Each alone would have been allowed 5 a second: together they are, not 10.
    assert clock.now - 1000.0 >= (20 - 1) / 5 - 1e-9


def test_the_sec_limiter_refuses_more_than_sec_allows() -> None:
    with pytest.raises(ValueError):
        sec_rate_limiter(11)
    assert sec_rate_limiter().interval == pytest.approx(0.2)
    assert sec_rate_limiter(10).interval == pytest.approx(0.1)


async def test_the_application_gives_the_edgar_client_the_shared_sec_limiter(db: Engine) -> None:
    settings = Settings(telegram_bot_token="123456:" + "A" * 35, sec_user_agent=USER_AGENT,
                        sec_rate_per_second=4, _env_file=None)  # type: ignore[call-arg]
    async with make_client() as http:
        _application, services = build_application(settings, db=db, http=http, sources=[],
                                                   with_jobs=False)
        assert services.detector is not None
        assert services.detector.client.limiter is services.sec_limiter
        assert services.sec_limiter.interval == pytest.approx(0.25)
