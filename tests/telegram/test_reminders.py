"""Reminders, the weekly preview and quiet hours as the user sees them: the real python-telegram-bot
client over HTTP to the loopback Bot API; and the JobQueue's minute alignment the reminders rely on."""

from __future__ import annotations

import asyncio
import math
import time
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Engine
from sqlmodel import col, select
from telegram.ext import ApplicationBuilder, ContextTypes

from bot.app import queue_reminders
from bot.delivery.publisher import OutboxPublisher
from bot.domain.market_time import Timing
from bot.engine.sync import apply_calendar_rows
from bot.sandbox.bot_api import FloodLimits, LoopbackBotApi
from bot.scheduler import aligned_job, next_boundary
from bot.store.db import session_scope
from bot.store.tables import Alert, AlertKind, Chat
from tests.conftest import BOT_API_SPEC
from tests.engine.helpers import Clock, calendar_row, eps, revenue
from tests.telegram.bot_harness import TOKEN, RunningBot, running_bot, seed_universe
from tests.telegram.test_alert_flow import eventually

ALICE = 5_400_000_001
NEW_YORK = ZoneInfo("America/New_York")
OUTBOX = OutboxPublisher()


def chat_row(db: Engine, chat_id: int) -> Chat:
    with session_scope(db) as session:
        chat = session.exec(select(Chat).where(Chat.chat_id == chat_id)).one()
        session.expunge(chat)
        return chat


async def wait_edited(bot: RunningBot, chat_id: int) -> str:
    await eventually(lambda: bot.api.messages_to(chat_id)[-1].edited, timeout=5)
    return bot.api.messages_to(chat_id)[-1].visible_text


# -- /quiet and /settings -------------------------------------------------------------------------


async def test_quiet_hours_are_shown_set_refused_when_malformed_and_ended(db: Engine, database_url: str) -> None:
    async with running_bot(db, database_url) as bot:
        [shown] = await bot.say(ALICE, "/quiet")
        assert shown.startswith("🔔 Quiet hours are off") and "/quiet 22:00-07:00" in shown
        [reply] = await bot.say(ALICE, "/quiet 22:00-07:00")
        assert reply.startswith("🌙 Quiet hours set: 22:00 to 07:00 (America/New_York time); only results")
        [reply] = await bot.say(ALICE, "/quiet 25:00-07:00")
        assert reply.startswith("Use /quiet 22:00-07:00")
        [reply] = await bot.say(ALICE, "/quiet <b>soon</b>")
        assert reply.startswith("Use /quiet 22:00-07:00")
        chat = chat_row(db, ALICE)
        assert (chat.quiet_start, chat.quiet_end, chat.quiet_all) == ("22:00", "07:00", False)
        [reply] = await bot.say(ALICE, "/quiet 23:30-6:00 all")
        assert "23:30 to 06:00" in reply and "everything waits, results too" in reply
        [shown] = await bot.say(ALICE, "/quiet")
        assert shown.startswith("🌙 Quiet hours: 23:30 to 06:00")
        [reply] = await bot.say(ALICE, "/quiet off")
        assert reply == "🔔 Quiet hours are off: alerts come at any hour."
        chat = chat_row(db, ALICE)
        assert (chat.quiet_start, chat.quiet_end, chat.quiet_all) == (None, None, False)


async def test_reminders_and_the_preview_switch_off_by_word_and_on_by_button(db: Engine, database_url: str) -> None:
    async with running_bot(db, database_url) as bot:
        [reply] = await bot.say(ALICE, "/settings")
        assert "Reminders: on; weekly preview: on" in reply
        [reply] = await bot.say(ALICE, "/settings reminders off")
        assert reply.startswith("✅ Reminders: off")
        assert "✅ Weekly preview: Sunday 18:00, the week's reports" in reply
        assert "▫️ Reminders" in reply and "✅ Weekly preview" in reply
        [reply] = await bot.say(ALICE, "/settings preview off")
        assert "▫️ Weekly preview" in reply
        chat = chat_row(db, ALICE)
        assert (chat.reminders, chat.preview) == (False, False)
        menu = bot.api.messages_to(ALICE)[-1]
        assert menu.reply_markup is not None
        buttons = [row[0]["callback_data"] for row in menu.reply_markup["inline_keyboard"]]
        assert buttons[:2] == ["opt:reminders", "opt:preview"]
        bot.api.user_clicks(ALICE, menu.message_id, "opt:reminders")
        assert "✅ Reminders" in await wait_edited(bot, ALICE)
        assert (chat_row(db, ALICE).reminders, chat_row(db, ALICE).preview) == (True, False)
        [reply] = await bot.say(ALICE, "/settings reminders maybe")
        assert "reminders, preview, revisions, all" in reply and chat_row(db, ALICE).reminders


# -- end to end: a reminder and the preview arrive ---------------------------------------------


async def test_a_sunday_evening_brings_the_reminders_and_the_preview_in_one_message(
    db: Engine, database_url: str,
) -> None:
    seed_universe(db)
    sunday = datetime(2026, 3, 8, 18, 0, 1, tzinfo=NEW_YORK)
    clock = Clock(sunday - timedelta(days=3))
    async with running_bot(db, database_url, clock=clock) as bot:
        await bot.say(ALICE, "/start")
        await bot.say(ALICE, "/watch NVDA MSFT AAPL")
        with session_scope(db) as session:
            nvda = {"day": date(2026, 3, 9), "period": (2026, 1), "fiscal": (2026, 4)}
            rows = [calendar_row("NVDA", **nvda, estimates=(eps("0.84"),), count=18),  # type: ignore[arg-type]
                    calendar_row("NVDA", **nvda, source="finnhub",  # type: ignore[arg-type]
                                 estimates=(revenue("38100000000"),), count=None),
                    calendar_row("MSFT", day=date(2026, 3, 9), timing=Timing.BMO, period=(2026, 3)),
                    calendar_row("AAPL", day=date(2026, 3, 12), period=(2026, 3), count=None)]
            apply_calendar_rows(session, rows, now=clock.now, precedence=("nasdaq", "finnhub"))
        before = len(bot.api.messages_to(ALICE))
        clock.now = sunday
        await queue_reminders(bot.runtime)  # what the minute job runs
        await bot.api.wait_for_messages(ALICE, before + 1, timeout=10)
        clock.now = sunday + timedelta(minutes=1)
        await queue_reminders(bot.runtime)  # the next minute: nothing twice
        with session_scope(db) as session:
            kinds = session.exec(select(Alert.kind).order_by(col(Alert.id))).all()
            assert kinds == [AlertKind.REMINDER, AlertKind.REMINDER, AlertKind.DIGEST]
        await bot.say(ALICE, "/help")
    messages = [m.visible_text for m in bot.api.messages_to(ALICE)[before:]]
    [message, help_reply] = messages
    assert help_reply.startswith("Commands")
    parts = message.split("\n\n")
    assert parts[0].startswith("⏰ Tomorrow: MSFT")
    assert parts[1] == ("⏰ Tomorrow: NVDA Q4 FY2026, Mon Mar 09 after the close. "
                        "Consensus EPS $0.84 (Nasdaq, 18 est.) · revenue $38.10B (Finnhub).")
    assert parts[2] == "🗓 Your week ahead: Mon Mar 09 to Sun Mar 15"
    assert parts[3].startswith("Mon Mar 09\nMSFT") and "\nNVDA Q4 FY2026, Mon Mar 09 after the close." in parts[3]
    assert parts[4].startswith("Thu Mar 12\nAAPL") and parts[4].endswith("No consensus stored yet.")


# -- the JobQueue keeps a minute job on the wall clock's minutes ---------------------------------


async def test_an_aligned_job_runs_just_after_each_boundary_of_the_wall_clock() -> None:
    """The reminders rely on this: a job registered like the scheduler registers the minute job
    runs `offset` seconds into each period of the wall clock, the first time and every later time
    (APScheduler's interval trigger counts from the first run time given, not from when the
    scheduler started or the last run ended). Here the period is 2 s instead of a minute."""
    period, offset = 2.0, 0.25
    runs: list[float] = []
    async with LoopbackBotApi(TOKEN, flood=FloodLimits(), spec_path=BOT_API_SPEC) as api:
        application = ApplicationBuilder().token(TOKEN).base_url(api.bot_base_url).build()

        async def job(_context: ContextTypes.DEFAULT_TYPE) -> None:
            runs.append(time.time())

        async with application:
            assert application.job_queue is not None
            registered = time.time()
            aligned_job(application.job_queue, job, period=period, name="aligned", offset=offset)
            await asyncio.sleep(0.7)  # post_init and the updater start before the JobQueue does
            started = time.time()
            await application.start()
            try:
                await eventually(lambda: len(runs) >= 3, timeout=10)
            finally:
                await application.stop()
    # The first run: at the first boundary after registration, or at once when the JobQueue
    # started after that boundary (post_init took longer): never a whole period late.
    first_boundary = (math.floor((registered - offset) / period) + 1) * period + offset
    assert 0 <= runs[0] - max(first_boundary, started) < 0.4, (registered, started, runs)
    for ran in runs[1:3]:  # and every later run on the wall clock's boundaries
        assert 0 <= (ran % period) - offset < 0.4, [r % period for r in runs]
    assert round(runs[2] - runs[1], 1) == period


def test_the_next_boundary_is_the_first_second_of_the_next_minute() -> None:
    assert next_boundary(datetime(2026, 3, 8, 22, 0, 0, 500, tzinfo=UTC), 60) == datetime(
        2026, 3, 8, 22, 0, 1, tzinfo=UTC)
    assert next_boundary(datetime(2026, 3, 8, 22, 0, 1, tzinfo=UTC), 60) == datetime(2026, 3, 8, 22, 1, 1, tzinfo=UTC)
    assert next_boundary(datetime(2026, 3, 8, 22, 0, 59, 999_000, tzinfo=UTC), 60) == datetime(
        2026, 3, 8, 22, 1, 1, tzinfo=UTC)
