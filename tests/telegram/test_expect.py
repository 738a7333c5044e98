"""/expect and /expectations as the user sees them (the real client over HTTP to the loopback Bot
API): a chat's own numbers stored, asked about when ambiguous, cleared, listed, refused when wrong,
and shown as "yours" with their verdict in that chat's result alert, never in another's."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from sqlalchemy import Engine
from sqlmodel import col, select

from bot.domain.market_time import new_york_date, utc_now
from bot.engine.sync import apply_calendar_rows
from bot.sandbox.bot_api import FloodLimits, LoopbackBotApi
from bot.sandbox.calendars import FakeCalendars, finnhub_row, nasdaq_row
from bot.sources.finnhub import FinnhubCalendar
from bot.sources.http import RateLimiter, make_client
from bot.sources.nasdaq import NasdaqCalendar
from bot.store.db import session_scope
from bot.store.tables import EarningsEvent, ExpectationRow
from tests.conftest import BOT_API_SPEC, SHARED
from tests.engine.helpers import calendar_row, eps
from tests.telegram.bot_harness import TOKEN, RunningBot, running_bot, seed_universe
from tests.telegram.spec import spec_problems
from tests.telegram.test_alert_flow import FINNHUB_KEY, eventually, provider_settings

ALICE, BOB = 5_100_000_001, 5_100_000_002
GROUP = -1_001_234_567_890_123


@pytest.fixture
async def bot(db: Engine, database_url: str) -> AsyncIterator[RunningBot]:
    seed_universe(db)
    day = new_york_date(utc_now()) + timedelta(days=5)
    with session_scope(db) as session:
        apply_calendar_rows(session, [calendar_row(day=day, fiscal=(2025, 4), estimates=(eps("0.84"),))],
                            now=utc_now())
    async with running_bot(db, database_url) as running:
        yield running
    spec = SHARED / "telegram-bot-api" / "api.json"
    if spec.exists():
        assert spec_problems(running.api.calls, spec) == []


def own_values(db: Engine) -> list[tuple[str, str]]:
    with session_scope(db) as session:
        rows = session.exec(select(ExpectationRow).where(col(ExpectationRow.source).like("chat:%"))
                            .order_by(col(ExpectationRow.id))).all()
        return [(r.metric, str(r.value)) for r in rows]


async def test_expect_confirms_metric_value_unit_and_period(bot: RunningBot, db: Engine) -> None:
    [reply] = await bot.say(ALICE, "/expect NVDA eps 0.90")
    assert "Your number for NVDA Q4 FY2025: adjusted EPS $0.90 (USD per share)" in reply
    assert "/watch NVDA" in reply  # not watched yet: its result would not reach the chat
    [reply] = await bot.say(GROUP, "/expect nvda data_center_revenue 36B")
    assert "Data Center revenue $36B (USD)" in reply
    [reply] = await bot.say(ALICE, "/expect NVDA revenue 40B Q1FY2026")
    assert "Your number for NVDA Q1 FY2026: revenue $40B (USD)" in reply
    assert own_values(db) == [("eps", "0.9"), ("kpi:data_center_revenue", "36000000000"),
                              ("revenue", "40000000000")]


async def test_an_ambiguous_value_is_asked_with_buttons_and_the_tap_stores_it(bot: RunningBot, db: Engine) -> None:
    [question] = await bot.say(ALICE, "/expect NVDA revenue 40")
    assert "40 for NVDA revenue (Q4 FY2025) could mean more than one thing" in question
    assert own_values(db) == []
    sent = bot.api.messages_to(ALICE)[-1]
    buttons = [b for row in sent.reply_markup["inline_keyboard"] for b in row]  # type: ignore[index]
    assert [b["text"] for b in buttons] == ["$40M", "$40B"]
    assert all(len(b["callback_data"].encode()) <= 64 for b in buttons)
    bot.api.user_clicks(ALICE, sent.message_id, buttons[1]["callback_data"])
    await eventually(lambda: bot.api.messages_to(ALICE)[-1].edited)
    assert "revenue $40B (USD)" in bot.api.messages_to(ALICE)[-1].visible_text
    assert own_values(db) == [("revenue", "40000000000")]
    bot.api.user_clicks(ALICE, sent.message_id, "exp:999999:0:money:USD:1")  # an event that is gone
    await eventually(lambda: any(c.method == "answerCallbackQuery" and "Not stored" in str(c.params)
                                 for c in bot.api.calls))
    assert own_values(db) == [("revenue", "40000000000")]


async def test_bad_input_gets_a_clear_reply_and_changes_nothing(bot: RunningBot, db: Engine) -> None:
    [reply] = await bot.say(ALICE, "/expect NVDA eps abc")
    assert "'abc' is not a value" in reply and "/expect NVDA eps 0.90" in reply
    [reply] = await bot.say(ALICE, "/expect NVDA data_centre_revenue 36B")
    assert "NVDA has no metric data_centre_revenue" in reply
    assert "Did you mean data_center_revenue?" in reply
    assert "eps, revenue, data_center_revenue (Data Center revenue)" in reply
    [reply] = await bot.say(ALICE, "/expect NVDX eps 0.90")
    assert "I don't know the ticker NVDX. Did you mean NVDA?" in reply
    [reply] = await bot.say(ALICE, "/expect NVDA <b>x</b> 1")
    assert "NVDA has no metric <b>x</b>" in reply  # shown as typed, not as markup
    [reply] = await bot.say(ALICE, "/expect NVDA eps")
    assert "/expect NVDA eps 0.90" in reply
    [reply] = await bot.say(ALICE, "/expect NVDA eps 0.90 FY2026")
    assert "whole fiscal year" in reply
    assert own_values(db) == []


async def test_clear_and_expectations(bot: RunningBot, db: Engine) -> None:
    [reply] = await bot.say(ALICE, "/expectations")
    assert "no own numbers" in reply
    await bot.say(ALICE, "/expect NVDA eps 0.90")
    await bot.say(ALICE, "/expect NVDA data_center_revenue 36B")
    [listing] = await bot.say(ALICE, "/expectations NVDA")
    assert "NVDA Q4 FY2025 · adjusted EPS: yours $0.90 · consensus $0.84 (Nasdaq)" in listing
    assert "NVDA Q4 FY2025 · Data Center revenue: yours $36B · no consensus stored" in listing
    [reply] = await bot.say(ALICE, "/expect NVDA eps clear")
    assert "Removed your NVDA adjusted EPS number for Q4 FY2025" in reply
    [listing] = await bot.say(ALICE, "/expectations")
    assert "EPS" not in listing and "Data Center revenue: yours $36B" in listing
    [reply] = await bot.say(ALICE, "/expect NVDA eps clear")
    assert "You have no NVDA adjusted EPS number" in reply
    [reply] = await bot.say(ALICE, "/expectations NVDX")
    assert "I don't know the ticker NVDX" in reply
    [help_text] = await bot.say(ALICE, "/help")
    assert "/expect: Your own number" in help_text and "/expectations" in help_text


def own_alerts(api: LoopbackBotApi, chat_id: int) -> list[str]:
    return [m.visible_text for m in api.messages_to(chat_id) if "NVDA beat" in m.visible_text]


async def test_the_result_shows_yours_to_the_chat_that_set_it_only(db: Engine, database_url: str) -> None:
    seed_universe(db)
    today = new_york_date(utc_now())
    async with FakeCalendars(FINNHUB_KEY) as fake, LoopbackBotApi(TOKEN, flood=FloodLimits(), spec_path=BOT_API_SPEC) as api:
        fake.nasdaq_rows[today] = [nasdaq_row("NVDA", eps="$0.84", estimates="14", name="NVIDIA Corporation")]
        fake.finnhub_rows = [finnhub_row("NVDA", today, eps=0.8512, revenue=37720000000)]
        client = make_client()
        fast = RateLimiter(1000)
        sources = [NasdaqCalendar(client, fake.url, limiter=fast),
                   FinnhubCalendar(client, fake.url + "/api/v1", FINNHUB_KEY, limiter=fast)]
        async with running_bot(db, database_url, api=api, sources=sources, with_jobs=True,
                               **provider_settings(fake)) as bot:
            for chat in (ALICE, BOB):
                await bot.say(chat, "/start")
                await bot.say(chat, "/watch NVDA")
            await eventually(lambda: _has_event(db))
            [stored] = await bot.say(ALICE, "/expect NVDA eps 0.90")
            assert "adjusted EPS $0.90" in stored
            [stored] = await bot.say(ALICE, "/expect NVDA revenue 39B")
            assert "revenue $39B" in stored
            fake.finnhub_rows = [finnhub_row("NVDA", today, eps=0.8512, revenue=37720000000,
                                             eps_actual=0.89, revenue_actual=39331000000)]
            await eventually(lambda: len(own_alerts(api, ALICE)) == 1 and len(own_alerts(api, BOB)) == 1)
        await client.aclose()
    [alice] = own_alerts(api, ALICE)
    [bob] = own_alerts(api, BOB)
    assert "EPS $0.89 vs $0.84 est. (+6.0%) ✅ beat" in alice and "EPS $0.89 vs $0.84 est. (+6.0%) ✅ beat" in bob
    assert "EPS $0.89 vs $0.90 yours (-1.1%) ❌ miss" in alice
    assert "Revenue $39.33B vs $39.00B yours (+0.8%) ✅ beat" in alice
    assert "yours" not in bob


def _has_event(db: Engine) -> bool:
    with session_scope(db) as session:
        return session.exec(select(EarningsEvent)).first() is not None
