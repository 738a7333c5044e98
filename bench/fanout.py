"""Fan-out benchmark: one result alert to N subscribers, through a loopback Bot API enforcing Telegram's limits.

    uv run python -m bench.fanout --subscribers 10000 --time-scale 10      # the 30/s limit, 10x faster
    uv run python -m bench.fanout --subscribers 100000 --paid              # paid broadcast, 1000/s
    uv run python -m bench.fanout --subscribers 100000 --enqueue-only \\
        --database-url postgresql+psycopg://postgres@127.0.0.1:5432/postgres

Every approach runs in its own process (so peak RSS is its own) against a fresh loopback server in
this process, which counts what Telegram would: sends admitted, 429s, messages per chat.

Approaches:
  ours             the outbox and Sender (bot.delivery), aiohttp transport
  ours-httpx       the same Sender on python-telegram-bot's default HTTPXRequest
  sleep-loop       for chat in chats: send; sleep(1/rate); on 429 sleep retry_after and retry
  gather-aiorl     asyncio.gather(every send) through PTB's AIORateLimiter (max_retries=3)

--time-scale k multiplies every limit and every client's rate by k: the same contest, k times
faster; ratios stay comparable, and "the first second" means the first 1/k s.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import resource
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import create_engine, insert, text

APPROACHES = ("ours", "ours-httpx", "sleep-loop", "gather-aiorl")
FIRST_CHAT_ID = 10_000_000
ALERT_TEXT = (
    "🟢 <b>NVDA</b> NVIDIA Corp: <b>double beat</b>\n"
    "Q4 FY2025 (after the close)\n\n"
    "<b>EPS (adj.)</b> $0.89 vs $0.85 consensus (Nasdaq, 14 est.): ✅ beat +4.7%\n"
    "<b>Revenue</b> $39.33B vs $38.05B consensus: ✅ beat +3.4%\n"
    "<b>Data center revenue</b> $35.6B vs your $34.0B: ✅ beat +4.7%\n\n"
    '<a href="https://www.sec.gov/Archives/edgar/data/1045810/">8-K on SEC EDGAR</a> · 21:20 UTC'
)
# Subscribers are spread over these zones: all but New York's read the alert in their own time, so
# three in four deliveries carry their chat's own text (rendered once per zone, not once per chat).
ZONES = ("America/New_York", "Asia/Shanghai", "Europe/London", "UTC")


def zone_text(zone: str) -> str:
    """The alert as a chat in zone reads it (the real renderer differs in the time of the report)."""
    return ALERT_TEXT.replace("21:20 UTC", f"21:20 UTC ({zone})")


@dataclass
class Result:
    approach: str
    subscribers: int
    allowed_rate: float
    achieved_rate: float
    sent_ok: int
    flood_429: int
    flood_429_after_first_second: int
    lost: int
    duplicated: int
    peak_rss_mb: float | None
    enqueue_seconds: float | None
    elapsed_seconds: float
    cpu_seconds: float | None = None  # the approach's process, user + system
    failed: int | None = None  # sends the approach itself gave up on
    cut_off: bool = False  # still running when the time budget ran out: killed

    @property
    def ratio(self) -> float:
        return self.achieved_rate / self.allowed_rate


# -- databases -----------------------------------------------------------------------------------


@contextmanager
def fresh_database(admin_url: str | None) -> Iterator[str]:
    """Yield the URL of a new, migrated database (a temp SQLite file, or a new PostgreSQL database)."""
    from bot.store.db import make_engine, upgrade

    if admin_url and admin_url.startswith("postgresql"):
        name = f"fanout_{uuid.uuid4().hex[:10]}"
        admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        url = admin_url.rsplit("/", 1)[0] + "/" + name
        try:
            db = make_engine(url)
            upgrade(db)
            db.dispose()
            yield url
        finally:
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()
        return
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{folder}/fanout.sqlite3"
        db = make_engine(url)
        upgrade(db)
        db.dispose()
        yield url


def seed_subscribers(url: str, count: int) -> int:
    """Add one company and `count` active private chats watching it; return the company id."""
    from bot.domain.market_time import utc_now
    from bot.store.db import make_engine
    from bot.store.tables import Chat, Company, Watch

    now = utc_now()
    db = make_engine(url)
    with db.begin() as connection:
        company_id = connection.execute(
            insert(Company.__table__).values(ticker="NVDA", name="NVIDIA Corp", currency="USD",
                                             filer_kind="domestic", updated_at=now)
            .returning(Company.__table__.c.id)
        ).scalar_one()
        for start in range(0, count, 20_000):
            chunk = range(start, min(count, start + 20_000))
            connection.execute(insert(Chat.__table__), [
                {"id": i + 1, "chat_id": FIRST_CHAT_ID + i, "kind": "private", "timezone": ZONES[i % len(ZONES)],
                 "status": "active", "announcement_kinds": "", "created_at": now, "updated_at": now}
                for i in chunk
            ])
            connection.execute(insert(Watch.__table__), [
                {"chat_pk": i + 1, "company_id": company_id, "created_at": now} for i in chunk
            ])
        if db.dialect.name == "postgresql":
            connection.execute(text("SELECT setval('chat_id_seq', (SELECT max(id) FROM chat))"))
            connection.execute(text("ANALYZE"))
    db.dispose()
    return company_id


# -- workers (one process each) ------------------------------------------------------------------


def _peak_rss_of(pid: int) -> float | None:
    """Return a running process's peak RSS (Linux: VmHWM in /proc), before it is killed."""
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB


async def run_ours(args: argparse.Namespace, *, httpx_transport: bool) -> dict[str, Any]:
    from telegram import Bot
    from telegram.request import HTTPXRequest

    from bot.delivery.outbox import enqueue_alert
    from bot.delivery.sender import Sender
    from bot.delivery.transport import AiohttpRequest
    from bot.domain.market_time import utc_now
    from bot.store.db import make_engine, session_scope
    from bot.store.tables import AlertKind

    db = make_engine(args.database_url)
    started = time.perf_counter()
    with session_scope(db) as session:
        enqueue_alert(session, kind=AlertKind.RESULT, dedup_key="result:bench", text=ALERT_TEXT,
                      company_id=args.company_id, now=utc_now(), zone_text=zone_text)
    enqueue_seconds = time.perf_counter() - started
    request = (HTTPXRequest(connection_pool_size=256, httpx_kwargs={"trust_env": False})
               if httpx_transport else AiohttpRequest(connection_pool_size=128))
    async with Bot(args.token, base_url=args.base_url, request=request) as bot:
        sender = Sender(db, bot, rate_per_second=args.rate, paid_broadcast=args.paid,
                        chat_interval=1.0 / args.time_scale,
                        group_per_minute=int(20 * args.time_scale), rate_ceiling=args.rate)
        gc.freeze()  # as Sender.run() does when the bot starts
        await sender.drain_once()
    return {"enqueue_seconds": enqueue_seconds}


async def run_sleep_loop(args: argparse.Namespace) -> dict[str, Any]:
    from telegram import Bot
    from telegram.error import RetryAfter, TelegramError
    from telegram.request import HTTPXRequest

    paid = True if args.paid else None
    failed = 0
    request = HTTPXRequest(httpx_kwargs={"trust_env": False})
    async with Bot(args.token, base_url=args.base_url, request=request) as bot:
        for chat_id in range(FIRST_CHAT_ID, FIRST_CHAT_ID + args.subscribers):
            for _attempt in range(3):
                try:
                    await bot.send_message(chat_id, ALERT_TEXT, parse_mode="HTML", allow_paid_broadcast=paid)
                    break
                except RetryAfter as exc:
                    await asyncio.sleep(_seconds(exc.retry_after))
                except TelegramError:
                    failed += 1
                    break
            await asyncio.sleep(1.0 / args.rate)
    return {"failed": failed}


async def run_gather_aiorl(args: argparse.Namespace) -> dict[str, Any]:
    from telegram.ext import AIORateLimiter, ExtBot
    from telegram.request import HTTPXRequest

    paid = True if args.paid else None
    limiter = AIORateLimiter(overall_max_rate=args.rate, overall_time_period=1,
                             group_max_rate=20 * args.time_scale, group_time_period=60, max_retries=3)
    request = HTTPXRequest(httpx_kwargs={"trust_env": False})
    async with ExtBot(args.token, base_url=args.base_url, request=request, rate_limiter=limiter) as bot:
        outcomes = await asyncio.gather(
            *(bot.send_message(chat_id, ALERT_TEXT, parse_mode="HTML", allow_paid_broadcast=paid)
              for chat_id in range(FIRST_CHAT_ID, FIRST_CHAT_ID + args.subscribers)),
            return_exceptions=True,
        )
    return {"failed": sum(1 for outcome in outcomes if isinstance(outcome, BaseException))}


def _seconds(value: Any) -> float:
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


def worker_main(args: argparse.Namespace) -> None:
    runners = {
        "ours": lambda: run_ours(args, httpx_transport=False),
        "ours-httpx": lambda: run_ours(args, httpx_transport=True),
        "sleep-loop": lambda: run_sleep_loop(args),
        "gather-aiorl": lambda: run_gather_aiorl(args),
    }
    started = time.perf_counter()
    extra = asyncio.run(runners[args.worker]())
    usage = resource.getrusage(resource.RUSAGE_SELF)
    report = {"elapsed": time.perf_counter() - started, "peak_rss_mb": peak_rss_mb(),
              "cpu_seconds": usage.ru_utime + usage.ru_stime, **extra}
    print(json.dumps(report), flush=True)


# -- the orchestrator ----------------------------------------------------------------------------


async def run_approach(args: argparse.Namespace, approach: str, database_url: str | None,
                       company_id: int | None) -> Result:
    from bench import BOT_API_SPEC
    from bot.sandbox.bot_api import FloodLimits, LoopbackBotApi

    scale = args.time_scale
    limits = FloodLimits(per_second=30 * scale, per_chat_per_second=1 * scale,
                         per_group_per_minute=20 * scale, paid_per_second=1000 * scale, retry_after=1)
    allowed = (1000 if args.paid else 30) * scale
    async with LoopbackBotApi(flood=limits, spec_path=BOT_API_SPEC) as api:
        command = [
            sys.executable, "-m", "bench.fanout", "--worker", approach, "--subscribers", str(args.subscribers),
            "--base-url", api.bot_base_url, "--token", api.token, "--rate", str(allowed),
            "--time-scale", str(scale), "--database-url", database_url or "",
            "--company-id", str(company_id or 0),
        ] + (["--paid"] if args.paid else [])
        env = {**os.environ, "PTB_TIMEDELTA": "true"}
        process = await asyncio.create_subprocess_exec(*command, stdout=asyncio.subprocess.PIPE, env=env)
        budget = args.budget_seconds or args.subscribers / allowed * 3 + 60
        try:
            stdout, _ = await asyncio.wait_for(process.communicate(), timeout=budget)
        except TimeoutError:
            peak = _peak_rss_of(process.pid)
            process.kill()
            stdout, _ = await process.communicate()
            stdout += json.dumps({"elapsed": budget, "peak_rss_mb": peak, "cut_off": True}).encode()
        lines = stdout.decode().strip().splitlines()
        report = json.loads(lines[-1])
        return measure(api, approach, args, allowed, report)


def measure(api: Any, approach: str, args: argparse.Namespace, allowed: float,
            report: dict[str, Any]) -> Result:
    sends = [call for call in api.calls if call.method == "sendMessage"]
    ok = [call.time for call in sends if call.status == 200]
    refused = [call.time for call in sends if call.status == 429]
    first = min((call.time for call in sends), default=0.0)
    span = (max(ok) - min(ok)) if len(ok) > 1 else float("inf")
    counts = [len(texts) for texts in api.texts_by_chat().values()]
    reached = sum(1 for count in counts if count > 0)
    return Result(
        approach=approach,
        subscribers=args.subscribers,
        allowed_rate=allowed,
        achieved_rate=(len(ok) - 1) / span if len(ok) > 1 else 0.0,
        sent_ok=len(ok),
        flood_429=len(refused),
        flood_429_after_first_second=sum(1 for t in refused if t > first + 1.0 / args.time_scale),
        lost=args.subscribers - reached,
        duplicated=sum(count - 1 for count in counts if count > 1),
        peak_rss_mb=report["peak_rss_mb"],
        enqueue_seconds=report.get("enqueue_seconds"),
        elapsed_seconds=report["elapsed"],
        cpu_seconds=report.get("cpu_seconds"),
        failed=report.get("failed"),
        cut_off=report.get("cut_off", False),
    )


def print_table(results: list[Result], args: argparse.Namespace) -> None:
    mode = "paid broadcast" if args.paid else "free"
    print(f"\nfan-out: {args.subscribers} subscribers, {mode}, time scale x{args.time_scale:g}")
    header = (f"{'approach':<14}{'rate/allowed':>20}{'429s':>7}{'429s>1s':>9}{'lost':>8}{'dup':>6}"
              f"{'peak RSS':>10}{'CPU/msg':>9}{'enqueue':>9}{'elapsed':>10}")
    print(header)
    print("-" * len(header))
    for r in results:
        enqueue = f"{r.enqueue_seconds:.2f}s" if r.enqueue_seconds is not None else "-"
        rss = f"{r.peak_rss_mb:.0f}MB" if r.peak_rss_mb is not None else "?"
        rate = f"{r.achieved_rate:.1f}/{r.allowed_rate:g} = {r.ratio:.3f}"
        elapsed = f"{r.elapsed_seconds:.1f}s" + ("!" if r.cut_off else "")
        cpu = f"{r.cpu_seconds / r.sent_ok * 1000:.2f}ms" if r.cpu_seconds and r.sent_ok else "-"
        print(f"{r.approach:<14}{rate:>20}{r.flood_429:>7}{r.flood_429_after_first_second:>9}{r.lost:>8}"
              f"{r.duplicated:>6}{rss:>10}{cpu:>9}{enqueue:>9}{elapsed:>10}")
    if any(r.cut_off for r in results):
        print("! still running when the time budget ran out (--budget-seconds): killed, the rest counted lost")


def enqueue_only(args: argparse.Namespace) -> None:
    from bot.delivery.outbox import enqueue_alert
    from bot.domain.market_time import utc_now
    from bot.store.db import make_engine, session_scope
    from bot.store.stats import count_deliveries
    from bot.store.tables import AlertKind

    with fresh_database(args.database_url) as url:
        company_id = seed_subscribers(url, args.subscribers)
        db = make_engine(url)
        started = time.perf_counter()
        with session_scope(db) as session:
            created = enqueue_alert(session, kind=AlertKind.RESULT, dedup_key="result:bench",
                                    text=ALERT_TEXT, company_id=company_id, now=utc_now(),
                                    zone_text=zone_text)
        seconds = time.perf_counter() - started
        with session_scope(db) as session:
            addressed = count_deliveries(session, created.id)  # type: ignore[union-attr]
        db.dispose()
    print(f"{db.dialect.name}: enqueued {addressed} deliveries in {seconds:.2f}s")


async def orchestrate(args: argparse.Namespace) -> None:
    # The loopback server stands in for Telegram: keep its own garbage-collector pauses (over 100k
    # recorded calls) out of the figures. The approaches' processes keep their defaults.
    gc.disable()
    results = []
    for approach in args.approaches:
        if approach.startswith("ours"):
            with fresh_database(args.database_url) as url:
                company_id = seed_subscribers(url, args.subscribers)
                results.append(await run_approach(args, approach, url, company_id))
        else:
            results.append(await run_approach(args, approach, None, None))
        gc.collect()
        print(f"  {approach}: done in {results[-1].elapsed_seconds:.1f}s", file=sys.stderr, flush=True)
    print_table(results, args)
    if args.json:
        print(json.dumps([asdict(r) | {"ratio": r.ratio} for r in results]))


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--subscribers", type=int, default=10_000)
    parser.add_argument("--paid", action="store_true", help="paid broadcast: allow_paid_broadcast, 1000/s")
    parser.add_argument("--time-scale", type=float, default=1.0)
    parser.add_argument("--database-url", default="",
                        help="empty: a temp SQLite file; a PostgreSQL URL: a temp database on that server")
    parser.add_argument("--approaches", type=lambda s: s.split(","), default=list(APPROACHES))
    parser.add_argument("--enqueue-only", action="store_true", help="time the enqueue on the database only")
    parser.add_argument("--json", action="store_true", help="also print the results as JSON")
    parser.add_argument("--budget-seconds", type=float, default=0.0,
                        help="kill an approach after this long (default: 3x its ideal time + 60 s)")
    # worker-side arguments (set by the orchestrator)
    parser.add_argument("--worker", choices=APPROACHES, help=argparse.SUPPRESS)
    parser.add_argument("--base-url", help=argparse.SUPPRESS)
    parser.add_argument("--token", help=argparse.SUPPRESS)
    parser.add_argument("--rate", type=float, help=argparse.SUPPRESS)
    parser.add_argument("--company-id", type=int, help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    if args.worker:
        worker_main(args)
    elif args.enqueue_only:
        enqueue_only(args)
    else:
        asyncio.run(orchestrate(args))


if __name__ == "__main__":
    main()
