"""Command benchmark: 1,000 chats send a realistic mix of commands to the loopback Bot API while an
alert broadcast runs; how fast and how reliably are they answered?

    uv run python -m bench.commands                                   # SQLite, 60 s at 200 commands/s
    uv run python -m bench.commands --seconds 20 --rate 100
    uv run python -m bench.commands --database-url postgresql+psycopg://postgres@127.0.0.1:5432/postgres

Setups, each on a fresh database and a fresh loopback server, in this process:
  ours         chats handled side by side (each chat's updates in order), replies paced per chat
               (bot.telegram.flood), the limit of 20 commands a minute per chat
  ptb-default  python-telegram-bot's default: concurrent_updates off (one update at a time) and its
               AIORateLimiter

The real Application (build_application) runs in a process of its own and polls the loopback
server (in this process) over HTTP; chat k of 1,000
sends every 1000/rate seconds (12 a minute at 200/s, under the per-chat limit), cycling through
/watch TICKER, /watchlist, /upcoming, /settings and garbage (unknown commands, plain text, bad
tickers). Meanwhile /broadcast from an admin chat goes to 2,000 chats through the Sender at
TELEGRAM_RATE_PER_SECOND (30/s, Telegram's free ceiling), so it lasts the whole run.

Latency: from the moment the update is queued at the server to the moment its reply arrives there
(each command gets exactly one reply, matched in order per chat). Errors: commands without a reply
within --drain seconds after the load, replies that are the internal-error message, 429s. The
broadcast's rate is its messages over the time it ran, against the rate it is allowed.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from pydantic import SecretStr
from sqlalchemy import create_engine, insert, text
from telegram import Update

FIRST_CHAT = 20_000_000
ADMIN_CHAT = 19_999_999
TOKEN = "123456:BENCH-TOKEN"
BROADCAST = "📣 Scheduled maintenance tonight"
TICKERS = ("NVDA", "MSFT", "AAPL", "AMZN", "GOOGL", "META", "TSLA", "AVGO", "ORCL", "NFLX")
MIX = ("/watch {t}", "/watchlist", "/upcoming", "/settings", "/watch {t}", "/watchlist", "/frobnicate",
       "hello there", "/watch $$$", "/upcoming 14")
GOALS = {"p99_ms": 500.0, "broadcast_ratio": 0.95}


@dataclass
class Result:
    setup: str
    database: str
    commands: int
    seconds: float
    answered: int
    p50_ms: float
    p99_ms: float
    errors: int
    replies_429: int
    broadcast_rate: float
    broadcast_allowed: float

    @property
    def commands_per_second(self) -> float:
        return self.answered / self.seconds if self.seconds else 0.0

    def line(self) -> str:
        ratio = self.broadcast_rate / self.broadcast_allowed if self.broadcast_allowed else 0.0
        return (f"{self.setup:<12} {self.database:<10} {self.commands_per_second:8.1f} {self.p50_ms:9.0f} "
                f"{self.p99_ms:9.0f} {self.errors:7d} {self.replies_429:5d} {self.broadcast_rate:8.1f}/s "
                f"({ratio:.2f} of {self.broadcast_allowed:.0f}/s)")


@contextlib.contextmanager
def fresh_database(admin_url: str | None) -> Iterator[str]:
    """Yield the URL of a new, migrated database (a temp SQLite file, or a new PostgreSQL database)."""
    from bot.store.db import make_engine, upgrade

    if admin_url and admin_url.startswith("postgresql"):
        name = f"commands_{uuid.uuid4().hex[:10]}"
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
        url = f"sqlite:///{folder}/commands.sqlite3"
        db = make_engine(url)
        upgrade(db)
        db.dispose()
        yield url


def seed(url: str, audience: int) -> None:
    """The companies users watch, and `audience` active chats (the first 1,000 send commands)."""
    from bot.domain.market_time import utc_now
    from bot.sources.sec_tickers import TickerEntry
    from bot.store.companies import upsert_companies
    from bot.store.db import make_engine, session_scope
    from bot.store.tables import Chat

    now = utc_now()
    db = make_engine(url)
    with session_scope(db) as session:
        upsert_companies(session, [TickerEntry(t, 1_000 + i, f"{t} Inc.") for i, t in enumerate(TICKERS)], now)
    rows = [{"chat_id": FIRST_CHAT + i, "kind": "private", "title": None, "timezone": "America/New_York",
             "status": "active", "announcement_kinds": "", "reminders": True, "preview": True, "revisions": False,
             "quiet_all": False, "created_at": now, "updated_at": now} for i in range(audience)]
    with db.begin() as connection:
        connection.execute(insert(Chat), rows)
    db.dispose()


async def run_setup(setup: str, url: str, *, chats: int, rate: float, seconds: float, drain: float,
                    broadcast_rate: float) -> Result:
    """Serve the loopback Bot API here and run the bot in a process of its own, as deployed."""
    from bot.sandbox.bot_api import FloodLimits, LoopbackBotApi

    # Telegram's per-chat limits; no overall one (200 replies a second is beyond a free bot's 30/s:
    # the benchmark measures the bot, and the Sender keeps to its own rate)
    limits = FloodLimits(per_second=None, paid_per_second=None)
    async with LoopbackBotApi(TOKEN, flood=limits) as api:
        bot = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bench.commands", "--serve", setup, "--api-url", api.base_url,
            "--database-url", url, "--broadcast-rate", str(broadcast_rate), stdout=asyncio.subprocess.PIPE)
        try:
            assert bot.stdout is not None
            ready = await asyncio.wait_for(bot.stdout.readline(), timeout=60)
            if ready.strip() != b"ready":
                raise RuntimeError(f"the bot did not start: {ready!r}")
            allowed = min(broadcast_rate, 30.0)  # the Sender's ceiling without paid broadcast
            return await _load(setup, api, allowed, url, chats=chats, rate=rate, seconds=seconds, drain=drain)
        finally:
            if bot.returncode is None:
                bot.send_signal(signal.SIGTERM)
            await bot.wait()


async def serve_bot(setup: str, api_url: str, url: str, broadcast_rate: float) -> None:
    """The bot process: the real Application, polling the loopback server, until SIGTERM."""
    from bot.app import build_application
    from bot.settings import Settings

    settings = Settings(telegram_bot_token=SecretStr(TOKEN), telegram_api_url=api_url, database_url=url,
                        telegram_rate_per_second=broadcast_rate, admin_chat_ids=frozenset({ADMIN_CHAT}),
                        _env_file=None)  # type: ignore[call-arg]
    application, _runtime = build_application(settings, sources=[], with_jobs=False,
                                              ptb_default_replies=setup == "ptb-default",
                                              reply_rate_per_second=1000)
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    async with application:
        assert application.updater is not None and application.post_init and application.post_shutdown
        await application.updater.start_polling(allowed_updates=Update.ALL_TYPES, poll_interval=0.0, timeout=1)
        await application.start()
        await application.post_init(application)
        print("ready", flush=True)
        try:
            await stop.wait()
        finally:
            await application.updater.stop()
            await application.stop()
            await application.post_shutdown(application)


async def _load(setup: str, api: Any, allowed: float, url: str, *, chats: int, rate: float, seconds: float,
                drain: float) -> Result:
    from bot.telegram.replies import INTERNAL_ERROR

    api.user_sends(ADMIN_CHAT, f"/broadcast {BROADCAST}")
    await api.wait_for_messages(ADMIN_CHAT, 1, timeout=30)
    loop = asyncio.get_running_loop()
    sent: dict[int, list[float]] = {}
    started = loop.time()
    count = int(rate * seconds)
    for k in range(count):
        due = started + k / rate
        if (wait := due - loop.time()) > 0:
            await asyncio.sleep(wait)
        chat = FIRST_CHAT + k % chats
        turn = k // chats
        command = MIX[(turn + k) % len(MIX)].format(t=TICKERS[(turn * 7 + k) % len(TICKERS)])
        sent.setdefault(chat, []).append(api.clock())
        api.user_sends(chat, command)
    load_seconds = loop.time() - started

    def replies(chat: int) -> list[Any]:
        return [m for m in api.messages_to(chat) if m.text != BROADCAST]

    deadline = loop.time() + drain
    while loop.time() < deadline and any(len(replies(c)) < len(times) for c, times in sent.items()):
        await asyncio.sleep(0.2)
    latencies, errors = [], 0
    for chat, times in sent.items():
        got = replies(chat)
        errors += max(0, len(times) - len(got))
        for asked, reply in zip(times, got, strict=False):
            latencies.append((reply.sent_at - asked) * 1000)
            errors += reply.visible_text == INTERNAL_ERROR
    broadcast = sorted(m.sent_at for chat in range(FIRST_CHAT, FIRST_CHAT + 2 * chats)
                       for m in api.messages_to(chat) if m.text == BROADCAST)
    # the broadcast's rate while the load ran (it lasts longer than the load)
    in_load = [t for t in broadcast if t <= started + load_seconds]
    span = (in_load[-1] - in_load[0]) if len(in_load) > 1 else 0.0
    quantiles = statistics.quantiles(latencies, n=100) if len(latencies) > 1 else [0.0] * 99
    database = "postgresql" if url.startswith("postgresql") else "sqlite"
    return Result(setup, database, count, load_seconds, len(latencies), quantiles[49], quantiles[98], errors,
                  api.sends_429, (len(in_load) - 1) / span if span else 0.0, allowed)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--chats", type=int, default=1000)
    parser.add_argument("--rate", type=float, default=200.0, help="commands per second, all chats together")
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--drain", type=float, default=30.0, help="how long replies may come after the load")
    parser.add_argument("--broadcast-rate", type=float, default=30.0, help="TELEGRAM_RATE_PER_SECOND")
    parser.add_argument("--database-url", default=None, help="a PostgreSQL server URL (a new database is made)")
    parser.add_argument("--setups", default="ours,ptb-default")
    parser.add_argument("--serve", default=None, help=argparse.SUPPRESS)  # the bot process of one setup
    parser.add_argument("--api-url", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.ERROR)
    if args.serve:
        asyncio.run(serve_bot(args.serve, args.api_url, args.database_url, args.broadcast_rate))
        return 0
    results = []
    for setup in args.setups.split(","):
        with fresh_database(args.database_url) as url:
            seed(url, 2 * args.chats)
            started = time.monotonic()
            result = asyncio.run(run_setup(setup, url, chats=args.chats, rate=args.rate, seconds=args.seconds,
                                           drain=args.drain, broadcast_rate=args.broadcast_rate))
            print(f"# {setup}: done in {time.monotonic() - started:.0f}s", file=sys.stderr)
            results.append(result)
    print(f"{args.chats} chats, {args.rate:.0f} commands/s for {args.seconds:.0f}s, a broadcast to "
          f"{2 * args.chats} chats running; goal p99 < {GOALS['p99_ms']:.0f} ms, 0 errors, broadcast >= "
          f"{GOALS['broadcast_ratio']} of its rate")
    print(f"{'setup':<12} {'database':<10} {'cmd/s':>8} {'p50 ms':>9} {'p99 ms':>9} {'errors':>7} {'429s':>5} "
          f"{'broadcast':>10}")
    for result in results:
        print(result.line())
    ours = next((r for r in results if r.setup == "ours"), None)
    if ours is not None:
        ratio = ours.broadcast_rate / ours.broadcast_allowed if ours.broadcast_allowed else 0.0
        print(f"ours: p99 {ours.p99_ms:.0f} ms = {ours.p99_ms / GOALS['p99_ms']:.2f} of the 500 ms limit; "
              f"errors {ours.errors}; broadcast at {ratio:.2f} of its allowed rate")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
