"""The whole path: a user watches NVDA, the calendar says it reports today, the actuals appear,
and the user gets the beat alert once, also across a restart. Real HTTP everywhere: the
providers are loopback fakes in their real formats, Telegram is the loopback Bot API server."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import timedelta

from sqlalchemy import Engine
from sqlmodel import col, select

from bot.domain.market_time import new_york_date, utc_now
from bot.sandbox.bot_api import FloodLimits, LoopbackBotApi
from bot.sandbox.calendars import FakeCalendars, finnhub_row, nasdaq_row
from bot.sources.finnhub import FinnhubCalendar
from bot.sources.http import RateLimiter, make_client
from bot.sources.nasdaq import NasdaqCalendar
from bot.store.db import session_scope
from bot.store.tables import Chat, ChatStatus, Delivery, DeliveryStatus, EarningsEvent
from tests.conftest import BOT_API_SPEC, SHARED
from tests.telegram.bot_harness import TOKEN, running_bot, seed_universe
from tests.telegram.spec import spec_problems

ALICE = 5_100_000_001
BOB = 5_100_000_002
FINNHUB_KEY = "finnhub-secret-key"


async def eventually(check: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not check():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.05)


def provider_settings(fake: FakeCalendars) -> dict[str, object]:
    return {
        "nasdaq_api_url": fake.url, "finnhub_api_url": fake.url + "/api/v1", "finnhub_api_key": FINNHUB_KEY,
        "poll_active_seconds": 0.2, "poll_idle_seconds": 0.5,
    }


def beat_alerts(api: LoopbackBotApi, chat_id: int) -> list[str]:
    return [m.visible_text for m in api.messages_to(chat_id) if "NVDA beat" in m.visible_text]


async def test_watch_report_alert_once_across_a_restart(db: Engine, database_url: str) -> None:
    seed_universe(db)
    today = new_york_date(utc_now())
    async with FakeCalendars(FINNHUB_KEY) as fake, LoopbackBotApi(TOKEN, flood=FloodLimits(), spec_path=BOT_API_SPEC) as api:
        fake.nasdaq_rows[today] = [nasdaq_row("NVDA", eps="$0.84", estimates="14", name="NVIDIA Corporation")]
        fake.finnhub_rows = [finnhub_row("NVDA", today, eps=0.8512, revenue=37720000000)]
        settings = provider_settings(fake)
        client = make_client()
        fast = RateLimiter(1000)  # the fakes are local; real pacing is covered by the source tests
        sources = [NasdaqCalendar(client, fake.url, limiter=fast),
                   FinnhubCalendar(client, fake.url + "/api/v1", FINNHUB_KEY, limiter=fast)]

        async with running_bot(db, database_url, api=api, sources=sources, with_jobs=True, **settings) as bot:
            await bot.say(ALICE, "/start")
            await bot.say(BOB, "/start")
            assert "Watching NVDA" in (await bot.say(ALICE, "/watch NVDA"))[0]
            await bot.say(BOB, "/watch NVDA")
            await eventually(lambda: _event_scheduled(db))
            [watchlist] = await bot.say(ALICE, "/watchlist")
            assert f"{today:%a %b %d, %Y}, after the close" in watchlist
            api.block(BOB)
            # the company reports: Finnhub fills in the actuals
            fake.finnhub_rows = [finnhub_row("NVDA", today, eps=0.8512, revenue=37720000000,
                                             eps_actual=0.89, revenue_actual=39331000000)]
            await eventually(lambda: len(beat_alerts(api, ALICE)) == 1)
            await eventually(lambda: _chat_status(db, BOB) == ChatStatus.BLOCKED)

        [alert] = beat_alerts(api, ALICE)
        assert alert.startswith("🟢 NVDA beat: Q4 FY2025")
        assert "EPS $0.89 vs $0.84 est. (+6.0%)" in alert
        assert "Revenue $39.33B vs $37.72B est. (+4.3%)" in alert
        assert "Nasdaq (14 est.)" in alert and "Finnhub" in alert
        assert beat_alerts(api, BOB) == []

        # a restart: polls run again over the same data, nothing is sent twice
        sent_before = len(api.messages_to(ALICE))
        asked_before = len(fake.requests)
        async with running_bot(db, database_url, api=api, sources=sources, with_jobs=True, **settings):
            # two more polls have asked the calendar (so the first one's answer is stored) and
            # nothing waits to be sent
            await eventually(lambda: len(fake.requests) >= asked_before + 4)
            await eventually(lambda: not _unsent(db))
        assert len(api.messages_to(ALICE)) == sent_before
        assert len(beat_alerts(api, ALICE)) == 1
        await client.aclose()

    with session_scope(db) as session:
        statuses = sorted(d.status for d in session.exec(select(Delivery)).all())
        assert statuses == [DeliveryStatus.CANCELLED, DeliveryStatus.SENT]
    assert not any(FINNHUB_KEY in str(query) for _, query, _ in fake.requests)
    spec = SHARED / "telegram-bot-api" / "api.json"
    if spec.exists():
        assert spec_problems(api.calls, spec) == []


def _event_scheduled(db: Engine) -> bool:
    with session_scope(db) as session:
        return session.exec(select(EarningsEvent)).first() is not None


def _unsent(db: Engine) -> list[Delivery]:
    """Deliveries still waiting or on the wire."""
    with session_scope(db) as session:
        return list(session.exec(select(Delivery).where(
            col(Delivery.status).in_([DeliveryStatus.PENDING, DeliveryStatus.SENDING]))).all())


def _chat_status(db: Engine, chat_id: int) -> str | None:
    with session_scope(db) as session:
        chat = session.exec(select(Chat).where(Chat.chat_id == chat_id)).first()
        return chat.status if chat else None


def date_alerts(api: LoopbackBotApi, chat_id: int) -> list[str]:
    return [m.visible_text for m in api.messages_to(chat_id) if m.visible_text.startswith("📅")]


async def test_a_moved_report_reaches_the_watcher_once_and_a_disagreeing_vendor_moves_nothing(
    db: Engine, database_url: str
) -> None:
    seed_universe(db)
    today = new_york_date(utc_now())
    first, disputed, moved = today + timedelta(days=7), today + timedelta(days=8), today + timedelta(days=9)
    async with FakeCalendars(FINNHUB_KEY) as fake, LoopbackBotApi(TOKEN, flood=FloodLimits(), spec_path=BOT_API_SPEC) as api:
        fake.nasdaq_rows[first] = [nasdaq_row("NVDA", eps="$0.84", estimates="14")]
        fake.finnhub_rows = [finnhub_row("NVDA", disputed, eps=0.8512)]  # Finnhub says a day later
        client = make_client()
        fast = RateLimiter(1000)
        sources = [NasdaqCalendar(client, fake.url, limiter=fast),
                   FinnhubCalendar(client, fake.url + "/api/v1", FINNHUB_KEY, limiter=fast)]
        settings = provider_settings(fake)

        async with running_bot(db, database_url, api=api, sources=sources, with_jobs=True, **settings) as bot:
            await bot.say(ALICE, "/start")
            await bot.say(ALICE, "/watch NVDA")
            await eventually(lambda: _event_scheduled(db))
            await eventually(lambda: sum(1 for path, _q, _b in fake.requests if "v1" in path) >= 3)
            [watchlist] = await bot.say(ALICE, "/watchlist")
            assert f"{first:%a %b %d, %Y}, after the close" in watchlist
            assert date_alerts(api, ALICE) == []

            fake.nasdaq_rows = {moved: [nasdaq_row("NVDA", eps="$0.84", estimates="14", time="time-pre-market")]}
            await eventually(lambda: len(date_alerts(api, ALICE)) == 1)
            polls = sum(1 for path, _q, _b in fake.requests if "v1" in path)
            await eventually(lambda: sum(1 for path, _q, _b in fake.requests if "v1" in path) >= polls + 3)
        await client.aclose()

    [alert] = date_alerts(api, ALICE)
    assert alert.startswith(f"📅 NVDA Q4 FY2025 report is now expected {moved:%a %b %d, %Y}, before the open")
    assert f"was {first:%a %b %d, %Y}, after the close" in alert
    assert "date from Nasdaq" in alert
