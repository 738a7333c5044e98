"""The race contest of bench/detect.py: each company's release appears on a loopback newswire at a
random moment, on its loopback IR feed a few seconds later, and its 8-K on loopback EDGAR 60-120 s
after the wire. Two bots run side by side, each with its own database, EDGAR and Telegram:

  ours+feeds   NEWSWIRE_FEEDS and IR feeds on, EDGAR too
  edgar-only   the same bot with NEWSWIRE_FEEDS=none and IR_FEEDS_FILE=none

Both poll every --poll-seconds (POLL_ACTIVE_SECONDS, 15 unless given) while a report is due.

    uv run python -m bench.detect --contest race --poll-seconds 5
    uv run python -m bench.detect --contest race --time-scale 2     # twice as fast (overheads count double)

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
from decimal import Decimal
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
CONSENSUS = Decimal("1100000000")  # revenue expected; every release says $1,234 million: a beat


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
    outcome: tuple[int, int] = (0, 0)  # false verdicts, chats with a second result message


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


async def start_racers(
    folder: Path, entries: list[TickerEntry], stop: asyncio.Event, poll_seconds: float,
) -> tuple[list[Racer], list[asyncio.Task[None]]]:
    racers, bots = [], []
    for name in ("ours+feeds", "edgar-only"):
        edgar = await LoopbackEdgar().__aenter__()
        api = LoopbackBotApi(TOKEN, flood=FloodLimits(), spec_path=BOT_API_SPEC)
        await api.start()
        feeds = await FakeFeeds().__aenter__() if name == "ours+feeds" else None
        racer = Racer(Contender(name, poll_seconds / SCALE.k, edgar, api), feeds)
        url = f"sqlite:///{folder / name}.sqlite3"
        prepare_database(url, entries, consensus_revenue=CONSENSUS)
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


async def race_async(count: int, window: float, seed: int, poll_seconds: float = 15) -> list[tuple[Racer, float]]:
    entries = companies(count)
    with tempfile.TemporaryDirectory() as folder:
        stop = asyncio.Event()
        racers, bots = await start_racers(Path(folder), entries, stop, poll_seconds)
        await asyncio.sleep(max(2.0, 3 * poll_seconds / SCALE.k))  # both bots polling; each feed's first read stored
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
        await asyncio.sleep(3 * poll_seconds / SCALE.k)  # the last edits land
        stop.set()
        await asyncio.gather(*bots)
        for racer in racers:
            await racer.contender.api.stop()
            await racer.contender.edgar.__aexit__(None, None, None)
            if racer.feeds is not None:
                await racer.feeds.__aexit__(None, None, None)
        for racer in racers:
            racer.outcome = verdicts(racer, entries)
        return [(r, elapsed) for r in racers]


def verdicts(racer: Racer, entries: list[TickerEntry]) -> tuple[int, int]:
    """Return (false verdicts, chats with more than one result message) on the users' screens:
    every release beats the consensus, so a final text that is not a beat is false."""
    false = doubled = 0
    for index, entry in enumerate(entries):
        texts = [m.visible_text for m in racer.contender.api.messages_to(FIRST_CHAT + index)]
        results = [t for t in texts if any(f"{entry.ticker} {word}" in t for word in ("beat", "miss", "reported"))]
        false += bool(results) and not all(f"{entry.ticker} beat" in t for t in results)
        doubled += len(results) > 1
    return false, doubled


def race_report(results: list[tuple[Racer, float]], count: int) -> None:
    k = SCALE.k
    poll = results[0][0].contender.poll_seconds * k
    print(f"{count} releases: wire at a random moment, IR feed 2-5 s later, 8-K 60-120 s later; "
          f"POLL_ACTIVE_SECONDS={poll:g}; time scale {k:g} (real-time units)")
    print(f"{'bot':<11} {'median':>8} {'p95':>8} {'max':>8} {'missed':>6}   requests/s: "
          f"{'wire':>6} {'IR':>6} {'pages':>6} {'EDGAR':>6} {'total':>6}   {'false':>5} {'2nd msg':>7}")
    summary = []
    for racer, elapsed in results:
        lat = sorted(x * k for x in racer.contender.latencies)
        p95 = lat[min(len(lat) - 1, int(round(0.95 * (len(lat) - 1))))] if lat else float("nan")
        median = statistics.median(lat) if lat else float("nan")
        seconds = elapsed * k
        paths = [r.path for r in racer.feeds.requests] if racer.feeds is not None else []
        wire = sum(p == WIRE for p in paths) / seconds
        ir = sum(p.startswith("/ir/") for p in paths) / seconds
        pages = sum(p.startswith("/pages/") for p in paths) / seconds
        edgar = sum(racer.contender.edgar.requests.values()) / seconds
        total = wire + ir + pages + edgar
        false, doubled = racer.outcome
        summary.append((median, p95, count - len(lat), total, false))
        print(f"{racer.contender.name:<11} {median:>7.1f}s {p95:>7.1f}s "
              f"{max(lat) if lat else float('nan'):>7.1f}s {count - len(lat):>6}   {'':11}"
              f"{wire:>6.2f} {ir:>6.2f} {pages:>6.2f} {edgar:>6.2f} {total:>6.2f}   {false:>5} {doubled:>7}")
    (median, p95, missed, total, false), edgar_median = summary[0][:5], summary[1][0]
    if median and median == median:
        print(f"median latency: with feeds {edgar_median / median:.1f}x faster than EDGAR only")
    met = median <= 5 and p95 <= 10 and missed == 0 and false == 0 and total < 1
    print(f"goal: median <= 5 s ({median / 5:.2f} of it), p95 <= 10 s ({p95 / 10:.2f}), 0 missed ({missed}), "
          f"0 false verdicts ({false}), under 1 request/s in total ({total:.2f}): {'met' if met else 'NOT met'}")
