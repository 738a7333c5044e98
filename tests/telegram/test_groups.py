"""Groups and abuse: a group's administrators change what it follows, the bot's administrators
(ADMIN_USER_IDS), /forget, the per-chat command limit, replies paced per chat and one chat's 429."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from sqlalchemy import Engine, select
from sqlmodel import SQLModel

from bot.domain.market_time import new_york_date, utc_now
from bot.engine.admin import AdminRule
from bot.engine.sync import apply_calendar_rows
from bot.sandbox.bot_api_chats import GROUP_USER_ID
from bot.store.db import session_scope
from bot.store.tables import Alert, AlertKind, Chat, Delivery, EarningsEvent
from bot.telegram.access import GROUP_ADMINS_ONLY, GROUP_ADMINS_ONLY_SHORT
from bot.telegram.flood import (
    FLOOD_WARNING,
    MAX_CONCURRENT_UPDATES,
    Admission,
    ChatOrderedUpdates,
    CommandFlood,
)
from bot.telegram.forget_command import FORGOTTEN
from tests.conftest import SHARED
from tests.engine.helpers import calendar_row, eps
from tests.telegram.bot_harness import RunningBot, running_bot, seed_universe
from tests.telegram.spec import spec_problems
from tests.telegram.test_alert_flow import eventually

GROUP = -1_001_234_567_890_123
OTHER_GROUP = -1_001_234_567_890_999
CREATOR = GROUP_USER_ID  # who speaks in a loopback group when nobody is named
MEMBER = 5_100_000_002
ADMIN = 5_100_000_003
ALICE = 5_100_000_001
BOB = 5_100_000_004


@pytest.fixture
async def bot(db: Engine, database_url: str) -> AsyncIterator[RunningBot]:
    seed_universe(db)
    day = new_york_date(utc_now()) + timedelta(days=5)
    with session_scope(db) as session:
        apply_calendar_rows(session, [calendar_row(day=day, fiscal=(2025, 4), estimates=(eps("0.84"),))],
                            now=utc_now())
    async with running_bot(db, database_url, admin_chat_ids=frozenset({GROUP})) as running:
        running.api.set_member(GROUP, ADMIN, "administrator")
        yield running
    spec = SHARED / "telegram-bot-api" / "api.json"
    if spec.exists():
        assert spec_problems(running.api.calls, spec) == []


def member_lookups(bot: RunningBot) -> int:
    return sum(1 for call in bot.api.calls if call.method == "getChatMember")


async def click(bot: RunningBot, chat_id: int, message_id: int, data: str, user_id: int) -> dict[str, object]:
    """Press a button as user_id; return how the bot answered the press."""
    before = len(bot.api.callback_answers)
    bot.api.user_clicks(chat_id, message_id, data, user_id=user_id)
    await eventually(lambda: len(bot.api.callback_answers) > before)
    return list(bot.api.callback_answers.values())[-1]


# -- a group's administrators ------------------------------------------------------------------


async def test_in_a_group_only_its_administrators_change_the_watchlist(bot: RunningBot) -> None:
    assert await bot.say(GROUP, "/watch NVDA", user_id=MEMBER) == [GROUP_ADMINS_ONLY]
    [shown] = await bot.say(GROUP, "/watchlist", user_id=MEMBER)
    assert "watchlist is empty" in shown
    [reply] = await bot.say(GROUP, "/watch NVDA", user_id=ADMIN)
    assert "Watching NVDA" in reply
    [reply] = await bot.say(GROUP, "/watch MSFT", user_id=CREATOR)
    assert "Watching MSFT" in reply
    [reply] = await bot.say(GROUP, "/watch AAPL", anonymous_admin=True)  # "remain anonymous"
    assert "Watching AAPL" in reply
    for command in ("/unwatch NVDA", "/stop", "/forget", "/settings reminders off", "/quiet 22:00-07:00",
                    "/timezone Shanghai", "/expect NVDA eps 0.90"):
        assert await bot.say(GROUP, command, user_id=MEMBER) == [GROUP_ADMINS_ONLY], command
    # reading is for everyone
    [shown] = await bot.say(GROUP, "/watchlist", user_id=MEMBER)
    assert "NVDA" in shown and "MSFT" in shown and "AAPL" in shown
    for command in ("/settings", "/quiet", "/timezone", "/help", "/status", "/expectations", "/upcoming"):
        [reply] = await bot.say(GROUP, command, user_id=MEMBER)
        assert reply != GROUP_ADMINS_ONLY, command


async def test_a_members_press_on_a_settings_button_is_refused_and_changes_nothing(bot: RunningBot) -> None:
    await bot.say(GROUP, "/start", user_id=ADMIN)
    await bot.say(GROUP, "/settings", user_id=MEMBER)
    menu = bot.api.messages_to(GROUP)[-1]
    assert menu.reply_markup is not None
    answer = await click(bot, GROUP, menu.message_id, "opt:reminders", MEMBER)
    assert answer.get("text") == GROUP_ADMINS_ONLY_SHORT and answer.get("show_alert") is True
    assert not bot.api.messages_to(GROUP)[-1].edited
    answer = await click(bot, GROUP, menu.message_id, "opt:reminders", ADMIN)
    assert answer.get("text") == "Reminders: off"
    await eventually(lambda: bot.api.messages_to(GROUP)[-1].edited)


async def test_the_administrator_answer_is_cached(bot: RunningBot) -> None:
    await bot.say(GROUP, "/watch NVDA", user_id=ADMIN)
    await bot.say(GROUP, "/watch MSFT", user_id=ADMIN)
    await bot.say(GROUP, "/unwatch MSFT", user_id=ADMIN)
    assert member_lookups(bot) == 1
    # a private chat needs no lookup: its user is its only member
    [reply] = await bot.say(ALICE, "/watch NVDA")
    assert "Watching NVDA" in reply
    assert member_lookups(bot) == 1


# -- the bot's administrators ------------------------------------------------------------------


def test_admin_user_ids_are_needed_when_set() -> None:
    only_chats = AdminRule(chat_ids=frozenset({GROUP}))
    assert only_chats.allows(GROUP, MEMBER) and only_chats.allows(GROUP, None)
    assert not only_chats.allows(ALICE, ALICE)
    both = AdminRule(chat_ids=frozenset({GROUP}), user_ids=frozenset({ADMIN}))
    assert both.allows(GROUP, ADMIN)
    assert not both.allows(GROUP, MEMBER)  # a member of the admin group is not an admin
    assert not both.allows(ALICE, ADMIN)  # outside ADMIN_CHAT_IDS
    only_users = AdminRule(user_ids=frozenset({ALICE}))
    assert only_users.allows(ALICE, ALICE) and only_users.allows(GROUP, ALICE)
    assert not only_users.allows(GROUP, None) and not AdminRule().allows(GROUP, ADMIN)


async def test_stats_in_an_admin_group_needs_the_senders_user_id(db: Engine, database_url: str) -> None:
    async with running_bot(db, database_url, admin_chat_ids=frozenset({GROUP}),
                           admin_user_ids=frozenset({ADMIN})) as bot:
        [refused] = await bot.say(GROUP, "/stats", user_id=MEMBER)
        assert "administrators only" in refused
        [stats] = await bot.say(GROUP, "/stats", user_id=ADMIN)
        assert "Deliveries" in stats
        [help_text] = await bot.say(GROUP, "/help", user_id=MEMBER)
        assert "/broadcast" not in help_text


# -- /forget -----------------------------------------------------------------------------------


def rows_keeping(db: Engine, chat_id: int, chat_pk: int) -> list[str]:
    """Every row of every table that still names the chat: its id anywhere, its pk in a chat
    column, or in a key or source written for it alone."""
    found = []
    keys = (f"chat:{chat_pk}", f"reminder:{chat_pk}:", f"digest:{chat_pk}:")
    with db.connect() as conn:
        for table in SQLModel.metadata.sorted_tables:
            for row in conn.execute(select(table)):
                for column, value in zip(table.columns, row, strict=True):
                    names_chat = value == chat_id or (isinstance(value, str) and (
                        str(chat_id) in value or value == keys[0] or value.startswith(keys[1:])))
                    if names_chat or ("chat" in column.name and value == chat_pk):
                        found.append(f"{table.name}.{column.name}={value!r}")
    return found


def chat_pk_of(db: Engine, chat_id: int) -> int:
    with session_scope(db) as session:
        chat = session.exec(select(Chat).where(Chat.chat_id == chat_id)).scalar_one()
        assert chat.id is not None
        return chat.id


async def fill_chat(bot: RunningBot, chat_id: int, **speaker: object) -> None:
    """A chat that uses everything: watchlist, own numbers, settings, quiet hours, zone."""
    await bot.say(chat_id, "/start", **speaker)
    await bot.say(chat_id, "/watch NVDA MSFT", **speaker)
    await bot.say(chat_id, "/expect NVDA eps 0.90", **speaker)
    await bot.say(chat_id, "/settings revisions on", **speaker)
    await bot.say(chat_id, "/quiet 22:00-07:00", **speaker)
    await bot.say(chat_id, "/timezone Shanghai", **speaker)


async def test_forget_deletes_every_row_that_names_the_chat(bot: RunningBot, db: Engine) -> None:
    await fill_chat(bot, OTHER_GROUP)  # another chat: everything of it stays
    await fill_chat(bot, GROUP, user_id=ADMIN)
    pk = chat_pk_of(db, GROUP)
    [queued] = await bot.say(GROUP, "/broadcast Hello everyone", user_id=ADMIN)  # an admin group
    assert "Broadcast queued" in queued
    with session_scope(db) as session:  # a reminder rendered for it alone, and one still pending
        event = session.exec(select(EarningsEvent)).scalars().first()
        assert event is not None and event.id is not None
        alert = Alert(kind=AlertKind.REMINDER, dedup_key=f"reminder:{pk}:{event.id}:today:2030-01-02",
                      text="NVDA reports today", expires_at=utc_now() + timedelta(days=1))
        session.add(alert)
        session.flush()
        assert alert.id is not None
        session.add(Delivery(alert_id=alert.id, chat_pk=pk, next_attempt_at=utc_now() + timedelta(days=1)))
    other_before = rows_keeping(db, OTHER_GROUP, chat_pk_of(db, OTHER_GROUP))
    assert rows_keeping(db, GROUP, pk)  # the scan sees the chat before /forget

    [question] = await bot.say(GROUP, "/forget", user_id=ADMIN)
    assert "Forget this chat?" in question
    menu = bot.api.messages_to(GROUP)[-1]
    answer = await click(bot, GROUP, menu.message_id, "forget:yes", MEMBER)
    assert answer.get("text") == GROUP_ADMINS_ONLY_SHORT
    assert rows_keeping(db, GROUP, pk)  # a member's press deletes nothing
    await click(bot, GROUP, menu.message_id, "forget:yes", ADMIN)
    await eventually(lambda: message_text(bot, GROUP, menu.message_id) == FORGOTTEN)

    assert rows_keeping(db, GROUP, pk) == []
    assert rows_keeping(db, OTHER_GROUP, chat_pk_of(db, OTHER_GROUP)) == other_before
    with session_scope(db) as session:
        broadcast = session.exec(select(Alert).where(Alert.kind == AlertKind.BROADCAST)).scalar_one()
        assert broadcast.text == "Hello everyone"  # still delivered to the others
    # the chat starts again from nothing
    [shown] = await bot.say(GROUP, "/watchlist", user_id=MEMBER)
    assert "watchlist is empty" in shown


def delivery_statuses(db: Engine, chat_pk: int) -> list[str]:
    with session_scope(db) as session:
        return sorted(session.exec(select(Delivery.status).where(Delivery.chat_pk == chat_pk)).scalars())


def message_text(bot: RunningBot, chat_id: int, message_id: int) -> str:
    return next(m.visible_text for m in bot.api.messages_to(chat_id) if m.message_id == message_id)


async def test_forget_answers_once_the_message_already_on_its_way_has_landed(bot: RunningBot, db: Engine) -> None:
    await fill_chat(bot, GROUP, user_id=ADMIN)
    pk = chat_pk_of(db, GROUP)
    await bot.say(GROUP, "/forget", user_id=ADMIN)
    menu = bot.api.messages_to(GROUP)[-1]
    released = bot.api.hold_sends_to(GROUP)  # Telegram is slow to answer this chat's next message
    with session_scope(db) as session:
        on_its_way = Alert(kind=AlertKind.BROADCAST, dedup_key="broadcast:on-its-way", text="Hello everyone",
                           expires_at=utc_now() + timedelta(days=1))
        later = Alert(kind=AlertKind.REMINDER, dedup_key=f"reminder:{pk}:later", text="NVDA reports tomorrow",
                      expires_at=utc_now() + timedelta(days=2))
        session.add_all([on_its_way, later])
        session.flush()
        assert on_its_way.id is not None and later.id is not None
        session.add(Delivery(alert_id=on_its_way.id, chat_pk=pk))
        session.add(Delivery(alert_id=later.id, chat_pk=pk, next_attempt_at=utc_now() + timedelta(days=1)))
    await eventually(lambda: bot.api.held_sends == 1)  # the broadcast is on the wire

    answers_before = len(bot.api.callback_answers)
    bot.api.user_clicks(GROUP, menu.message_id, "forget:yes", user_id=ADMIN)
    await eventually(lambda: len(bot.api.callback_answers) > answers_before)  # the press is answered at once
    # the reminder will never go; the broadcast can't be called back: the answer waits for it
    await eventually(lambda: delivery_statuses(db, pk) == ["cancelled", "sending"])
    assert message_text(bot, GROUP, menu.message_id) != FORGOTTEN
    released.set()

    await eventually(lambda: message_text(bot, GROUP, menu.message_id) == FORGOTTEN)
    texts = [m.visible_text for m in bot.api.messages_to(GROUP)]
    assert "Hello everyone" in texts and "NVDA reports tomorrow" not in texts
    assert rows_keeping(db, GROUP, pk) == []


async def test_forget_can_be_cancelled(bot: RunningBot, db: Engine) -> None:
    await bot.say(ALICE, "/watch NVDA")
    await bot.say(ALICE, "/forget")
    menu = bot.api.messages_to(ALICE)[-1]
    await click(bot, ALICE, menu.message_id, "forget:no", ALICE)
    await eventually(lambda: bot.api.messages_to(ALICE)[-1].edited)
    assert "Nothing deleted" in bot.api.messages_to(ALICE)[-1].visible_text
    [shown] = await bot.say(ALICE, "/watchlist")
    assert "NVDA" in shown


# -- floods ------------------------------------------------------------------------------------


def test_the_command_limit_warns_once_then_ignores_until_the_minute_has_passed() -> None:
    now = [0.0]
    flood = CommandFlood(limit=20, seconds=60, clock=lambda: now[0])
    assert [flood.admit(ALICE) for _ in range(20)] == [Admission.ANSWER] * 20
    assert flood.admit(ALICE) is Admission.WARN
    assert flood.admit(ALICE) is Admission.IGNORE
    assert flood.admit(BOB) is Admission.ANSWER  # each chat counts its own
    now[0] = 59.9
    assert flood.admit(ALICE) is Admission.IGNORE
    now[0] = 60.0
    assert flood.admit(ALICE) is Admission.ANSWER


async def test_a_flooding_chat_is_warned_once_and_another_chat_is_answered_meanwhile(bot: RunningBot) -> None:
    for i in range(30):
        bot.api.user_sends(ALICE, "/help" if i % 2 else "/watchlist")
    await bot.api.wait_for_messages(ALICE, 2, timeout=10)  # the flood is being answered
    loop = asyncio.get_running_loop()
    asked = loop.time()
    await bot.say(BOB, "/help")
    answered_in = loop.time() - asked
    assert answered_in < 2.0, f"another chat waited {answered_in:.1f}s behind the flood"
    # 20 replies, paced to the chat's limit (no 429), then one warning, then nothing
    await bot.api.wait_for_messages(ALICE, 21, timeout=40)
    # the other nine were turned away as they arrived (all 30 came in the first getUpdates)
    processor = bot.application.update_processor
    assert isinstance(processor, ChatOrderedUpdates)
    assert processor.ignored == 9 and processor.warned == 1
    texts = [m.visible_text for m in bot.api.messages_to(ALICE)]
    assert len(texts) == 21 and texts[20] == FLOOD_WARNING
    assert bot.api.sends_429 == 0
    assert bot.api.max_sends_per_second(ALICE) <= 3


async def test_one_chats_429_does_not_pause_the_others(bot: RunningBot) -> None:
    bot.api.flood_chat(ALICE, retry_after=4)
    bot.api.user_sends(ALICE, "/help")
    await eventually(lambda: any(c.status == 429 and c.chat_id == ALICE for c in bot.api.calls))
    loop = asyncio.get_running_loop()
    asked = loop.time()
    await bot.say(BOB, "/help")
    assert loop.time() - asked < 2.0
    [late] = await bot.api.wait_for_messages(ALICE, 1, timeout=10)  # retried after its wait
    refused_at = next(c.time for c in bot.api.calls if c.status == 429)
    assert late.sent_at - refused_at >= 4.0
    assert "Commands" in late.visible_text


async def test_more_waiting_chats_than_slots_do_not_hold_up_another_chat(bot: RunningBot) -> None:
    """More chats than updates handled at once, each waiting out a 429 of its own: a chat waiting
    for its own limit gives its slot up meanwhile."""
    waiting = [ALICE + 100 + i for i in range(MAX_CONCURRENT_UPDATES + 4)]
    for chat in waiting:
        bot.api.flood_chat(chat, retry_after=4)
        bot.api.user_sends(chat, "/help")
    await eventually(lambda: bot.api.sends_429 == len(waiting))
    loop = asyncio.get_running_loop()
    asked = loop.time()
    await bot.say(BOB, "/help")
    answered_in = loop.time() - asked
    assert answered_in < 2.0, f"another chat waited {answered_in:.1f}s behind {len(waiting)} waiting chats"
    assert all(bot.api.messages_to(c) == [] for c in waiting), "their waits were over: nothing measured"
    for chat in waiting:
        [reply] = await bot.api.wait_for_messages(chat, 1, timeout=15)
        assert "Commands" in reply.visible_text
