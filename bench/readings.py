"""Per-chat readings benchmark: evaluating one result for N watchers when some set their own in-line
band and minimum surprise (/settings), against the same audience all on the defaults, in one run.

    uv run python -m bench.readings --subscribers 20000 --own-share 0.3

A chat's band makes its verdicts its own text; the cost must grow with the number of distinct bands
(re-evaluated and rendered once each), not with the number of chats that set one. Printed: the
evaluation's seconds on the defaults and with the settings, their ratio, and how many distinct
texts the deliveries carry.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from sqlalchemy import Engine, func, insert
from sqlmodel import Session, SQLModel, col, select

from bot.delivery.publisher import OutboxPublisher
from bot.domain.figures import Basis, Figure, Metric, Unit
from bot.domain.market_time import Timing
from bot.engine.evaluate import evaluate_event
from bot.engine.sync import apply_calendar_rows
from bot.sources.calendar import CalendarRow
from bot.store.db import make_engine
from bot.store.figures import record_reported
from bot.store.tables import Chat, Company, Delivery, EarningsEvent, Watch

NOW = datetime(2025, 2, 26, 14, 0, tzinfo=UTC)
BANDS = (200, 500, 700)  # the bands the chats with settings spread over
MIN_SURPRISE = 500


def seeded(path: Path, subscribers: int, own_share: float) -> Engine:
    db = make_engine(f"sqlite:///{path}")
    SQLModel.metadata.create_all(db)
    with Session(db) as session:
        company = Company(ticker="NVDA", name="NVIDIA CORP", cik=1045810, fiscal_year_end_month=1,
                          currency="USD", updated_at=NOW)
        session.add(company)
        session.flush()
        every = int(1 / own_share) if own_share > 0 else 0
        session.exec(insert(Chat), params=[  # type: ignore[call-overload]
            {"id": i + 1, "chat_id": 10_000_000 + i, "kind": "private", "timezone": "America/New_York",
             "status": "active", "announcement_kinds": "", "created_at": NOW, "updated_at": NOW,
             "in_line_band_bp": BANDS[(i // every) % len(BANDS)] if every and i % every == 0 else None,
             "min_surprise_bp": MIN_SURPRISE if every and i % every == 0 else 0}
            for i in range(subscribers)
        ])
        session.exec(insert(Watch), params=[  # type: ignore[call-overload]
            {"chat_pk": i + 1, "company_id": company.id, "created_at": NOW} for i in range(subscribers)
        ])
        estimates = (Figure(Metric.EPS, Basis.ADJUSTED, Unit.PER_SHARE, "USD", Decimal("0.85")),
                     Figure(Metric.REVENUE, Basis.GAAP, Unit.MONEY, "USD", Decimal(38_100_000_000)))
        apply_calendar_rows(session, [CalendarRow(
            ticker="NVDA", company_name=None, report_date=date(2025, 2, 26), timing=Timing.AMC, period_year=2025,
            period_month=1, fiscal_year=None, fiscal_quarter=None, estimates=estimates, estimate_count=14,
            actuals=(), source="nasdaq")], now=NOW - timedelta(days=2))
        event = session.exec(select(EarningsEvent)).one()
        for figure in (Figure(Metric.EPS, Basis.ADJUSTED, Unit.PER_SHARE, "USD", Decimal("0.89")),
                       Figure(Metric.REVENUE, Basis.GAAP, Unit.MONEY, "USD", Decimal(39_331_000_000))):
            record_reported(session, event, figure, source="sec", reported_at=NOW + timedelta(hours=7))
        session.commit()
    return db


def evaluate_once(db: Engine) -> tuple[float, int, int]:
    """Return the seconds one evaluation took, the distinct texts and the silent deliveries written."""
    with Session(db) as session:
        event = session.exec(select(EarningsEvent)).one()
        started = time.perf_counter()
        evaluation = evaluate_event(session, event, outbox=OutboxPublisher(), now=NOW + timedelta(hours=7))
        session.commit()
        took = time.perf_counter() - started
        assert evaluation.alert is not None
        texts = session.exec(select(func.count(func.distinct(Delivery.text)))).one()
        silent = session.exec(select(func.count()).select_from(Delivery).where(col(Delivery.silent))).one()
    return took, int(texts), int(silent)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--subscribers", type=int, default=20_000)
    parser.add_argument("--own-share", type=float, default=0.3, help="the share of chats with their own settings")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    results: dict[str, list[float]] = {"defaults": [], "own settings": []}
    shown: dict[str, tuple[int, int]] = {}
    with tempfile.TemporaryDirectory() as folder:
        for n in range(args.repeat):
            for name, share in (("defaults", 0.0), ("own settings", args.own_share)):
                db = seeded(Path(folder) / f"{name.replace(' ', '-')}-{n}.sqlite3", args.subscribers, share)
                took, texts, silent = evaluate_once(db)
                db.dispose()
                results[name].append(took)
                shown[name] = (texts, silent)
    base, own = (statistics.median(results[k]) for k in ("defaults", "own settings"))
    print(f"{args.subscribers} watchers, {args.own_share:.0%} with their own band ({len(BANDS)} distinct) "
          f"and a {MIN_SURPRISE / 100:g}% minimum surprise; median of {args.repeat}")
    for name, took in (("defaults", base), ("own settings", own)):
        texts, silent = shown[name]
        print(f"  {name:13} {took * 1000:8.1f} ms   own texts: {texts}   silent deliveries: {silent}")
    print(f"  ratio own settings / defaults: {own / base:.2f}")


if __name__ == "__main__":
    main()
