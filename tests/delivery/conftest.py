"""Delivery fixtures: the loopback Bot API with Telegram's flood limits and a real PTB Bot on it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from telegram import Bot
from telegram.request import HTTPXRequest

from bot.sandbox.bot_api import FloodLimits, LoopbackBotApi
from tests.conftest import BOT_API_SPEC


@pytest.fixture
async def api() -> AsyncIterator[LoopbackBotApi]:
    async with LoopbackBotApi(flood=FloodLimits(), spec_path=BOT_API_SPEC) as server:
        yield server


@pytest.fixture
async def bot(api: LoopbackBotApi) -> AsyncIterator[Bot]:
    request = HTTPXRequest(read_timeout=1.0, httpx_kwargs={"trust_env": False})
    async with Bot(api.token, base_url=api.bot_base_url, request=request) as client:
        yield client
