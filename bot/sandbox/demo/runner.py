"""`earnings-bot demo`: a user subscribes, watches four companies, and the real pipeline replays
their January/February 2025 reports. Prints the conversation as the user sees it."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, date, datetime, timedelta
from typing import TextIO

from sqlalchemy import func
from sqlmodel import col, select

from bot.delivery.publisher import OutboxPublisher
from bot.domain.market_time import NEW_YORK
from bot.engine.evaluate import evaluate_event
from bot.engine.releases import event_for_release
from bot.sandbox.demo.releases import release_html
from bot.sandbox.demo.replay import DemoRelease
from bot.sandbox.demo.sandbox import DemoClock, Sandbox, sandbox
from bot.sandbox.edgar import PublishedFiling
from bot.store.db import session_scope
from bot.store.figures import record_reported
from bot.store.tables import Chat, Company, Delivery, DeliveryStatus

DEMO_CHAT_ID = 7_100_000_001  # 64-bit ids are the norm; this one needs more than 32 bits
DEMO_START = datetime(2025, 1, 27, 14, 0, tzinfo=UTC)  # Monday before Microsoft's report
WATCH = "/watch NVDA BABA MSFT AMZN"


class Transcript:
    """Prints what the user sees, in order."""

    def __init__(self, out: TextIO, clock: DemoClock) -> None:
        self.out = out
        self.clock = clock
        self.shown = 0

    def user(self, text: str) -> None:
        self.out.write(f"\n👤 {text}\n")

    def narrate(self, text: str) -> None:
        self.out.write(f"\n── {text} ──\n")

    def bot_messages(self, box: Sandbox) -> int:
        messages = box.api.messages_to(DEMO_CHAT_ID)
        new = messages[self.shown:]
        for message in new:
            body = message.visible_text.replace("\n", "\n   ")
            self.out.write(f"🤖 {body}\n")
        self.shown = len(messages)
        self.out.flush()
        return len(new)


async def run_demo(out: TextIO) -> int:
    """Run the demo; return 0 when every expected message arrived."""
    started = time.monotonic()
    clock = DemoClock(DEMO_START)
    transcript = Transcript(out, clock)
    out.write("Earnings bot demo: the reports of January and February 2025, replayed through the real\n"
              "pipeline (calendar sync, figures, verdicts, outbox, Telegram Bot API over loopback HTTP).\n")
    async with sandbox(clock) as box:
        await _sync_calendar(box)
        for command in ("/start", WATCH, "/watch NVIDIA", "/watchlist"):
            await _say(box, transcript, command)
        for release in box.data.releases():
            await _replay(box, transcript, clock, release)
        await _say(box, transcript, "/stop")
    elapsed = time.monotonic() - started
    out.write(f"\nDemo finished in {elapsed:.1f} s: {transcript.shown} messages from the bot; "
              f"Telegram's flood control asked it to wait {box.api.sends_429} times and it waited.\n")
    return 0


async def _sync_calendar(box: Sandbox) -> None:
    tickers = [c.ticker for c in box.data.companies]
    today = box.clock().date()
    await box.runtime.poller.poll(today - timedelta(days=3), today + timedelta(days=45), tickers, mode="full")


async def _say(box: Sandbox, transcript: Transcript, text: str) -> None:
    before = len(box.api.messages_to(DEMO_CHAT_ID))
    transcript.user(text)
    box.api.user_sends(DEMO_CHAT_ID, text, first_name="Alex")
    await box.api.wait_for_messages(DEMO_CHAT_ID, before + 1, timeout=10)
    transcript.bot_messages(box)


async def _replay(box: Sandbox, transcript: Transcript, clock: DemoClock, release: DemoRelease) -> None:
    clock.set(release.released_at)
    local = release.released_at.astimezone(NEW_YORK)
    watched = await _is_watched(box, release.ticker)
    transcript.narrate(f"{local:%a %b %d %Y, %H:%M:%S} ET: {release.ticker} reports"
                       + ("" if watched else " (not on your watchlist: no message)"))
    before = len(box.api.messages_to(DEMO_CHAT_ID))
    if release.accession:
        # Published on the loopback EDGAR; the bot's detector finds it in the feed, alerts, reads the
        # press release exhibit and evaluates the figures it extracts.
        box.edgar.publish(_published_filing(box, release))
        assert box.runtime.detector is not None
        outcome = await box.runtime.detector.poll()
        expected = bool(outcome.alerts) and watched
    else:
        with session_scope(box.db) as session:
            company = session.exec(select(Company).where(Company.ticker == release.ticker)).one()
            event = event_for_release(session, company, release.released_at)
            evaluation = None
            if event is not None:
                for figure in release.figures:
                    record_reported(session, event, figure, source="release", reported_at=release.released_at)
                evaluation = evaluate_event(session, event, outbox=OutboxPublisher(), now=clock())
            expected = bool(evaluation and evaluation.alert is not None and watched)
    if expected:
        await _deliver(box, before)
    transcript.bot_messages(box)


async def _deliver(box: Sandbox, before: int) -> None:
    box.runtime.wake_sender()
    await box.api.wait_for_messages(DEMO_CHAT_ID, before + 1, timeout=10)
    await _outbox_drained(box)


async def _outbox_drained(box: Sandbox, timeout: float = 10.0) -> None:
    """Wait until nothing is pending or in flight for the demo chat."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with session_scope(box.db) as session:
            waiting = session.exec(
                select(func.count()).select_from(Delivery).join(Chat, col(Chat.id) == col(Delivery.chat_pk))
                .where(Chat.chat_id == DEMO_CHAT_ID,
                       col(Delivery.status).in_([DeliveryStatus.PENDING, DeliveryStatus.SENDING]))
            ).one()
        if not waiting:
            return
        await asyncio.sleep(0.05)


async def _is_watched(box: Sandbox, ticker: str) -> bool:
    from bot.engine.subscriptions import watchlist

    with session_scope(box.db) as session:
        return any(e.ticker == ticker for e in watchlist(session, DEMO_CHAT_ID, today=date(2025, 1, 1)))


def _published_filing(box: Sandbox, release: DemoRelease) -> PublishedFiling:
    company = next(c for c in box.data.companies if c.ticker == release.ticker)
    event = next(e for e in box.data.events if e["ticker"] == release.ticker)
    filing = event["filing"]
    html = release_html(company.name.title(), filing["quarter_name"], date.fromisoformat(event["period_end"]),
                        release.figures, filing.get("next_quarter"))
    return PublishedFiling(
        cik=company.cik, company=company.name, form=release.form or "8-K", accession=release.accession or "",
        accepted_at=release.released_at, items=release.items,
        documents=(("EX-99.1", f"{release.ticker.lower()}-ex991.htm", html),),
    )
