"""Webhook mode: Telegram (the loopback Bot API) POSTs updates to /telegram/webhook with the secret;
anything without the right secret is refused with 401 and never reaches the bot."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
from pydantic import SecretStr
from sqlalchemy import Engine, select
from telegram.ext import Application

from bot.app import Runtime, build_application, serve_webhook
from bot.sandbox.bot_api import FloodLimits, LoopbackBotApi
from bot.settings import Settings
from bot.store.db import session_scope
from bot.store.tables import Chat
from tests.conftest import BOT_API_SPEC
from tests.http.helpers import free_port
from tests.telegram.bot_harness import TOKEN, running_bot

SECRET = "webhook-Secret_value-42"
CHAT, STRANGER = 880_001, 880_002


def start_update(chat_id: int, update_id: int = 9001) -> dict[str, Any]:
    return {"update_id": update_id, "message": {
        "message_id": 1, "date": 1_700_000_000, "text": "/start",
        "chat": {"id": chat_id, "type": "private", "first_name": "Eve"},
        "from": {"id": chat_id, "is_bot": False, "first_name": "Eve"},
        "entities": [{"type": "bot_command", "offset": 0, "length": 6}]}}


@asynccontextmanager
async def webhook_bot(db: Engine, database_url: str, api: LoopbackBotApi
                      ) -> AsyncIterator[tuple[str, Application, Runtime, asyncio.Task[None]]]:
    """`run` in webhook mode (serve_webhook, what run_bot runs) on a free port; yield the webhook URL."""
    port = free_port()
    url = f"http://127.0.0.1:{port}/telegram/webhook"
    settings = Settings(
        telegram_bot_token=SecretStr(TOKEN), telegram_api_url=api.base_url, database_url=database_url,
        telegram_webhook_url=url, telegram_webhook_secret=SecretStr(SECRET), http_port=port,
        _env_file=None,  # type: ignore[call-arg]
    )
    application, runtime = build_application(settings, db=db, sources=[], with_jobs=False)
    task = asyncio.create_task(serve_webhook(application))
    try:
        await wait_until(lambda: api.webhook is not None or task.done(), "setWebhook")
        yield url, application, runtime, task
    finally:
        runtime.begin_stop()  # what SIGTERM does
        await asyncio.wait_for(task, 10)


async def wait_until(condition: Any, what: str, timeout: float = 10.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        assert loop.time() < deadline, f"no {what} within {timeout}s"
        await asyncio.sleep(0.02)


def chat_rows(db: Engine) -> list[int]:
    with session_scope(db) as session:
        return list(session.exec(select(Chat.chat_id)).scalars())  # type: ignore[call-overload]


async def test_a_start_sent_through_the_webhook_is_answered_and_a_wrong_secret_is_refused(
    db: Engine, database_url: str,
) -> None:
    async with LoopbackBotApi(TOKEN, flood=FloodLimits(), spec_path=BOT_API_SPEC) as api, \
            webhook_bot(db, database_url, api) as (url, _application, _runtime, task), \
            httpx.AsyncClient(trust_env=False) as http:
        assert not task.done()
        assert api.webhook is not None and api.webhook.url == url and api.webhook.secret_token == SECRET
        # while a webhook is set, getUpdates is refused as Telegram does
        polled = await http.get(f"{api.base_url}/bot{TOKEN}/getUpdates")
        assert polled.status_code == 409 and "webhook is active" in polled.json()["description"]

        wrong = await http.post(url, json=start_update(STRANGER), headers={"X-Telegram-Bot-Api-Secret-Token": "nope"})
        missing = await http.post(url, json=start_update(STRANGER, 9002))
        assert (wrong.status_code, missing.status_code) == (401, 401)

        api.user_sends(CHAT, "/start")
        [welcome] = await api.wait_for_messages(CHAT, 1, timeout=10)
        assert "Earnings alerts" in welcome.visible_text
        assert [post.status for post in api.webhook.posts] == [200]
        assert api.messages_to(STRANGER) == []
        assert chat_rows(db) == [CHAT]  # the refused updates were not processed
        assert not [c for c in api.calls if c.method == "getUpdates" and c.status == 200]
    assert task.done() and task.exception() is None


async def test_a_body_that_is_no_update_is_400_and_the_bot_keeps_answering(db: Engine, database_url: str) -> None:
    async with LoopbackBotApi(TOKEN, flood=FloodLimits(), spec_path=BOT_API_SPEC) as api, \
            webhook_bot(db, database_url, api) as (url, _application, _runtime, _task), \
            httpx.AsyncClient(trust_env=False) as http:
        headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
        assert (await http.post(url, content=b"not json", headers=headers)).status_code == 400
        assert (await http.post(url, json=[1, 2], headers=headers)).status_code == 400
        assert (await http.post(url, json=start_update(CHAT), headers=headers)).status_code == 200
        [welcome] = await api.wait_for_messages(CHAT, 1, timeout=10)
        assert "Earnings alerts" in welcome.visible_text


async def test_polling_mode_deletes_a_webhook_left_from_a_previous_run(db: Engine, database_url: str) -> None:
    async with LoopbackBotApi(TOKEN, flood=FloodLimits(), spec_path=BOT_API_SPEC) as api, \
            httpx.AsyncClient(trust_env=False) as http:
        done = await http.post(f"{api.base_url}/bot{TOKEN}/setWebhook",
                               json={"url": "http://127.0.0.1:9/telegram/webhook", "secret_token": SECRET})
        assert done.json()["ok"] is True
        async with running_bot(db, database_url, api=api) as bot:
            replies = await bot.say(CHAT, "/start")
        assert "Earnings alerts" in replies[0]
        assert api.webhook is None
        assert any(c.method == "deleteWebhook" for c in api.calls)
