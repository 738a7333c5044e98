"""/stats and /broadcast through real polling: admins get answers, everyone else a polite refusal."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy import Engine, update
from telegram.ext import Application, ApplicationBuilder, CommandHandler
from telegram.request import HTTPXRequest

from bot.delivery.publisher import OutboxPublisher
from bot.delivery.sender import Sender
from bot.sandbox.bot_api import LoopbackBotApi
from bot.store.db import session_scope
from bot.store.tables import AlertKind, ChatStatus, Delivery, DeliveryStatus
from bot.telegram.admin_commands import AdminCommands, broadcast_text
from tests.delivery.helpers import add_chats, alert, deliveries

ADMIN = 900


@asynccontextmanager
async def admin_bot(db: Engine, api: LoopbackBotApi, woken: list[bool]) -> AsyncIterator[Application]:
    commands = AdminCommands(db, outbox=OutboxPublisher(), admin_chat_ids=frozenset({ADMIN}),
                             on_enqueued=lambda: woken.append(True))
    app = (ApplicationBuilder().token(api.token).base_url(api.bot_base_url)
           .request(HTTPXRequest(httpx_kwargs={"trust_env": False}))
           .get_updates_request(HTTPXRequest(httpx_kwargs={"trust_env": False})).build())
    app.add_handlers([CommandHandler("stats", commands.stats_command),
                      CommandHandler("broadcast", commands.broadcast_command)])
    async with app:
        await app.updater.start_polling(timeout=1, poll_interval=0.0)  # type: ignore[union-attr]
        await app.start()
        try:
            yield app
        finally:
            await app.updater.stop()  # type: ignore[union-attr]
            await app.stop()


async def ask(api: LoopbackBotApi, chat_id: int, text: str) -> str:
    before = len(api.messages_to(chat_id))
    api.user_sends(chat_id, text)
    messages = await api.wait_for_messages(chat_id, before + 1)
    return messages[before].visible_text


async def test_stats_show_chats_deliveries_and_recent_429s_to_an_admin(
    db: Engine, api: LoopbackBotApi
) -> None:
    pks = add_chats(db, [ADMIN, 1, 2])
    add_chats(db, [3], status=ChatStatus.BLOCKED)
    alert(db, "a", "one", kind=AlertKind.RESULT, chat_pks=list(pks.values()))
    with session_scope(db) as session:
        session.exec(update(Delivery).where(Delivery.chat_pk == pks[1])  # type: ignore[call-overload]
                     .values(status=DeliveryStatus.SENT))

    async with admin_bot(db, api, []):
        reply = await ask(api, ADMIN, "/stats")

    assert "total 4 · active 3 · blocked 1 · stopped 0" in reply
    assert "pending 2 · sending 0 · sent 1 · failed 0 · cancelled 0" in reply
    assert "429s in the last hour 0" in reply


async def test_broadcast_queues_the_text_for_every_active_chat_and_wakes_the_sender(
    db: Engine, api: LoopbackBotApi
) -> None:
    add_chats(db, [ADMIN, 1, 2, -30])
    add_chats(db, [3], status=ChatStatus.STOPPED)
    woken: list[bool] = []

    async with admin_bot(db, api, woken) as app:
        reply = await ask(api, ADMIN, "/broadcast Maintenance tonight <22:00 UTC> & after")
        await Sender(db, app.bot, rate_per_second=30).drain_once()

    assert reply == "📣 Broadcast queued for 4 active chats."
    assert woken == [True]
    assert len(deliveries(db)) == 4
    for chat_id in (1, 2, -30):
        [message] = api.messages_to(chat_id)
        assert message.visible_text == "Maintenance tonight <22:00 UTC> & after"
    assert len(api.messages_to(3)) == 0


async def test_everyone_else_gets_a_polite_refusal_and_nothing_is_queued(
    db: Engine, api: LoopbackBotApi
) -> None:
    add_chats(db, [1, 2])
    woken: list[bool] = []

    async with admin_bot(db, api, woken):
        stats_reply = await ask(api, 1, "/stats")
        broadcast_reply = await ask(api, 1, "/broadcast hello everyone")

    assert stats_reply == broadcast_reply == "Sorry, that command is for the bot's administrators only."
    assert deliveries(db) == [] and woken == []
    assert api.messages_to(2) == []


async def test_a_broadcast_without_text_explains_the_usage(db: Engine, api: LoopbackBotApi) -> None:
    add_chats(db, [ADMIN])
    async with admin_bot(db, api, []):
        reply = await ask(api, ADMIN, "/broadcast")
    assert reply.startswith("Usage: /broadcast TEXT")
    assert deliveries(db) == []


def test_broadcast_text_keeps_line_breaks_and_drops_the_command() -> None:
    assert broadcast_text("/broadcast@earnings_bot line one\nline two") == "line one\nline two"
    assert broadcast_text("/broadcast") == ""
