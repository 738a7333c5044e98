"""The loopback Bot API server, driven by the real python-telegram-bot client over real HTTP."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

import httpx
import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ChatAction, ParseMode
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    InvalidToken,
    RetryAfter,
    TimedOut,
)
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
)

from bot.sandbox.bot_api import LoopbackBotApi, RecordedCall
from bot.sandbox.bot_api_spec import (
    ApiSpec,
    EntityParseError,
    FloodLimits,
    parse_html,
    utf16_len,
)
from tests.conftest import BOT_API_SPEC, shared_path
from tests.telegram.spec import assert_calls_match_spec, spec_problems

GROUP = -1001234567890123  # 64-bit supergroup id


@pytest.fixture
async def api() -> AsyncIterator[LoopbackBotApi]:
    async with LoopbackBotApi(spec_path=BOT_API_SPEC) as server:
        yield server


@pytest.fixture
async def bot(api: LoopbackBotApi) -> AsyncIterator[Bot]:
    async with Bot(api.token, base_url=api.bot_base_url) as client:
        yield client


def raw_url(api: LoopbackBotApi, method: str, token: str | None = None) -> str:
    return f"{api.base_url}/bot{token or api.token}/{method}"


@asynccontextmanager
async def polling(app: Application) -> AsyncIterator[Application]:
    """Run the application's long polling and handlers for the duration of the block."""
    async with app:
        await app.updater.start_polling(timeout=1)
        await app.start()
        try:
            yield app
        finally:
            await app.updater.stop()
            await app.stop()


def application(api: LoopbackBotApi) -> Application:
    return ApplicationBuilder().token(api.token).base_url(api.bot_base_url).build()


async def greet_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await update.effective_message.reply_text(f"hello {update.effective_user.first_name}")


# -- the happy path -----------------------------------------------------------------------------

async def test_get_me_names_the_bot(bot: Bot) -> None:
    me = await bot.get_me()
    assert (me.username, me.is_bot, me.id) == ("earnings_demo_bot", True, 123456)


async def test_polling_application_replies_to_a_user_command(api: LoopbackBotApi) -> None:
    app = application(api)
    app.add_handler(CommandHandler("start", greet_command))
    async with polling(app):
        api.user_sends(555, "/start", first_name="Ann")
        api.user_sends(GROUP, "/start@earnings_demo_bot", chat_type="supergroup", first_name="Bo")
        [private] = await api.wait_for_messages(555, 1)
        [group] = await api.wait_for_messages(GROUP, 1)
    assert private.visible_text == "hello Ann"
    assert group.visible_text == "hello Bo"
    # The user's message took id 1 in the chat, the reply id 2.
    assert private.message_id == 2
    methods = {call.method for call in api.calls}
    assert {"getMe", "deleteWebhook", "getUpdates", "sendMessage"} <= methods


async def test_user_sends_marks_bot_commands_in_utf16_units(api: LoopbackBotApi) -> None:
    api.user_sends(1, "📈 /watch AAPL")
    async with httpx.AsyncClient() as client:
        response = await client.get(raw_url(api, "getUpdates"))
    [update] = response.json()["result"]
    assert update["message"]["entities"] == [{"type": "bot_command", "offset": 3, "length": 6}]


# -- faults map to the right PTB exceptions -----------------------------------------------------

async def test_blocked_user_raises_forbidden_until_they_write_again(
        api: LoopbackBotApi, bot: Bot) -> None:
    api.block(42)
    with pytest.raises(Forbidden, match="bot was blocked by the user"):
        await bot.send_message(42, "AAPL beat")
    api.user_sends(42, "/start")
    await bot.send_message(42, "welcome back")
    assert [m.text for m in api.messages_to(42)] == ["welcome back"]


async def test_kicked_group_raises_forbidden(api: LoopbackBotApi, bot: Bot) -> None:
    api.kick(GROUP)
    with pytest.raises(Forbidden, match="kicked from the supergroup chat"):
        await bot.send_message(GROUP, "AAPL beat")
    assert api.messages_to(GROUP) == []


async def test_unknown_chat_and_username_raise_chat_not_found(
        api: LoopbackBotApi, bot: Bot) -> None:
    api.chat_not_found(77)
    with pytest.raises(BadRequest, match="^Chat not found$"):
        await bot.send_message(77, "x")
    with pytest.raises(BadRequest, match="^Chat not found$"):
        await bot.send_message("@somebody", "x")
    api.restore(77)
    await bot.send_message(77, "x")
    assert len(api.messages_to(77)) == 1


async def test_migrated_group_raises_chat_migrated_and_the_new_id_works(
        api: LoopbackBotApi, bot: Bot) -> None:
    api.migrate(-4242, GROUP)
    with pytest.raises(ChatMigrated) as caught:
        await bot.send_message(-4242, "AAPL beat")
    assert caught.value.new_chat_id == GROUP
    await bot.send_message(caught.value.new_chat_id, "AAPL beat")
    assert [m.text for m in api.messages_to(GROUP)] == ["AAPL beat"]
    assert api.calls[-2].description == "Bad Request: group chat was upgraded to a supergroup chat"


async def test_scripted_error_raises_retry_after_as_timedelta_once(
        api: LoopbackBotApi, bot: Bot) -> None:
    api.fail_next("SENDMESSAGE", 429, "Too Many Requests: retry after 3", retry_after=3)
    with pytest.raises(RetryAfter) as caught:
        await bot.send_message(5, "x")
    assert caught.value.retry_after == timedelta(seconds=3)
    await bot.send_message(5, "x")
    assert (api.sends_429, api.sends_ok, len(api.messages_to(5))) == (1, 1, 1)


async def test_hang_times_out_the_client_after_the_message_went_out(
        api: LoopbackBotApi, bot: Bot) -> None:
    api.hang_next("sendMessage", 1.5)
    with pytest.raises(TimedOut):
        await bot.send_message(5, "AAPL beat", read_timeout=0.2)
    # Delivered although the client never heard back: the bot must allow for this.
    assert [m.text for m in api.messages_to(5)] == ["AAPL beat"]


async def test_hang_before_delivery_leaves_nothing_when_the_client_gives_up(
        api: LoopbackBotApi, bot: Bot) -> None:
    api.hang_next("sendMessage", 0.5, deliver=False)
    with pytest.raises(TimedOut):
        await bot.send_message(5, "AAPL beat", read_timeout=0.2)
    await asyncio.sleep(0.6)
    assert api.messages_to(5) == []


# -- flood limits -------------------------------------------------------------------------------

async def test_private_chat_gets_429_past_a_short_burst(api: LoopbackBotApi, bot: Bot) -> None:
    outcomes = []
    for n in range(5):
        try:
            await bot.send_message(9, f"alert {n}")
            outcomes.append("ok")
        except RetryAfter as exc:
            outcomes.append(exc.retry_after)
    assert outcomes[:3] == ["ok", "ok", "ok"]
    assert all(isinstance(o, timedelta) and o >= timedelta(seconds=1) for o in outcomes[3:])
    # Refused sends are not delivered.
    assert [m.text for m in api.messages_to(9)] == ["alert 0", "alert 1", "alert 2"]
    assert (api.sends_ok, api.sends_429) == (3, 2)


async def test_group_gets_429_past_20_a_minute_and_recovers_after_it() -> None:
    now = [1000.0]
    async with LoopbackBotApi(clock=lambda: now[0], spec_path=BOT_API_SPEC) as api, \
            Bot(api.token, base_url=api.bot_base_url) as bot:
        for n in range(20):
            now[0] += 1.5
            await bot.send_message(GROUP, f"alert {n}")
        with pytest.raises(RetryAfter) as caught:
            await bot.send_message(GROUP, "one too many")
        assert timedelta(seconds=25) <= caught.value.retry_after <= timedelta(seconds=60)
        now[0] += caught.value.retry_after.total_seconds()
        await bot.send_message(GROUP, "after the wait")
    assert len(api.messages_to(GROUP)) == 21


async def test_overall_limit_counts_all_chats_but_paid_broadcast_has_its_own() -> None:
    async with LoopbackBotApi(flood=FloodLimits(per_second=5, paid_per_second=50), spec_path=BOT_API_SPEC) as api, \
            Bot(api.token, base_url=api.bot_base_url) as bot:
        for chat in range(1, 6):
            await bot.send_message(chat, "free")
        with pytest.raises(RetryAfter):
            await bot.send_message(6, "free")
        for chat in range(6, 16):
            await bot.send_message(chat, "paid", allow_paid_broadcast=True)
    assert (api.sends_ok, api.sends_429) == (15, 1)
    assert api.messages_to(6)[0].text == "paid"


async def test_counters_report_rate_and_duplicates() -> None:
    async with LoopbackBotApi(flood=FloodLimits.off(), spec_path=BOT_API_SPEC) as api, \
            Bot(api.token, base_url=api.bot_base_url) as bot:
        for text in ("AAPL beat", "MSFT miss", "AAPL beat"):
            await bot.send_message(3, text)
        await bot.send_message(4, "AAPL beat")
    assert api.duplicates() == {3: ["AAPL beat"]}
    assert api.texts_by_chat()[4] == ["AAPL beat"]
    assert api.max_sends_per_second() == 4
    assert api.max_sends_per_second(chat_id=3) == 3


# -- text length and HTML -----------------------------------------------------------------------

async def test_html_length_counts_visible_utf16_units(api: LoopbackBotApi, bot: Bot) -> None:
    with pytest.raises(BadRequest, match="Message is too long"):
        await bot.send_message(1, "x" * 4097, parse_mode=ParseMode.HTML)
    tagged = "<b>" + "x" * 4000 + "</b>" + "&amp;" * 96  # 4096 visible, 4581 raw
    sent = await bot.send_message(1, tagged, parse_mode=ParseMode.HTML)
    assert len(sent.text) == 4096
    await bot.send_message(1, "📈" * 2048)  # 4096 UTF-16 units
    with pytest.raises(BadRequest, match="Message is too long"):
        await bot.send_message(1, "📈" * 2048 + "x")
    assert len(api.messages_to(1)) == 2


async def test_malformed_html_is_refused_with_telegrams_text(
        api: LoopbackBotApi, bot: Bot) -> None:
    with pytest.raises(BadRequest, match=r"parse entities: unsupported start tag \"\" at byte"):
        await bot.send_message(1, "EPS < 1.00", parse_mode=ParseMode.HTML)
    assert api.calls[-1].description == (
        "Bad Request: can't parse entities: Unsupported start tag \"\" at byte offset 4")
    with pytest.raises(BadRequest, match="can't find end tag"):
        await bot.send_message(1, "<b>AAPL", parse_mode=ParseMode.HTML)
    with pytest.raises(BadRequest, match="Text must be non-empty|text is empty"):
        await bot.send_message(1, "<b> </b>", parse_mode=ParseMode.HTML)
    assert api.messages_to(1) == []


@pytest.mark.parametrize(("html", "visible"), [
    ("<b>AAPL</b> beat &amp; raised", "AAPL beat & raised"),
    ("<strong>a</strong><em>b</em><ins>c</ins><strike>d</strike><del>e</del>", "abcde"),
    ('<a href="https://sec.gov/x?a=1&amp;b=2">8-K</a>', "8-K"),
    ("<pre><code class=\"language-text\">x</code></pre>", "x"),
    ('<span class="tg-spoiler">s</span><tg-spoiler>t</tg-spoiler>', "st"),
    ("<blockquote expandable>q</blockquote>", "q"),
    ("<B>upper</B> <i>a</>", "upper a"),
    ("&lt;&gt;&quot;&#36;&#x24;&laquo;&nbsp", '<>"$$&laquo;&nbsp'),
    ("1 > 0 and a&b", "1 > 0 and a&b"),
])
def test_parse_html_accepts_what_telegram_accepts(html: str, visible: str) -> None:
    assert parse_html(html) == visible


@pytest.mark.parametrize(("html", "error"), [
    ("🏟 🏟&lt;<abacaba", "Unclosed start tag at byte offset 13"),
    ("🏟 🏟&lt;<abac aba>", 'Unsupported start tag "abac" at byte offset 13'),
    ("<br>", 'Unsupported start tag "br" at byte offset 0'),
    ("🏟 🏟&lt;<i   =aba>", 'Empty attribute name in the tag "i" at byte offset 13'),
    ("🏟 🏟&lt;<i    aba>",
     'Expected equal sign in declaration of an attribute of the tag "i" at byte offset 13'),
    ("🏟 🏟&lt;<i    aba  =  ", 'Unclosed start tag "i" at byte offset 13'),
    ("🏟 🏟&lt;<i    aba  =  190azAz-.,", "Unexpected end of name token at byte offset 27"),
    ('🏟 🏟&lt;<i    aba  =  "&lt;&gt;&quot;>', "Unclosed start tag at byte offset 13"),
    ("🏟 🏟&lt;</", "Unexpected end tag at byte offset 13"),
    ("🏟 🏟&lt;<i>a</i   ", "Unclosed end tag at byte offset 17"),
    ("🏟 🏟&lt;<i>a</em   >",
     'Unmatched end tag at byte offset 17, expected "</i>", found "</em>"'),
    ("<b>x", 'Can\'t find end tag corresponding to start tag "b"'),
    ("<span>x</span>", 'Tag "span" must have class "tg-spoiler" at byte offset 0'),
    ("&#xDFDF;", "Text contains invalid Unicode characters"),
])
def test_parse_html_refuses_what_telegram_refuses(html: str, error: str) -> None:
    with pytest.raises(EntityParseError) as caught:
        parse_html(html)
    assert str(caught.value).startswith(error)


def test_utf16_len_counts_astral_characters_twice() -> None:
    assert (utf16_len("AAPL"), utf16_len("📈"), utf16_len("é")) == (4, 2, 1)


# -- other methods ------------------------------------------------------------------------------

async def test_edit_and_delete_change_what_the_user_sees(api: LoopbackBotApi, bot: Bot) -> None:
    first = await bot.send_message(8, "<b>AAPL</b> reports today", parse_mode=ParseMode.HTML)
    second = await bot.send_message(8, "MSFT reports today")
    await bot.edit_message_text("<b>AAPL</b> beat", chat_id=8, message_id=first.message_id,
                                parse_mode=ParseMode.HTML)
    with pytest.raises(BadRequest, match="Message is not modified"):
        await bot.edit_message_text("<b>AAPL</b> beat", chat_id=8, message_id=first.message_id,
                                    parse_mode=ParseMode.HTML)
    assert await bot.delete_message(8, second.message_id)
    with pytest.raises(BadRequest, match="Message to edit not found"):
        await bot.edit_message_text("x", chat_id=8, message_id=second.message_id)
    [shown] = api.messages_to(8)
    assert (shown.visible_text, shown.edited) == ("AAPL beat", True)
    assert shown.history == ["<b>AAPL</b> reports today"]


async def test_button_press_reaches_the_handler_and_is_answered(api: LoopbackBotApi) -> None:
    async def unwatch_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        await query.answer("Removed")
        await query.edit_message_text(f"Stopped watching {query.data.split(':')[1]}")

    app = application(api)
    app.add_handler(CallbackQueryHandler(unwatch_button, pattern=r"^unwatch:"))
    async with polling(app):
        keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Remove", callback_data="unwatch:AAPL")]])
        sent = await app.bot.send_message(12, "Watching AAPL", reply_markup=keyboard)
        api.user_clicks(12, sent.message_id, "unwatch:AAPL")
        for _ in range(100):
            if api.messages_to(12)[0].edited:
                break
            await asyncio.sleep(0.02)
    [shown] = api.messages_to(12)
    assert (shown.visible_text, shown.reply_markup) == ("Stopped watching AAPL", None)
    assert list(api.callback_answers.values()) == [{"text": "Removed"}]


async def test_commands_chat_info_and_chat_action(api: LoopbackBotApi, bot: Bot) -> None:
    assert await bot.set_my_commands([("watch", "Watch a ticker"), ("list", "Your watchlist")])
    assert [c.command for c in await bot.get_my_commands()] == ["watch", "list"]
    with pytest.raises(BadRequest, match="Bot_command_invalid"):
        await bot.set_my_commands([("Watch-Now", "bad name")])
    api.user_sends(GROUP, "hi", chat_type="supergroup", title="Investors")
    chat = await bot.get_chat(GROUP)
    assert (chat.type, chat.title, chat.id) == ("supergroup", "Investors", GROUP)
    assert await bot.send_chat_action(GROUP, ChatAction.TYPING)


# -- protocol -----------------------------------------------------------------------------------

async def test_unknown_method_and_wrong_token_answer_like_telegram(api: LoopbackBotApi) -> None:
    async with httpx.AsyncClient() as client:
        unknown = await client.post(raw_url(api, "sendTelepathy"), data={"chat_id": "1"})
        wrong = await client.post(raw_url(api, "getMe", token="1:WRONG"))
    assert (unknown.status_code, unknown.json()) == (
        404, {"ok": False, "error_code": 404, "description": "Not Found"})
    assert (wrong.status_code, wrong.json()["description"]) == (401, "Unauthorized")
    wrong_bot = Bot("1:WRONG", base_url=api.bot_base_url)
    try:
        with pytest.raises(InvalidToken):
            await wrong_bot.initialize()  # PTB checks the token with getMe
    finally:
        await wrong_bot.shutdown()


async def test_json_query_and_multipart_requests_are_understood(api: LoopbackBotApi) -> None:
    async with httpx.AsyncClient() as client:
        by_json = await client.post(raw_url(api, "SENDMESSAGE"),
                                    json={"chat_id": 1, "text": "json", "reply_markup": {
                                        "inline_keyboard": [[{"text": "a", "callback_data": "b"}]]}})
        by_query = await client.get(raw_url(api, "sendMessage"),
                                    params={"chat_id": "1", "text": "query"})
        by_multipart = await client.post(raw_url(api, "sendMessage"), data={"chat_id": "1"},
                                         files={"text": (None, b"multipart")})
    assert all(r.json()["ok"] for r in (by_json, by_query, by_multipart))
    assert [m.text for m in api.messages_to(1)] == ["json", "query", "multipart"]
    assert api.calls[0].method == "sendMessage"
    assert api.calls[0].params["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "b"


async def test_get_updates_honours_offset_limit_and_allowed_updates(api: LoopbackBotApi) -> None:
    first = api.user_sends(1, "one")
    api.user_sends(1, "two")
    api.user_sends(1, "three")
    async with httpx.AsyncClient() as client:
        async def poll(**params: Any) -> list[dict[str, Any]]:
            response = await client.post(raw_url(api, "getUpdates"), data=params)
            return response.json()["result"]

        assert [u["message"]["text"] for u in await poll(limit="2")] == ["one", "two"]
        assert [u["message"]["text"] for u in await poll(offset=str(first + 1))] == ["two", "three"]
        assert [u["message"]["text"] for u in await poll()] == ["two", "three"]
        assert await poll(allowed_updates='["callback_query"]') == []
        assert await poll(offset="-1", allowed_updates="[]") != []


async def test_long_poll_waits_for_a_message_and_ends_when_the_server_stops() -> None:
    api = LoopbackBotApi(spec_path=BOT_API_SPEC)
    await api.start()
    async with httpx.AsyncClient(timeout=10) as client:
        waiting = asyncio.create_task(client.get(raw_url(api, "getUpdates"), params={"timeout": 5}))
        await asyncio.sleep(0.1)
        api.user_sends(1, "hi")
        assert (await waiting).json()["result"][0]["message"]["text"] == "hi"
        waiting = asyncio.create_task(
            client.get(raw_url(api, "getUpdates"), params={"timeout": 30, "offset": 2}))
        await asyncio.sleep(0.1)
        started = time.monotonic()
        await api.stop()
        assert (await waiting).json() == {"ok": True, "result": []}
    assert time.monotonic() - started < 1.5


async def test_a_second_poller_makes_the_first_get_conflict(api: LoopbackBotApi) -> None:
    async with httpx.AsyncClient(timeout=10) as client:
        first = asyncio.create_task(client.get(raw_url(api, "getUpdates"), params={"timeout": 5}))
        await asyncio.sleep(0.1)
        second = await client.get(raw_url(api, "getUpdates"), params={"timeout": 0})
        answered = await first
    assert second.json() == {"ok": True, "result": []}
    assert answered.status_code == 409
    assert answered.json()["description"].startswith("Conflict: terminated by other getUpdates")


async def test_500_concurrent_ptb_sends_to_different_chats_all_arrive() -> None:
    async with LoopbackBotApi(flood=FloodLimits.off(), spec_path=BOT_API_SPEC) as api, \
            Bot(api.token, base_url=api.bot_base_url) as bot:
        await asyncio.gather(*(bot.send_message(chat, f"alert {chat}")
                               for chat in range(1, 501)))
    assert api.sends_ok == 500
    assert all([m.text for m in api.messages_to(c)] == [f"alert {c}"] for c in range(1, 501))


async def test_500_simultaneous_connections_are_not_reset() -> None:
    limits = httpx.Limits(max_connections=600, max_keepalive_connections=0)
    async with LoopbackBotApi(flood=FloodLimits.off(), spec_path=BOT_API_SPEC) as api, \
            httpx.AsyncClient(limits=limits, timeout=10) as client:
        answers = await asyncio.gather(*(
            client.post(raw_url(api, "sendMessage"), data={"chat_id": -chat, "text": "raw"})
            for chat in range(1, 501)))
    assert all(answer.status_code == 200 for answer in answers)
    assert api.sends_ok == 500


# -- the api.json spec --------------------------------------------------------------------------

async def test_spec_refuses_unknown_and_missing_parameters() -> None:
    spec_path = shared_path("telegram-bot-api", "api.json")
    async with LoopbackBotApi(spec_path=spec_path) as api, \
            Bot(api.token, base_url=api.bot_base_url) as bot:
        with pytest.raises(BadRequest, match="Unknown parameter bogus_param"):
            await bot.send_message(1, "x", api_kwargs={"bogus_param": "1"})
        async with httpx.AsyncClient() as client:
            missing = await client.post(raw_url(api, "sendMessage"), data={"chat_id": "1"})
        assert missing.json()["description"] == "Bad Request: missing required parameter text"
        with pytest.raises(BadRequest, match="Parameter message_id must be integer"):
            await bot.delete_message(1, "seven")  # type: ignore[arg-type]
    assert api.spec_violations == [
        "sendMessage: unknown parameter bogus_param",
        "sendMessage: missing required parameter text",
        "deleteMessage: parameter message_id must be Integer",
    ]
    assert api.messages_to(1) == []


def test_builtin_spec_decodes_form_strings_without_api_json() -> None:
    spec = ApiSpec.builtin()
    decoded = spec.decode("sendMessage", {"chat_id": "-1001234567890123", "text": "42",
                                          "allow_paid_broadcast": "true",
                                          "reply_markup": '{"inline_keyboard": []}'})
    assert decoded == {"chat_id": GROUP, "text": "42", "allow_paid_broadcast": True,
                       "reply_markup": {"inline_keyboard": []}}
    assert spec.violations("sendMessage", {"chat_id": 1}) == ["missing required parameter text"]
    assert spec.canonical("SENDMESSAGE") == "sendMessage"


async def test_every_call_of_a_full_session_matches_api_json(api: LoopbackBotApi) -> None:
    spec_path = shared_path("telegram-bot-api", "api.json")

    async def watch_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await context.bot.send_chat_action(update.effective_chat.id, ChatAction.TYPING)
        keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Remove", callback_data="unwatch:NVDA")]])
        await update.effective_message.reply_html("Watching <b>NVDA</b>", reply_markup=keyboard)

    async def unwatch_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await update.callback_query.answer()
        await update.callback_query.edit_message_text("Stopped watching NVDA")

    app = application(api)
    app.add_handlers([CommandHandler("watch", watch_command),
                      CallbackQueryHandler(unwatch_button, pattern=r"^unwatch:")])
    async with polling(app):
        await app.bot.set_my_commands([("watch", "Watch a ticker")])
        api.user_sends(31, "/watch NVDA")
        [reply] = await api.wait_for_messages(31, 1)
        api.user_clicks(31, reply.message_id, "unwatch:NVDA")
        for _ in range(100):
            if api.messages_to(31)[0].edited:
                break
            await asyncio.sleep(0.02)
        await app.bot.get_chat(31)
        await app.bot.delete_message(31, reply.message_id)
    assert api.messages_to(31) == []
    assert api.texts_by_chat()[31] == ["Stopped watching NVDA"]
    assert {"answerCallbackQuery", "editMessageText", "sendChatAction", "deleteMessage",
            "setMyCommands", "getChat"} <= {call.method for call in api.calls}
    assert_calls_match_spec(api.calls, spec_path)


def test_spec_checker_reports_a_bad_call() -> None:
    spec_path = shared_path("telegram-bot-api", "api.json")
    calls = [RecordedCall("sendMessage", {"chat_id": 1, "txt": "x"}, 200, 0.0, 1),
             RecordedCall("sendTelepathy", {}, 404, 0.0, None)]
    assert spec_problems(calls, spec_path) == [
        "call 0: sendMessage has unknown parameter txt",
        "call 0: sendMessage lacks required parameter text",
        "call 1: sendTelepathy is not a Bot API method",
    ]
    with pytest.raises(AssertionError, match="unknown parameter txt"):
        assert_calls_match_spec(calls, spec_path)
