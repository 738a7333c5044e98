"""Fixtures for the EDGAR tests: a loopback SEC server and a client pointed at it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from bot.sources.edgar.client import EdgarClient
from bot.sources.http import RateLimiter, make_client
from tests.sources.edgar.sec_server import SecServer, start

USER_AGENT = "Earnings Bot Tests tests@example.com"


@pytest.fixture
async def sec() -> AsyncIterator[SecServer]:
    server = SecServer()
    running = await start(server)
    yield server
    await running.close()


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with make_client(timeout=httpx.Timeout(2.0, connect=2.0)) as client:
        yield client


@pytest.fixture
def edgar(sec: SecServer, http: httpx.AsyncClient) -> EdgarClient:
    return EdgarClient(http, sec.url, sec.url + "/data", USER_AGENT, RateLimiter(10))
