"""A new deployment in groups and under abuse: a group's members can't change what it follows, /forget
leaves no row naming the chat, and a chat flooding the bot neither gets more than its share nor
slows another chat down."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, select

from bot.store.tables import Chat
from bot.telegram.access import GROUP_ADMINS_ONLY, GROUP_ADMINS_ONLY_SHORT
from bot.telegram.flood import FLOOD_WARNING
from bot.telegram.forget_command import FORGOTTEN
from tests.deployment.harness import Deployment
from tests.telegram.test_groups import rows_keeping

pytestmark = pytest.mark.slow

GROUP = -1_001_555_000_000_001
MEMBER, ADMIN = 6_200_000_002, 6_200_000_003
ALICE, BOB = 6_200_000_011, 6_200_000_012


async def test_a_groups_member_is_refused_and_its_administrator_is_not(deployment: Deployment) -> None:
    api = deployment.api
    api.set_member(GROUP, ADMIN, "administrator")
    bot = await deployment.start()
    await deployment.new_watcher(bot, GROUP, "NVDA")  # the group's creator adds the bot
    before = len(deployment.messages(GROUP))
    api.user_sends(GROUP, "/unwatch NVDA", user_id=MEMBER)
    api.user_sends(GROUP, "/watch MSFT", user_id=ADMIN)
    api.user_sends(GROUP, "/watchlist", user_id=MEMBER)
    await deployment.until(lambda: len(deployment.messages(GROUP)) >= before + 3, timeout=10,
                           what="three replies", bot=bot, chats=(GROUP,))
    refusal, watched, watchlist = deployment.texts(GROUP)[before:before + 3]
    assert refusal == GROUP_ADMINS_ONLY
    assert "Watching MSFT" in watched
    assert "Your watchlist (2)" in watchlist and "NVDA" in watchlist and "MSFT" in watchlist


async def test_forget_after_the_button_leaves_no_row_naming_the_chat(deployment: Deployment) -> None:
    bot = await deployment.start()
    await deployment.new_watcher(bot, BOB, "MSFT")  # another chat, kept
    await deployment.new_watcher(bot, ALICE, "NVDA", "MSFT")
    await deployment.reply_to(bot, ALICE, "/quiet 22:00-07:00")
    await deployment.reply_to(bot, ALICE, "/timezone Shanghai")
    db = create_engine(deployment.database_url)
    with db.connect() as conn:
        pks = dict(conn.execute(select(Chat.chat_id, Chat.id)).all())  # type: ignore[call-overload]
    question = await deployment.reply_to(bot, ALICE, "/forget")
    assert "Forget this chat?" in question.visible_text
    deployment.api.user_clicks(ALICE, question.message_id, "forget:yes")
    await deployment.until(lambda: deployment.messages(ALICE)[-1].visible_text == FORGOTTEN, timeout=10,
                           what="the question edited into its answer", bot=bot, chats=(ALICE,))

    try:
        leftover = rows_keeping(db, ALICE, pks[ALICE])
        kept = rows_keeping(db, BOB, pks[BOB])
    finally:
        db.dispose()
    assert leftover == []
    assert any(row.startswith("watch.chat_pk") for row in kept), kept
    reply = await deployment.reply_to(bot, ALICE, "/watchlist")
    assert "watchlist is empty" in reply.visible_text


async def test_a_flooding_chat_is_warned_and_another_chat_is_answered_within_2s(deployment: Deployment) -> None:
    api = deployment.api
    bot = await deployment.start()
    await deployment.reply_to(bot, BOB, "/start", timeout=20)
    for i in range(30):
        api.user_sends(ALICE, "/help" if i % 2 else "/watchlist")
    await deployment.until(lambda: len(deployment.messages(ALICE)) >= 3, timeout=10, what="the flood answered",
                           bot=bot, chats=(ALICE,))
    # what Bob sees: his answer, while Alice's 20 replies are still being paced out
    sent_at = api.clock()
    api.user_sends(BOB, "/help")
    await deployment.until(lambda: len(deployment.messages(BOB)) >= 2, timeout=10, what="Bob's /help",
                           bot=bot, chats=(BOB,))
    waited = deployment.messages(BOB)[-1].sent_at - sent_at
    assert waited < 2.0, f"Bob waited {waited:.1f}s behind Alice's flood"
    assert len(deployment.messages(ALICE)) < 21, "the flood was over before Bob asked: nothing measured"

    await deployment.until(lambda: len(deployment.messages(ALICE)) >= 21, timeout=40,
                           what="20 replies and the warning", bot=bot, chats=(ALICE,))
    api.user_sends(ALICE, "/help")  # still inside the minute: ignored
    await deployment.settle(quiet=2.0, bot=bot)
    texts = deployment.texts(ALICE)
    assert len(texts) == 21 and texts[-1] == FLOOD_WARNING and texts.count(FLOOD_WARNING) == 1, texts
    assert api.sends_429 == 0  # paced to the chat's limit, never refused
    assert "Traceback" not in bot.output


async def test_a_members_press_on_forget_is_refused(deployment: Deployment) -> None:
    api = deployment.api
    bot = await deployment.start()
    question = await deployment.reply_to(bot, GROUP, "/forget", timeout=20)  # the group's creator asks
    before = len(api.callback_answers)
    api.user_clicks(GROUP, question.message_id, "forget:yes", user_id=MEMBER)
    await deployment.until(lambda: len(api.callback_answers) > before, timeout=10, what="the press answered",
                           bot=bot)
    assert list(api.callback_answers.values())[-1].get("text") == GROUP_ADMINS_ONLY_SHORT
    assert "Forget this chat?" in deployment.messages(GROUP)[-1].visible_text
