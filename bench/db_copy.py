"""`earnings-bot db copy` benchmark: a SQLite database of a busy deployment into PostgreSQL.

    uv run python -m bench.db_copy                        # 10,000 chats, 200 alerts each to 500 chats
    uv run python -m bench.db_copy --chats 2000 --alerts 50 --fanout 200

The source is a SQLite file with CHATS chats each watching 5 of 100 companies, ALERTS alerts and
FANOUT deliveries per alert (the outbox is what grows over months). The copy goes into a
PostgreSQL database made for the run (PostgreSQL at --admin-url) and prints rows per second and
the time a database of one million rows would take, against the goal (one million rows in at most
5 minutes, so the bot is down for minutes, not hours), and beside the same copy with batches of one
row (the row-by-row peer), measured in the same run on the same source.
"""

from __future__ import annotations

import argparse
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path

from sqlalchemy import Engine, create_engine, text

from bot.domain.market_time import utc_now
from bot.store.copy import copy_database, data_tables
from bot.store.db import make_engine, upgrade

GOAL_SECONDS_PER_MILLION = 300.0


def build_source(path: Path, *, chats: int, alerts: int, fanout: int) -> Engine:
    db = make_engine(f"sqlite:///{path}")
    upgrade(db)
    tables = {t.name: t for t in data_tables()}
    now = utc_now()
    with db.begin() as conn:
        conn.execute(tables["company"].insert(), [
            {"id": i, "ticker": f"T{i:03d}", "name": f"Company {i}", "currency": "USD", "filer_kind": "domestic",
             "updated_at": now} for i in range(1, 101)])
        conn.execute(tables["chat"].insert(), [
            {"id": i, "chat_id": 7_100_000_000 + i, "kind": "private", "timezone": "America/New_York",
             "status": "active", "announcement_kinds": "", "reminders": True, "preview": True,
             "revisions": False, "quiet_all": False, "created_at": now, "updated_at": now}
            for i in range(1, chats + 1)])
        conn.execute(tables["watch"].insert(), [
            {"chat_pk": c, "company_id": (c * 7 + k * 13) % 100 + 1, "created_at": now}
            for c in range(1, chats + 1) for k in range(5)])
        conn.execute(tables["alert"].insert(), [
            {"id": a, "kind": "result", "dedup_key": f"result:{a}", "company_id": a % 100 + 1, "priority": 1,
             "text": f"🟢 <b>T{a % 100 + 1:03d} beat</b>\nEPS $0.89 vs $0.85 est. (+4.7%)", "created_at": now}
            for a in range(1, alerts + 1)])
        for a in range(1, alerts + 1):
            conn.execute(tables["delivery"].insert(), [
                {"alert_id": a, "chat_pk": (a * 31 + j) % chats + 1, "status": "sent", "priority": 1,
                 "attempts": 1, "next_attempt_at": now, "message_id": 1000 + j, "message_parts": 1,
                 "sent_at": now + timedelta(seconds=j / 25)} for j in range(min(fanout, chats))])
    return db


def timed_copy(source: Engine, admin_url: str, batch_rows: int) -> tuple[float, int]:
    name = f"earnings_bench_copy_{uuid.uuid4().hex[:8]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    target = make_engine(admin_url.rsplit("/", 1)[0] + "/" + name)
    try:
        started = time.perf_counter()
        counts = copy_database(source, target, batch_rows=batch_rows)
        seconds = time.perf_counter() - started
    finally:
        target.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
    return seconds, sum(c.copied for c in counts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--chats", type=int, default=10_000)
    parser.add_argument("--alerts", type=int, default=200)
    parser.add_argument("--fanout", type=int, default=500)
    parser.add_argument("--admin-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        source = build_source(Path(folder) / "bot.sqlite3", chats=args.chats, alerts=args.alerts, fanout=args.fanout)
        ours, rows = timed_copy(source, args.admin_url, batch_rows=1000)
        # the row-by-row peer on the same source (a slice of it would not be the same work)
        peer, _ = timed_copy(source, args.admin_url, batch_rows=1)
        source.dispose()
    per_million = ours / rows * 1_000_000
    print(f"rows copied: {rows:,} (chats {args.chats:,}, alerts {args.alerts}, deliveries per alert {args.fanout})")
    print(f"db copy (batches of 1000): {ours:6.2f} s  {rows / ours:9,.0f} rows/s  "
          f"1M rows in {per_million:5.0f} s = {per_million / GOAL_SECONDS_PER_MILLION:.2f} of the 300 s goal")
    print(f"row by row (batches of 1): {peer:6.2f} s  {rows / peer:9,.0f} rows/s  "
          f"ours is {peer / ours:.1f}x faster")


if __name__ == "__main__":
    main()
