"""The aiohttp transport under python-telegram-bot: same answers, same errors as PTB's own."""

from __future__ import annotations

import socket
import time
from datetime import timedelta

import pytest
from sqlalchemy import Engine
from telegram import Bot
from telegram.error import Forbidden, NetworkError, RetryAfter, TimedOut

from bot.delivery.sender import Sender
from bot.delivery.transport import AiohttpRequest
from bot.sandbox.bot_api import LoopbackBotApi
from bot.store.tables import ChatStatus, DeliveryStatus
from tests.delivery.helpers import add_chats, alert, chat, deliveries


async def test_a_message_goes_out_and_comes_back_as_a_message(api: LoopbackBotApi) -> None:
    async with Bot(api.token, base_url=api.bot_base_url, request=AiohttpRequest()) as bot:
        sent = await bot.send_message(42, "<b>AT&amp;T</b> beat", parse_mode="HTML")
    assert sent.message_id == 1 and sent.chat.id == 42
    assert [m.visible_text for m in api.messages_to(42)] == ["AT&T beat"]
    assert api.spec_violations == []


async def test_telegram_errors_map_to_the_same_exceptions(api: LoopbackBotApi) -> None:
    api.block(7)
    api.fail_next("sendMessage", 429, "Too Many Requests: retry after 3", retry_after=3)
    async with Bot(api.token, base_url=api.bot_base_url, request=AiohttpRequest()) as bot:
        with pytest.raises(RetryAfter) as flood:
            await bot.send_message(1, "x")
        with pytest.raises(Forbidden, match="blocked"):
            await bot.send_message(7, "x")
    assert flood.value.retry_after == timedelta(seconds=3)


async def test_a_hung_request_times_out(api: LoopbackBotApi) -> None:
    api.hang_next("sendMessage", 2.0, deliver=False)
    async with Bot(api.token, base_url=api.bot_base_url, request=AiohttpRequest(read_timeout=0.2)) as bot:
        with pytest.raises(TimedOut):
            await bot.send_message(1, "x")


async def test_a_long_poll_waits_past_the_read_timeout(api: LoopbackBotApi) -> None:
    # python-telegram-bot adds getUpdates' `timeout` to the read timeout: a poll that waits its
    # second for an update is not cut off by a read timeout of 0.2 s, and the update comes
    async with Bot(api.token, base_url=api.bot_base_url, request=AiohttpRequest(read_timeout=0.2)) as bot:
        started = time.monotonic()
        empty = await bot.get_updates(timeout=1)
        waited = time.monotonic() - started
        api.user_sends(5, "/watchlist")
        [update] = await bot.get_updates(timeout=1)
    assert empty == () and waited >= 0.9  # the server held the poll its second: longer than 0.2 s
    assert update.message is not None and update.message.text == "/watchlist"


async def test_an_unreachable_server_is_a_network_error() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    bot = Bot("1:x", base_url=f"http://127.0.0.1:{port}/bot", request=AiohttpRequest(connect_timeout=1))
    await bot.request.initialize()  # getMe would fail: open the session alone
    try:
        with pytest.raises(NetworkError):
            await bot.send_message(1, "x")
    finally:
        await bot.request.shutdown()


async def test_the_sender_runs_on_it(db: Engine, api: LoopbackBotApi) -> None:
    pks = add_chats(db, [1, 2, 3])
    alert(db, "a", "<b>NVDA</b> beat", chat_pks=list(pks.values()))
    api.block(3)
    async with Bot(api.token, base_url=api.bot_base_url, request=AiohttpRequest()) as bot:
        assert await Sender(db, bot, rate_per_second=30).drain_once() == 2
    assert [m.text for m in api.messages_to(1)] == ["<b>NVDA</b> beat"]
    assert chat(db, pks[3]).status == ChatStatus.BLOCKED
    assert sorted(r.status for r in deliveries(db)) == sorted(
        [DeliveryStatus.SENT, DeliveryStatus.SENT, DeliveryStatus.CANCELLED])
