"""/settings through the real client and the loopback Bot API: the pages open in the same message,
each change is stored, confirmed on the page that re-renders and in the button's answer; typed
forms change the same values; garbage and stale buttons get a short answer and change nothing."""

from __future__ import annotations

from sqlalchemy import Engine

from bot.sandbox.bot_api import SentMessage
from tests.telegram.bot_harness import RunningBot
from tests.telegram.test_commands import bot, wait_for_quiet_then_help
from tests.telegram.test_reminders import chat_row

ALICE = 5_600_000_001
__all__ = ["bot"]  # the fixture: a running bot whose calls are checked against the Bot API spec


def answers(bot: RunningBot) -> list[str | None]:
    return [c.params.get("text") for c in bot.api.calls if c.method == "answerCallbackQuery"]


async def tap(bot: RunningBot, menu: SentMessage, data: str) -> SentMessage:
    """Press a button of the menu; return the menu as the chat shows it once the bot handled it."""
    bot.api.user_clicks(ALICE, menu.message_id, data)
    replies = await wait_for_quiet_then_help(bot, ALICE)
    assert not any("went wrong" in r for r in replies), replies
    return next(m for m in bot.api.messages_to(ALICE) if m.message_id == menu.message_id)


def callback_data(message: SentMessage) -> list[str]:
    assert message.reply_markup is not None
    return [b["callback_data"] for row in message.reply_markup["inline_keyboard"] for b in row]


async def test_the_pages_change_every_setting_in_the_same_message(bot: RunningBot, db: Engine) -> None:
    await bot.say(ALICE, "/start")
    [main] = await bot.say(ALICE, "/settings")
    assert "In-line band: default: ±0.5% for revenue and other amounts, EPS exact to the cent" in main
    assert "Minimum surprise: off: every result comes with a sound" in main
    menu = bot.api.messages_to(ALICE)[-1]
    assert callback_data(menu) == ["set:kinds", "set:remind", "set:band", "set:min", "set:tz", "set:quiet"]

    menu = await tap(bot, menu, "set:band")
    assert menu.visible_text.startswith("In-line band\n") and "band:200" in callback_data(menu)
    menu = await tap(bot, menu, "band:200")
    assert menu.visible_text.startswith("✅ In-line band: ±2%\n\nIn-line band")
    assert "Now: ±2% for revenue, other amounts and EPS" in menu.visible_text
    assert answers(bot)[-1] == "In-line band: ±2%"
    assert chat_row(db, ALICE).in_line_band_bp == 200

    menu = await tap(bot, menu, "set:main")
    assert "In-line band: ±2% for revenue, other amounts and EPS" in menu.visible_text
    menu = await tap(bot, await tap(bot, menu, "set:min"), "min:500")
    assert menu.visible_text.startswith("✅ Minimum surprise: 5%")
    assert chat_row(db, ALICE).min_surprise_bp == 500

    menu = await tap(bot, await tap(bot, menu, "set:main"), "set:tz")
    assert "This chat's time zone: America/New_York" in menu.visible_text
    menu = await tap(bot, menu, "tz:Asia/Tokyo")
    assert menu.visible_text.startswith("✅ Time zone: Asia/Tokyo") and "✅ Tokyo" in str(menu.reply_markup)
    assert chat_row(db, ALICE).timezone == "Asia/Tokyo"

    menu = await tap(bot, await tap(bot, menu, "set:main"), "set:quiet")
    menu = await tap(bot, menu, "quiet:22:00-07:00")
    assert menu.visible_text.startswith("✅ Quiet hours: 22:00 to 07:00")
    assert "Now: 22:00 to 07:00, results still come (Asia/Tokyo time)" in menu.visible_text
    chat = chat_row(db, ALICE)
    assert (chat.quiet_start, chat.quiet_end, chat.quiet_all) == ("22:00", "07:00", False)

    menu = await tap(bot, await tap(bot, menu, "set:main"), "set:kinds")
    menu = await tap(bot, menu, "opt:revisions")
    assert menu.visible_text.startswith("✅ Revisions: on") and chat_row(db, ALICE).revisions
    menu = await tap(bot, menu, "ann:insiders")
    assert menu.visible_text.startswith("✅ Insider trades (Form 4): on")
    menu = await tap(bot, await tap(bot, menu, "set:main"), "set:remind")
    menu = await tap(bot, menu, "opt:preview")
    assert menu.visible_text.startswith("✅ Preview: off") and not chat_row(db, ALICE).preview
    others = [m for m in bot.api.messages_to(ALICE) if not m.visible_text.startswith("Commands")]
    assert len(others) == 2  # /start's reply and the one menu: every page came in its place


async def test_typed_thresholds_are_set_confirmed_and_garbage_names_the_valid_values(bot: RunningBot, db: Engine) -> None:
    await bot.say(ALICE, "/start")
    [reply] = await bot.say(ALICE, "/settings band 1.5%")
    assert reply.startswith("✅ In-line band: ±1.5%") and chat_row(db, ALICE).in_line_band_bp == 150
    [reply] = await bot.say(ALICE, "/settings band huge")
    assert reply.startswith("❓ huge is not an in-line band. Use /settings band VALUE with one of: default, 1%, 2%")
    assert chat_row(db, ALICE).in_line_band_bp == 150
    [reply] = await bot.say(ALICE, "/settings band <b>12%</b>")
    assert "<b>12%</b> is not an in-line band" in reply  # shown as typed, not as markup
    [reply] = await bot.say(ALICE, "/settings band default")
    assert reply.startswith("✅ In-line band: default") and chat_row(db, ALICE).in_line_band_bp is None
    [reply] = await bot.say(ALICE, "/settings min_surprise 2%")
    assert reply.startswith("✅ Minimum surprise: 2%") and chat_row(db, ALICE).min_surprise_bp == 200
    [reply] = await bot.say(ALICE, "/settings min_surprise loud")
    assert "loud is not a minimum surprise" in reply and "off, 1%, 2%, 3%, 5%, 10%" in reply
    [reply] = await bot.say(ALICE, "/settings min_surprise off")
    assert reply.startswith("✅ Minimum surprise: off") and chat_row(db, ALICE).min_surprise_bp == 0
    [reply] = await bot.say(ALICE, "/settings band")
    assert reply.startswith("In-line band\n")
    [reply] = await bot.say(ALICE, "/settings volume 11")
    assert "/settings band VALUE" in reply and "/settings min_surprise VALUE" in reply and "insiders" in reply


async def test_stale_and_garbage_buttons_get_a_short_answer_and_change_nothing(bot: RunningBot, db: Engine) -> None:
    await bot.say(ALICE, "/start")
    await bot.say(ALICE, "/settings band 2%")
    menu = bot.api.messages_to(ALICE)[-1]
    for data in ("band:abc", "set:gone", "tz:Mars/Olympus", "min:99999", "quiet:25:00-26:00", "opt:rockets"):
        before = len(answers(bot))
        shown = await tap(bot, menu, data)
        assert answers(bot)[before:] == ["That option no longer exists."], data
        assert shown.visible_text == menu.visible_text and not shown.edited
    assert chat_row(db, ALICE).in_line_band_bp == 200
    menu = await tap(bot, menu, "band:200")  # the value it already has: the page is what it was
    assert answers(bot)[-1] == "In-line band: ±2%"
