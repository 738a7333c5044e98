"""A fresh deployment works from its first minute: the company list loads at start, /watch says so
honestly while it loads, a new watch gets its next report date within seconds even while a long
calendar window read runs, and that long read logs no line per skipped run."""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import timedelta

import pytest
from sqlalchemy import Engine
from telegram.ext import ApplicationBuilder, ContextTypes

from bot.domain.market_time import new_york_date, utc_now
from bot.sandbox.bot_api import FloodLimits, LoopbackBotApi
from bot.sandbox.calendars import FakeCalendars, finnhub_row, nasdaq_row
from bot.sandbox.edgar import LoopbackEdgar
from bot.scheduler import repeating_job
from bot.sources.finnhub import FinnhubCalendar
from bot.sources.http import RateLimiter, make_client
from bot.sources.nasdaq import NasdaqCalendar
from tests.conftest import BOT_API_SPEC
from tests.telegram.bot_harness import TOKEN, running_bot, seed_universe
from tests.telegram.test_alert_flow import eventually

ALICE = 5_200_000_001
BOB = 5_200_000_002
AGENT = "Jane Doe jane@example.com"
FINNHUB_KEY = "finnhub-startup-key"


# -- the JobQueue assumption --------------------------------------------------------------------


async def _first_run_after_start(register: object, *, gap: float) -> float | None:
    """Register a job, start the JobQueue `gap` seconds later (post_init runs before it starts);
    return the seconds from start to the first run, None if it did not run within 2 s."""
    async with LoopbackBotApi(TOKEN, flood=FloodLimits(), spec_path=BOT_API_SPEC) as api:
        application = ApplicationBuilder().token(TOKEN).base_url(api.bot_base_url).build()
        ran = asyncio.Event()

        async def job(_context: ContextTypes.DEFAULT_TYPE) -> None:
            ran.set()

        async with application:
            assert application.job_queue is not None
            register(application.job_queue, job)  # type: ignore[operator]
            if gap:
                await asyncio.sleep(gap)  # the time post_init and the updater take before start()
            started = time.monotonic()
            await application.start()
            try:
                await asyncio.wait_for(ran.wait(), timeout=2)
            except TimeoutError:
                return None
            finally:
                await application.stop()
            return time.monotonic() - started


@pytest.mark.parametrize("gap", [0.0, 1.5])
async def test_a_job_registered_like_the_scheduler_does_runs_within_a_second_of_start(gap: float) -> None:
    def register(queue, job) -> None:  # type: ignore[no-untyped-def]
        repeating_job(queue, job, interval=3600, first=0, name="refresh-now")

    seconds = await _first_run_after_start(register, gap=gap)
    assert seconds is not None and seconds < 1.5


async def test_first_zero_does_not_run_at_once_in_python_telegram_bot() -> None:
    """The trap the scheduler avoids: documented by python-telegram-bot, true of APScheduler 3."""

    def register(queue, job) -> None:  # type: ignore[no-untyped-def]
        queue.run_repeating(job, interval=3600, first=0, name="never-soon")

    assert await _first_run_after_start(register, gap=0.2) is None


# -- the company list ---------------------------------------------------------------------------


async def test_an_empty_database_loads_the_company_list_at_start_and_watch_says_it_is_loading(
    db: Engine, database_url: str,
) -> None:
    async with LoopbackEdgar(refuse_with=503) as edgar, FakeCalendars() as fake:
        edgar.company_tickers = [("NVDA", 1045810, "NVIDIA CORP"), ("MSFT", 789019, "MICROSOFT CORP")]
        started = time.monotonic()
        async with running_bot(db, database_url, with_jobs=True, sec_user_agent=AGENT,
                               sec_www_url=edgar.url, sec_data_url=edgar.url, nasdaq_api_url=fake.url,
                               poll_active_seconds=1, poll_idle_seconds=60) as bot:
            await eventually(lambda: edgar.requests["company_tickers"] >= 1, timeout=5)
            first_request = edgar.request_times[0] if edgar.request_times else None
            assert first_request is not None and first_request - started < 5
            await bot.say(ALICE, "/start")
            [reply] = await bot.say(ALICE, "/watch NVDA")
            assert "The company list is loading, try again in a minute" in reply
            assert "I don't know the ticker" not in reply

            edgar.refuse_with = None  # SEC answers again: the next try (after its backoff) loads it
            await eventually(lambda: edgar.requests["company_tickers"] >= 2, timeout=15)
            replies: list[str] = []

            async def watched() -> bool:
                replies[:] = await bot.say(ALICE, "/watch NVDA")
                return "Watching NVDA" in replies[0]

            deadline = time.monotonic() + 10
            while not await watched():
                assert time.monotonic() < deadline, replies
                await asyncio.sleep(0.2)
            [unknown] = await bot.say(ALICE, "/watch NVDAX")
            assert "I don't know the ticker NVDAX" in unknown


# -- a new watch ---------------------------------------------------------------------------------


async def test_a_new_watch_gets_its_next_report_in_seconds_while_a_window_read_runs(
    db: Engine, database_url: str, caplog: pytest.LogCaptureFixture,
) -> None:
    seed_universe(db)
    today = new_york_date(utc_now())
    nvda_day, msft_day = today + timedelta(days=20), today + timedelta(days=6)
    caplog.set_level(logging.INFO)
    async with FakeCalendars(FINNHUB_KEY) as fake, LoopbackBotApi(TOKEN, flood=FloodLimits(), spec_path=BOT_API_SPEC) as api:
        fake.nasdaq_rows[nvda_day] = [nasdaq_row("NVDA", eps="$0.84", estimates="14", name="NVIDIA Corporation")]
        fake.nasdaq_rows[msft_day] = [nasdaq_row("MSFT", eps="$3.10", estimates="20")]
        fake.finnhub_rows = [finnhub_row("NVDA", nvda_day, eps=0.8512), finnhub_row("MSFT", msft_day, eps=3.1)]
        client = make_client()
        # Nasdaq's real pace: a window read takes 32 requests at one a second.
        sources = [NasdaqCalendar(client, fake.url, limiter=RateLimiter(1.0)),
                   FinnhubCalendar(client, fake.url + "/api/v1", FINNHUB_KEY, limiter=RateLimiter(1.0))]
        async with running_bot(db, database_url, api=api, sources=sources, with_jobs=True,
                               nasdaq_api_url=fake.url, finnhub_api_url=fake.url + "/api/v1",
                               finnhub_api_key=FINNHUB_KEY, poll_active_seconds=0.5,
                               poll_idle_seconds=0.5) as bot:
            await bot.say(BOB, "/start")
            await bot.say(BOB, "/watch MSFT")  # the window read for MSFT starts and takes 30 s or more
            await eventually(lambda: len([p for p in fake.nasdaq_paths() if p == "/api/calendar/earnings"]) >= 3)
            await bot.say(ALICE, "/start")
            watched_at = time.monotonic()
            assert "Watching NVDA" in (await bot.say(ALICE, "/watch NVDA"))[0]
            listing = ""
            while f"{nvda_day:%a %b %d, %Y}" not in listing:
                assert time.monotonic() - watched_at < 10, listing
                [listing] = await bot.say(ALICE, "/watchlist")
                await asyncio.sleep(0.2)
            assert "after the close" in listing
            assert any(p == "/api/analyst/nvda/earnings-date" for p in fake.nasdaq_paths())
            # the window read is still running (it is long), and nothing logged its skipped runs
            assert len([p for p in fake.nasdaq_paths() if p == "/api/calendar/earnings"]) < 31
        await client.aclose()
    skipped = [r for r in caplog.records if "maximum number of running instances" in r.getMessage()]
    assert skipped == []
