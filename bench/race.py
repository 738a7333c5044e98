"""The race contest of bench/detect.py: each company's release appears on a loopback newswire at a
random moment, on its loopback IR feed a few seconds later, and its 8-K on loopback EDGAR 60-120 s
after the wire. Two bots run side by side, each with its own database, EDGAR and Telegram:

  ours+feeds   NEWSWIRE_FEEDS and IR feeds on, EDGAR too (the defaults: POLL_ACTIVE_SECONDS=15)
  edgar-only   the same bot with NEWSWIRE_FEEDS=none and IR_FEEDS_FILE=none

    uv run python -m bench.detect --contest race --time-scale 10

It prints, from the first public appearance (the wire) to the first Telegram message: median, p95,
max and missed, and requests per second per source (wire, IR feeds, release pages, EDGAR), in
real-time units (--time-scale k runs k times faster and scales the figures back).
"""

from __future__ import annotations

import asyncio
import random
import statistics
import tempfile
import time
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path

from bench import BOT_API_SPEC
from bench.detect import (
    FIRST_CHAT,
    RELEASE,
    SCALE,
    TOKEN,
    Contender,
    companies,
    prepare_database,
    publish,
    run_bot,
)
from bot.sandbox.bot_api import FloodLimits, LoopbackBotApi
from bot.sandbox.edgar import LoopbackEdgar
from bot.sandbox.feeds import FakeFeeds, Release, globenewswire_rss, q4_rss
from bot.sources.sec_tickers import TickerEntry

WIRE = "/globenewswire/earnings"
FEED_ITEMS = 20  # a wire's feed lists its newest 20 releases


@dataclass
class Appearance:
    index: int
    wire_at: float  # seconds after the start
    ir_after: float  # seconds after the wire
    edgar_after: float


@dataclass
class Racer:
    contender: Contender
    feeds: FakeFeeds | None
    releases: list[Release] = field(default_factory=list)


def plan(count: int, window: float, seed: int) -> list[Appearance]:
    rng = random.Random(seed)
    moments = [Appearance(i, rng.uniform(0, window), rng.uniform(2, 5) / SCALE.k, rng.uniform(60, 120) / SCALE.k)
               for i in range(count)]
    return sorted(moments, key=lambda a: a.wire_at)


def release_of(entry: TickerEntry, page: str, number: int) -> Release:
    return Release(
        title=f"{entry.name} Reports Fourth Quarter Results",
        paragraphs=(f"SANTA CLARA, Calif. (GLOBE NEWSWIRE) -- {entry.name} today reported revenue for the fourth "
                    "quarter ended January 26, 2025, of $1,234 million, up 10% from a year ago.",),
        published=datetime.now(UTC), organization=entry.name, number=number, url=page,
    )


async def start_racers(folder: Path, entries: list[TickerEntry], stop: asyncio.Event) -> tuple[list[Racer], list[asyncio.Task[None]]]:
    racers, bots = [], []
    for name in ("ours+feeds", "edgar-only"):
        edgar = await LoopbackEdgar().__aenter__()
        api = LoopbackBotApi(TOKEN, flood=FloodLimits(), spec_path=BOT_API_SPEC)
        await api.start()
        feeds = await FakeFeeds().__aenter__() if name == "ours+feeds" else None
        racer = Racer(Contender(name, 15 / SCALE.k, edgar, api), feeds)
        url = f"sqlite:///{folder / name}.sqlite3"
        prepare_database(url, entries)
        extra: dict[str, object] = {}
        if feeds is not None:
            feeds.publish(WIRE, globenewswire_rss([]))
            lines = ["[feeds]"]
            for entry in entries:
                lines.append(f'{entry.ticker} = "{feeds.publish("/ir/" + entry.ticker, q4_rss([], company=entry.name))}"')
            ir_file = folder / "ir_feeds.toml"
            ir_file.write_text("\n".join(lines) + "\n", encoding="utf-8")
            extra = {"newswire_feeds": (feeds.url + WIRE,), "ir_feeds_file": str(ir_file)}
        racers.append(racer)
        bots.append(asyncio.create_task(run_bot(racer.contender, url, stop, **extra)))
    return racers, bots


async def appear(racers: list[Racer], entry: TickerEntry, moment: Appearance, start: float) -> float:
    """Publish one company's release on the wire, its IR feed, then EDGAR; return the wire moment."""
    await _until(start + moment.wire_at)
    wired = time.monotonic()
    for racer in racers:
        if racer.feeds is not None:
            page = racer.feeds.publish_page(f"/pages/{entry.ticker}.htm", RELEASE.format(name=entry.name))
            racer.releases.insert(0, release_of(entry, page, 4_000_000 + moment.index))
            racer.feeds.publish(WIRE, globenewswire_rss(racer.releases[:FEED_ITEMS]))
    await _until(wired + moment.ir_after)
    for racer in racers:
        if racer.feeds is not None:
            ir = replace(racer.releases[[r.number for r in racer.releases].index(4_000_000 + moment.index)],
                         published=datetime.now(UTC))
            racer.feeds.publish("/ir/" + entry.ticker, q4_rss([ir], company=entry.name))
    await _until(wired + moment.edgar_after)
    publish([r.contender for r in racers], entry, moment.index)
    return wired


async def _until(moment: float) -> None:
    delay = moment - time.monotonic()
    if delay > 0:
        await asyncio.sleep(delay)


async def first_message(contender: Contender, chat_id: int, since: asyncio.Future[float], deadline: float) -> None:
    wired = await since
    while time.monotonic() < deadline:
        messages = contender.api.messages_to(chat_id)
        if messages:
            contender.latencies.append(messages[0].sent_at - wired)
            return
        await asyncio.sleep(0.02)


async def race_async(count: int, window: float, seed: int) -> list[tuple[Racer, float]]:
    entries = companies(count)
    with tempfile.TemporaryDirectory() as folder:
        stop = asyncio.Event()
        racers, bots = await start_racers(Path(folder), entries, stop)
        await asyncio.sleep(max(2.0, 3 * 15 / SCALE.k))  # both bots polling; each feed's first read stored
        for racer in racers:
            racer.contender.edgar.requests.clear()
            if racer.feeds is not None:
                racer.feeds.requests.clear()
        start = time.monotonic()
        deadline = start + window + 3 * 60 / SCALE.k
        waits = []
        for moment in plan(count, window, seed):
            wired = asyncio.ensure_future(appear(racers, entries[moment.index], moment, start))
            waits.append(wired)
            waits += [asyncio.create_task(first_message(r.contender, FIRST_CHAT + moment.index, wired, deadline))
                      for r in racers]
        await asyncio.gather(*waits)
        elapsed = time.monotonic() - start
        stop.set()
        await asyncio.gather(*bots)
        for racer in racers:
            await racer.contender.api.stop()
            await racer.contender.edgar.__aexit__(None, None, None)
            if racer.feeds is not None:
                await racer.feeds.__aexit__(None, None, None)
        return [(r, elapsed) for r in racers]


def race_report(results: list[tuple[Racer, float]], count: int) -> None:
    k = SCALE.k
    print(f"{count} releases: wire at a random moment, IR feed 2-5 s later, 8-K 60-120 s later; "
          f"time scale {k:g} (real-time units)")
    print(f"{'bot':<11} {'median':>8} {'p95':>8} {'max':>8} {'missed':>6}   requests/s: "
          f"{'wire':>6} {'IR':>6} {'pages':>6} {'EDGAR':>6}")
    for racer, elapsed in results:
        lat = sorted(x * k for x in racer.contender.latencies)
        p95 = lat[min(len(lat) - 1, int(round(0.95 * (len(lat) - 1))))] if lat else float("nan")
        seconds = elapsed * k
        paths = [r.path for r in racer.feeds.requests] if racer.feeds is not None else []
        wire = sum(p == WIRE for p in paths) / seconds
        ir = sum(p.startswith("/ir/") for p in paths) / seconds
        pages = sum(p.startswith("/pages/") for p in paths) / seconds
        edgar = sum(racer.contender.edgar.requests.values()) / seconds
        print(f"{racer.contender.name:<11} {statistics.median(lat) if lat else float('nan'):>7.1f}s {p95:>7.1f}s "
              f"{max(lat) if lat else float('nan'):>7.1f}s {count - len(lat):>6}   {'':11}"
              f"{wire:>6.2f} {ir:>6.2f} {pages:>6.2f} {edgar:>6.2f}")
