"""A delivery marked silent (a result under its chat's minimum surprise) goes out with
disable_notification; a message that also carries an alert with a sound rings."""

from __future__ import annotations

from sqlalchemy import Engine
from telegram import Bot

from bot.delivery.own_texts import mark_silent
from bot.domain.market_time import utc_now
from bot.sandbox.bot_api import LoopbackBotApi
from bot.store.db import session_scope
from bot.store.tables import AlertKind
from tests.delivery.helpers import add_chats, alert
from tests.delivery.test_sender import sender, sends


async def test_silent_deliveries_arrive_without_a_sound_unless_a_loud_one_shares_their_message(
    db: Engine, api: LoopbackBotApi, bot: Bot
) -> None:
    pks = add_chats(db, [1, 2, 3])
    now = utc_now()
    result = alert(db, "result", "NVDA in line", chat_pks=list(pks.values()), now=now)
    alert(db, "filing", "MSFT has just filed", kind=AlertKind.FILING, chat_pks=[pks[2]], now=now)
    second = alert(db, "result-2", "AMD in line", chat_pks=[pks[3]], now=now)
    with session_scope(db) as session:
        mark_silent(session, result, [pks[1], pks[2], pks[3]])
        mark_silent(session, second, [pks[3]])

    assert await sender(db, bot).drain_once() == 3

    shown = {chat: api.messages_to(chat) for chat in (1, 2, 3)}
    assert [(m.visible_text, m.silent) for m in shown[1]] == [("NVDA in line", True)]
    assert [(m.visible_text, m.silent) for m in shown[2]] == [("NVDA in line\n\nMSFT has just filed", False)]
    assert [(m.visible_text, m.silent) for m in shown[3]] == [("NVDA in line\n\nAMD in line", True)]
    by_chat = {c.params["chat_id"]: c.params for c in sends(api)}
    assert by_chat[1]["disable_notification"] is True and "disable_notification" not in by_chat[2]
