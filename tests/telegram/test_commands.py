"""Commands as the user sees them: the real python-telegram-bot client over HTTP to the loopback server."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import date, timedelta

import pytest
from sqlalchemy import Engine
from sqlmodel import select

from bot.domain.market_time import market_closed, new_york_date, utc_now
from bot.store.db import session_scope
from bot.store.tables import Chat, ChatStatus, Company, EarningsEvent, Watch
from tests.conftest import SHARED
from tests.telegram.bot_harness import RunningBot, running_bot, seed_universe
from tests.telegram.spec import spec_problems

ALICE = 5_100_000_001  # needs 64 bits
GROUP = -1_001_234_567_890_123


@pytest.fixture
async def bot(db: Engine, database_url: str) -> AsyncIterator[RunningBot]:
    seed_universe(db)
    async with running_bot(db, database_url) as running:
        yield running
    spec = SHARED / "telegram-bot-api" / "api.json"
    if spec.exists():
        assert spec_problems(running.api.calls, spec) == []


def watched(db: Engine, chat_id: int) -> list[str]:
    with session_scope(db) as session:
        return sorted(
            c.ticker for c in session.exec(
                select(Company).join(Watch, Watch.company_id == Company.id).join(Chat, Chat.id == Watch.chat_pk)
                .where(Chat.chat_id == chat_id)
            ).all()
        )


def chat_status(db: Engine, chat_id: int) -> str | None:
    with session_scope(db) as session:
        chat = session.exec(select(Chat).where(Chat.chat_id == chat_id)).first()
        return chat.status if chat else None


async def test_start_registers_the_chat_and_explains(bot: RunningBot, db: Engine) -> None:
    [reply] = await bot.say(ALICE, "/start")
    assert "Earnings alerts" in reply
    assert "/watch NVDA MSFT" in reply
    assert chat_status(db, ALICE) == ChatStatus.ACTIVE
    menu = [c for c in bot.api.calls if c.method == "setMyCommands"]
    assert menu and {"watch", "unwatch", "watchlist", "stop", "help", "start"} <= {
        c["command"] for c in menu[0].params["commands"]
    }


async def test_watch_and_unwatch_change_the_watchlist(bot: RunningBot, db: Engine) -> None:
    await bot.say(ALICE, "/start")
    [reply] = await bot.say(ALICE, "/watch NVDA msft, brk.b")
    assert "Watching NVDA, MSFT, BRK-B" in reply
    assert watched(db, ALICE) == ["BRK-B", "MSFT", "NVDA"]
    [reply] = await bot.say(ALICE, "/watch NVDA")
    assert "Already watching NVDA" in reply
    [reply] = await bot.say(ALICE, "/unwatch BRK/B NVDA AAPL")
    assert "Stopped watching BRK-B, NVDA" in reply
    assert "You weren't watching AAPL" in reply
    assert watched(db, ALICE) == ["MSFT"]


async def test_unknown_ticker_gets_close_matches(bot: RunningBot, db: Engine) -> None:
    [reply] = await bot.say(ALICE, "/watch NVDIA APPL")
    assert "I don't know the ticker NVDIA. Did you mean NVDA" in reply
    assert "I don't know the ticker APPL. Did you mean AAPL" in reply
    assert watched(db, ALICE) == []


async def test_garbage_arguments_get_clear_replies(bot: RunningBot, db: Engine) -> None:
    [reply] = await bot.say(ALICE, "/watch")
    assert "/watch NVDA MSFT BABA" in reply
    [reply] = await bot.say(ALICE, "/watch 123 $$$ <script>")
    assert "Not a ticker: 123, $$$, <script>" in reply
    [reply] = await bot.say(ALICE, "/watch " + "X" * 5000)
    assert "too long" in reply and "2000 characters" in reply
    [reply] = await bot.say(ALICE, "/watch " + "X" * 300)
    assert "Not a ticker" in reply
    [reply] = await bot.say(ALICE, "/watch 🚀 ñandú")
    assert "Not a ticker" in reply
    [reply] = await bot.say(ALICE, "/unwatch")
    assert "/unwatch NVDA" in reply
    [reply] = await bot.say(ALICE, "/frobnicate now")
    assert "/help" in reply
    [reply] = await bot.say(ALICE, "hello there")
    assert "/help" in reply
    assert watched(db, ALICE) == []


async def test_watchlist_shows_next_report_date_and_escapes_names(bot: RunningBot, db: Engine) -> None:
    today = new_york_date(utc_now())
    ahead = 2
    while market_closed(today + timedelta(days=ahead)) is not None:  # a closed day would say so
        ahead += 1
    with session_scope(db) as session:
        nvda = session.exec(select(Company).where(Company.ticker == "NVDA")).one()
        session.add(EarningsEvent(company_id=nvda.id, fiscal_period="2025-01", period_label="Q4 FY2025",
                                  report_date=today + timedelta(days=ahead), timing="amc"))
        session.add(EarningsEvent(company_id=nvda.id, fiscal_period="2024-10", period_label="Q3 FY2025",
                                  report_date=today - timedelta(days=60), timing="amc", state="reported"))
    await bot.say(ALICE, "/watch NVDA T")
    [reply] = await bot.say(ALICE, "/watchlist")
    when = (today + timedelta(days=ahead)).strftime("%a %b %d, %Y")
    assert f"NVDA NVIDIA CORP\n    next report Q4 FY2025: {when}, after the close (estimated)" in reply
    assert "T AT&T <Inc>\n    next report date not known yet" in reply
    sent = bot.api.messages_to(ALICE)[-1].text
    assert "AT&amp;T &lt;Inc&gt;" in sent


async def test_empty_watchlist_says_how_to_start(bot: RunningBot) -> None:
    [reply] = await bot.say(ALICE, "/watchlist")
    assert "Your watchlist is empty" in reply


async def test_watchlist_holds_at_most_200_companies(bot: RunningBot, db: Engine) -> None:
    from bot.sources.sec_tickers import TickerEntry

    seed_universe(db, [TickerEntry(f"T{i:03d}", 900000 + i, f"Test {i}") for i in range(205)])
    for start in range(0, 200, 50):
        await bot.say(ALICE, "/watch " + " ".join(f"T{i:03d}" for i in range(start, start + 50)))
    [reply] = await bot.say(ALICE, "/watch T200 T201")
    assert "Your watchlist is full (200 companies); not added: T200, T201" in reply
    assert len(watched(db, ALICE)) == 200
    before = len(bot.api.messages_to(ALICE))
    bot.api.user_sends(ALICE, "/watchlist")
    parts = await wait_for_quiet_then_help(bot, ALICE, since=before)
    assert len(parts) >= 2
    assert all(len(p.encode("utf-16-le")) // 2 <= 4096 for p in parts)
    listed = "\n".join(parts)
    assert listed.startswith("Your watchlist (200)")
    assert all(f"T{i:03d} Test {i}\n" in listed + "\n" for i in range(200))


async def test_one_company_typed_several_ways_is_one_company(bot: RunningBot, db: Engine) -> None:
    [reply] = await bot.say(ALICE, "/watch brk.b BRK-B brk/b $BRK.B")
    assert reply.startswith("✅ Watching BRK-B")
    assert "Already" not in reply
    [reply] = await bot.say(ALICE, "/unwatch brk.b BRK-B")
    assert reply == "Stopped watching BRK-B"


async def test_unwatch_says_when_it_read_only_the_first_50(bot: RunningBot, db: Engine) -> None:
    await bot.say(ALICE, "/watch NVDA")
    [reply] = await bot.say(ALICE, "/unwatch " + " ".join(f"Q{i}" for i in range(80)))
    assert "Only the first 50 tickers of one command are read." in reply


async def test_watching_while_stopped_says_alerts_are_paused_and_a_blocked_chat_comes_back(
    bot: RunningBot, db: Engine
) -> None:
    await bot.say(ALICE, "/start")
    await bot.say(ALICE, "/stop")
    [reply] = await bot.say(ALICE, "/watch NVDA")
    assert "Watching NVDA" in reply
    assert "Alerts are paused for this chat since /stop; /start turns them back on." in reply
    assert "I'll alert you" not in reply
    assert chat_status(db, ALICE) == ChatStatus.STOPPED

    with session_scope(db) as session:  # the sender found the bot blocked; the user unblocks it
        chat = session.exec(select(Chat).where(Chat.chat_id == ALICE)).one()
        chat.status = ChatStatus.BLOCKED
    [reply] = await bot.say(ALICE, "/watch MSFT")
    assert "I'll alert you when they report" in reply
    assert chat_status(db, ALICE) == ChatStatus.ACTIVE


async def test_stop_silences_the_chat_and_start_brings_it_back(bot: RunningBot, db: Engine) -> None:
    await bot.say(ALICE, "/start")
    await bot.say(ALICE, "/watch NVDA")
    [reply] = await bot.say(ALICE, "/stop")
    assert "Alerts are off" in reply
    assert chat_status(db, ALICE) == ChatStatus.STOPPED
    assert watched(db, ALICE) == ["NVDA"]
    [reply] = await bot.say(ALICE, "/start")
    assert "Welcome back" in reply
    assert chat_status(db, ALICE) == ChatStatus.ACTIVE


async def test_group_chats_work_with_their_64_bit_ids(bot: RunningBot, db: Engine) -> None:
    [reply] = await bot.say(GROUP, "/watch@earnings_demo_bot NVDA", chat_type="supergroup", title="Desk")
    assert "Watching NVDA" in reply
    assert watched(db, GROUP) == ["NVDA"]


async def test_admin_commands_refuse_everyone_else(bot: RunningBot) -> None:
    [reply] = await bot.say(ALICE, "/stats")
    assert "administrators only" in reply
    [reply] = await bot.say(ALICE, "/broadcast hello all")
    assert "administrators only" in reply


async def test_status_says_which_sources_are_off(bot: RunningBot) -> None:
    [reply] = await bot.say(ALICE, "/status")
    assert "SEC EDGAR: off (SEC_USER_AGENT" in reply
    assert "Messages waiting to be sent: 0" in reply


async def test_help_lists_commands(bot: RunningBot) -> None:
    [reply] = await bot.say(ALICE, "/help")
    for command in ("/watch", "/unwatch", "/watchlist", "/stop"):
        assert command in reply
    assert "/broadcast" not in reply


def test_reports_in_the_past_are_not_next(db: Engine) -> None:
    # the watchlist's "next report" ignores reported events even when they are recent
    from bot.engine.subscriptions import next_events

    with session_scope(db) as session:
        company = Company(ticker="ZZZ", name="Z", updated_at=utc_now())
        session.add(company)
        session.flush()
        session.add(EarningsEvent(company_id=company.id, fiscal_period="2025-01", period_label="x",
                                  report_date=date(2025, 2, 26), state="reported"))
        session.flush()
        assert next_events(session, [company], today=date(2025, 2, 26)) == {}


def test_the_next_report_of_any_class_of_the_stock_is_the_issuers(db: Engine) -> None:
    # GOOG and GOOGL are one issuer (one CIK): a report listed under GOOGL is GOOG's next too; a
    # company without a CIK sees only its own; the earliest scheduled report is the next
    from bot.engine.subscriptions import next_events

    now = utc_now()
    with session_scope(db) as session:
        googl = Company(ticker="GOOGL", name="Alphabet Inc.", cik=1652044, updated_at=now)
        goog = Company(ticker="GOOG", name="Alphabet Inc.", cik=1652044, updated_at=now)
        lone = Company(ticker="ZZZ", name="Z", updated_at=now)
        other = Company(ticker="YYY", name="Y", updated_at=now)
        session.add_all([googl, goog, lone, other])
        session.flush()
        later = EarningsEvent(company_id=googl.id, fiscal_period="2025-02", period_label="Q2",
                              report_date=date(2025, 7, 24), state="scheduled")
        sooner = EarningsEvent(company_id=googl.id, fiscal_period="2025-01", period_label="Q1",
                               report_date=date(2025, 4, 24), state="scheduled")
        others = EarningsEvent(company_id=other.id, fiscal_period="2025-01", period_label="Q1",
                               report_date=date(2025, 4, 25), state="scheduled")
        session.add_all([later, sooner, others])
        session.flush()
        found = next_events(session, [goog, lone, googl], today=date(2025, 4, 1))
        assert {company_id: event.period_label for company_id, event in found.items()} == {
            goog.id: "Q1", googl.id: "Q1"}
        assert next_events(session, [lone, other], today=date(2025, 4, 1))[other.id].period_label == "Q1"


async def test_settings_switch_announcement_kinds_by_word_and_by_button(bot: RunningBot, db: Engine) -> None:
    from bot.engine.preferences import announcement_kinds_of

    [reply] = await bot.say(ALICE, "/settings")
    assert "Alert kinds: estimate revisions off, 0 of 6 other SEC filing kinds on" in reply
    [reply] = await bot.say(ALICE, "/settings insiders on")
    assert reply.startswith("✅ Insider trades (Form 4): on")
    assert reply.count("✅ Insider trades (Form 4)") == 2 and "▫️ Officers and directors (8-K 5.02)" in reply
    assert "✅ Report date or time moved (always on)" in reply
    menu = bot.api.messages_to(ALICE)[-1]
    bot.api.user_clicks(ALICE, menu.message_id, "ann:officers")
    for _ in range(100):
        if bot.api.messages_to(ALICE)[-1].edited:
            break
        await asyncio.sleep(0.05)
    edited = bot.api.messages_to(ALICE)[-1]
    assert edited.edited and "✅ Officers and directors (8-K 5.02)" in edited.visible_text
    with session_scope(db) as session:
        assert announcement_kinds_of(session, ALICE) == {"insiders", "officers"}
    [reply] = await bot.say(ALICE, "/settings all off")
    assert "✅ Insider" not in reply
    [reply] = await bot.say(ALICE, "/settings rockets on")
    assert "one of: officers, agreements" in reply


async def wait_for_quiet_then_help(
    bot: RunningBot, chat_id: int, *, since: int | None = None, **kwargs: object
) -> list[str]:
    """Send /help after the updates under test and return what the bot said since message number
    `since` (default: now): it handles updates in order, so every reply arrives before /help's."""
    before = len(bot.api.messages_to(chat_id)) if since is None else since
    bot.api.user_sends(chat_id, "/help", **kwargs)  # type: ignore[arg-type]
    deadline = asyncio.get_running_loop().time() + 10
    while True:
        texts = [m.visible_text for m in bot.api.messages_to(chat_id)[before:]]
        if texts and texts[-1].startswith("Commands"):
            return texts[:-1]
        assert asyncio.get_running_loop().time() < deadline, texts
        await asyncio.sleep(0.02)


async def test_an_edited_command_does_not_run_again(bot: RunningBot, db: Engine) -> None:
    await bot.say(ALICE, "/start")
    await bot.say(ALICE, "/watch NVDA")
    sent = bot.api.messages_to(ALICE)[-1].message_id - 1  # the user's /watch came just before the reply
    bot.api.user_edits(ALICE, sent, "/watch MSFT")
    bot.api.user_edits(ALICE, sent, "hello")
    assert await wait_for_quiet_then_help(bot, ALICE) == []
    assert watched(db, ALICE) == ["NVDA"]


async def test_commands_for_other_bots_and_channel_posts_get_no_answer(bot: RunningBot, db: Engine) -> None:
    await bot.say(GROUP, "/start", chat_type="supergroup", title="Desk")
    bot.api.user_sends(GROUP, "/roll", chat_type="supergroup", title="Desk")
    bot.api.user_sends(GROUP, "/start@some_other_bot", chat_type="supergroup", title="Desk")
    assert await wait_for_quiet_then_help(bot, GROUP, chat_type="supergroup", title="Desk") == []
    [reply] = await bot.say(GROUP, "/rockets@earnings_demo_bot", chat_type="supergroup", title="Desk")
    assert "I don't know that command" in reply

    channel = -1_009_876_543_210_987
    bot.api.channel_posts(channel, "/watch NVDA")
    bot.api.channel_posts(channel, "/rockets")
    await bot.say(ALICE, "/help")
    assert bot.api.messages_to(channel) == []
    assert chat_status(db, channel) is None


async def test_a_sticker_and_an_unknown_button_are_answered(bot: RunningBot) -> None:
    await bot.say(ALICE, "/start")
    bot.api.user_sends_sticker(ALICE)
    replies = await wait_for_quiet_then_help(bot, ALICE)
    assert replies == ["I understand commands, e.g. /watch NVDA. /help lists them all."]
    menu = bot.api.messages_to(ALICE)[0]
    bot.api.user_clicks(ALICE, menu.message_id, "from-an-older-version")
    await wait_for_quiet_then_help(bot, ALICE)
    answers = [c.params for c in bot.api.calls if c.method == "answerCallbackQuery"]
    assert answers and answers[-1].get("text") == "That option no longer exists."


async def test_an_old_settings_menu_tapped_into_the_current_state_is_not_an_error(bot: RunningBot) -> None:
    await bot.say(ALICE, "/start")
    await bot.say(ALICE, "/settings")
    old_menu = bot.api.messages_to(ALICE)[-1]
    await bot.say(ALICE, "/settings insiders on")
    bot.api.user_clicks(ALICE, old_menu.message_id, "ann:insiders")  # turns insiders off again
    replies = await wait_for_quiet_then_help(bot, ALICE)
    assert not any("went wrong" in r for r in replies)
    bot.api.user_clicks(ALICE, old_menu.message_id, "ann:insiders")  # on: the old menu's text again
    replies = await wait_for_quiet_then_help(bot, ALICE)
    assert not any("went wrong" in r for r in replies)
