"""Detection benchmark: how long from a filing's publication on EDGAR to the first Telegram message.

    uv run python -m bench.detect                       # 50 filings over 10 minutes, real time
    uv run python -m bench.detect --time-scale 10       # the same contest ten times faster
    uv run python -m bench.detect --contest race --time-scale 10   # wire, IR feed and 8-K (bench/race.py)

The whole bot runs (build_application: scheduler jobs, EDGAR detector, outbox, sender) against a
loopback EDGAR and a loopback Telegram Bot API. 50 watched companies are due to report today; each
publishes one 8-K Item 2.02 with a press release at a random moment of the window. Two bots run
side by side in the same process, each with its own database, EDGAR and Telegram:

  ours         POLL_ACTIVE_SECONDS=15 while a watched report is due (the defaults)
  fixed-60s    the common peer approach: poll the feed every 60 seconds

It prints publication-to-first-message latency (median, p95, max), EDGAR requests per minute and
per second against SEC's 10 requests/s budget. --time-scale k divides every interval and the window
by k and multiplies the measured latencies and divides the request rates back, so the figures are
in real-time units.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import random
import statistics
import tempfile
import time
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from pydantic import SecretStr
from sqlmodel import select
from telegram import Update

from bench import BOT_API_SPEC
from bot.app import build_application
from bot.domain.figures import Basis, Figure, Metric, Unit
from bot.domain.market_time import new_york_date, utc_now
from bot.engine.subscriptions import register_chat, watch
from bot.sandbox.bot_api import FloodLimits, LoopbackBotApi
from bot.sandbox.edgar import LoopbackEdgar, PublishedFiling
from bot.settings import Settings
from bot.sources.sec_tickers import TickerEntry
from bot.store.companies import upsert_companies
from bot.store.db import make_engine, session_scope, upgrade
from bot.store.figures import record_expectation
from bot.store.source_state import record_source_success
from bot.store.tables import Company, EarningsEvent

TOKEN = "123456:BENCH-TOKEN"
AGENT = "Earnings bot benchmark bench@example.com"
FIRST_CIK = 3_000_001
FIRST_CHAT = 8_000_000_001
RELEASE = """<html><body>
<p><b>{name} Reports Fourth Quarter Results</b></p>
<p>SANTA CLARA, Calif. -- {name} today reported revenue for the fourth quarter ended January 26, 2025,
of $1,234 million, up 10% from a year ago.</p>
<p>GAAP earnings per diluted share for the quarter were $0.57.</p>
</body></html>"""


@dataclass
class Contender:
    name: str
    poll_seconds: float
    edgar: LoopbackEdgar
    api: LoopbackBotApi
    latencies: list[float] = field(default_factory=list)


@dataclass
class Publication:
    index: int
    at: float  # seconds after the start


def companies(count: int) -> list[TickerEntry]:
    return [TickerEntry(f"Q{i:03d}", FIRST_CIK + i, f"Quarterly Co {i:03d}") for i in range(count)]


def prepare_database(url: str, entries: list[TickerEntry], *, consensus_revenue: Decimal | None = None) -> None:
    db = make_engine(url)
    upgrade(db)
    now = utc_now()
    today = new_york_date(now)
    with session_scope(db) as session:
        upsert_companies(session, entries, now)
        record_source_success(session, "sec_tickers", now)  # the ticker list is fresh: no download
        for i, entry in enumerate(entries):
            company = session.exec(select(Company).where(Company.ticker == entry.ticker)).one()
            event = EarningsEvent(company_id=company.id, fiscal_period="2025-01", period_label="Q4 FY2025",
                                  report_date=today, timing="amc")
            session.add(event)
            if consensus_revenue is not None:  # a bar to judge against: RELEASE's $1,234 million beats it
                session.flush()
                record_expectation(session, event, Figure(Metric.REVENUE, Basis.GAAP, Unit.MONEY, "USD",
                                                          consensus_revenue), source="finnhub", as_of=now)
            register_chat(session, FIRST_CHAT + i, now=now)
            watch(session, FIRST_CHAT + i, [entry.ticker], now=now)
    db.dispose()


async def run_bot(contender: Contender, url: str, stop: asyncio.Event, **extra: object) -> None:
    settings = Settings(
        telegram_bot_token=SecretStr(TOKEN), telegram_api_url=contender.api.base_url, database_url=url,
        sec_user_agent=AGENT, sec_www_url=contender.edgar.url, sec_data_url=contender.edgar.url,
        newswire_feeds=extra.pop("newswire_feeds", ()), ir_feeds_file=extra.pop("ir_feeds_file", "none"),
        _env_file=None,  # type: ignore[call-arg]
    ).model_copy(update={  # scaled time: intervals below the bounds a deployment may set, past validation
        "poll_active_seconds": contender.poll_seconds,
        "poll_idle_seconds": max(contender.poll_seconds, 60 / SCALE.k),
    })
    application, _services = build_application(settings, sources=[], with_jobs=True)
    async with application:
        assert application.updater is not None
        await application.updater.start_polling(allowed_updates=Update.ALL_TYPES, timeout=1)
        await application.start()
        assert application.post_init is not None and application.post_shutdown is not None
        await application.post_init(application)
        await stop.wait()
        await application.updater.stop()
        await application.stop()
        await application.post_shutdown(application)


class _Scale:
    k = 1.0


SCALE = _Scale()


def publish(contenders: list[Contender], entry: TickerEntry, index: int) -> float:
    filing = PublishedFiling(
        cik=entry.cik, company=entry.name.upper(), form="8-K",
        accession=f"{entry.cik:010d}-25-{index:06d}", accepted_at=utc_now(), items=("2.02", "9.01"),
        documents=(("EX-99.1", "pr.htm", RELEASE.format(name=entry.name)),),
    )
    for contender in contenders:
        contender.edgar.publish(filing)
    return time.monotonic()


async def measure(contender: Contender, chat_id: int, published: float, deadline: float) -> None:
    while time.monotonic() < deadline:
        messages = contender.api.messages_to(chat_id)
        if messages:
            contender.latencies.append(messages[0].sent_at - published)
            return
        await asyncio.sleep(0.02)


async def main_async(count: int, window: float, seed: int) -> list[tuple[Contender, float]]:
    entries = companies(count)
    rng = random.Random(seed)
    plan = sorted((Publication(i, rng.uniform(0, window)) for i in range(count)), key=lambda p: p.at)
    with tempfile.TemporaryDirectory() as folder:
        contenders = []
        for name, seconds in (("ours", 15 / SCALE.k), ("fixed-60s", 60 / SCALE.k)):
            edgar = await LoopbackEdgar().__aenter__()
            api = LoopbackBotApi(TOKEN, flood=FloodLimits(), spec_path=BOT_API_SPEC)
            await api.start()
            contenders.append(Contender(name, seconds, edgar, api))
        stop = asyncio.Event()
        bots = []
        for contender in contenders:
            url = f"sqlite:///{Path(folder) / contender.name}.sqlite3"
            prepare_database(url, entries)
            bots.append(asyncio.create_task(run_bot(contender, url, stop)))
        await asyncio.sleep(2)  # let both bots start polling
        for contender in contenders:
            contender.edgar.requests.clear()
            contender.edgar.request_times.clear()
        start = time.monotonic()
        waits = []
        for publication in plan:
            delay = start + publication.at - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            published = publish(contenders, entries[publication.index], publication.index)
            deadline = published + 3 * 60 / SCALE.k
            waits += [asyncio.create_task(measure(c, FIRST_CHAT + publication.index, published, deadline))
                      for c in contenders]
        await asyncio.gather(*waits)
        elapsed = time.monotonic() - start
        stop.set()
        await asyncio.gather(*bots)
        for contender in contenders:
            await contender.api.stop()
            await contender.edgar.__aexit__(None, None, None)
        return [(c, elapsed) for c in contenders]


def report(results: list[tuple[Contender, float]], count: int) -> None:
    k = SCALE.k
    print(f"{count} filings at random moments; time scale {k:g} (figures below in real-time units)")
    print(f"{'approach':<11} {'poll':>6} {'median':>8} {'p95':>8} {'max':>8} {'missed':>6} "
          f"{'req/min':>8} {'req/s':>6} {'of 10/s':>8}")
    for contender, elapsed in results:
        lat = sorted(x * k for x in contender.latencies)
        p95 = lat[min(len(lat) - 1, int(round(0.95 * (len(lat) - 1))))] if lat else float("nan")
        requests = sum(contender.edgar.requests.values())
        per_second = requests / (elapsed * k)
        print(f"{contender.name:<11} {contender.poll_seconds * k:>5.0f}s {statistics.median(lat) if lat else float('nan'):>7.1f}s "
              f"{p95:>7.1f}s {max(lat) if lat else float('nan'):>7.1f}s {count - len(lat):>6} "
              f"{per_second * 60:>8.1f} {per_second:>6.2f} {per_second / 10:>8.3f}")
    ours, peer = results[0][0], results[1][0]
    if ours.latencies and peer.latencies:
        ratio = statistics.median(peer.latencies) / statistics.median(ours.latencies)
        print(f"median latency: ours is {ratio:.1f}x faster than a fixed 60-second poll")
    print("goal: median under 10 s at under 1 request per second")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--filings", type=int, default=50)
    parser.add_argument("--window", type=float, default=600, help="seconds over which filings appear (real time)")
    parser.add_argument("--time-scale", type=float, default=1.0)
    parser.add_argument("--seed", type=int, default=2025)
    parser.add_argument("--contest", choices=("edgar", "race"), default="edgar",
                        help="edgar: ours against a fixed 60-second poll; race: wire, IR feed and 8-K, "
                             "ours with feeds against an EDGAR-only bot")
    parser.add_argument("--poll-seconds", type=float, default=15,
                        help="race contest: POLL_ACTIVE_SECONDS of both bots (real time)")
    args = parser.parse_args()
    SCALE.k = args.time_scale
    logging.basicConfig(level=logging.ERROR)
    logging.getLogger("httpx").setLevel(logging.WARNING)
    if args.contest == "race":
        from bench import detect  # run as __main__, this module is imported again by bench.race
        from bench.race import race_async, race_report

        detect.SCALE.k = SCALE.k
        race_report(asyncio.run(race_async(args.filings, args.window / SCALE.k, args.seed, args.poll_seconds)),
                    args.filings)
        return
    results = asyncio.run(main_async(args.filings, args.window / SCALE.k, args.seed))
    report(results, args.filings)


if __name__ == "__main__":
    main()
