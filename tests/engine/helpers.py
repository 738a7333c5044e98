"""Builders for engine tests: companies, chats and calendar rows in the shapes sources produce."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal

from sqlmodel import Session

from bot.delivery.publisher import OutboxPublisher
from bot.domain.figures import Basis, Figure, Metric, Unit
from bot.domain.market_time import Timing
from bot.engine.subscriptions import register_chat, watch
from bot.sources.calendar import CalendarRow
from bot.store.tables import Company

NOW = datetime(2025, 2, 26, 14, 0, tzinfo=UTC)


@dataclass
class Clock:
    """A clock the test moves by hand."""

    now: datetime

    def __call__(self) -> datetime:
        return self.now


OUTBOX = OutboxPublisher()  # alerts rendered and queued as the running bot does


def add_company(session: Session, ticker: str = "NVDA", name: str = "NVIDIA CORP", cik: int = 1045810,
                fiscal_year_end_month: int | None = 1, currency: str = "USD") -> Company:
    company = Company(ticker=ticker, name=name, cik=cik, fiscal_year_end_month=fiscal_year_end_month,
                      currency=currency, updated_at=NOW)
    session.add(company)
    session.flush()
    return company


def watching_chat(session: Session, chat_id: int, *tickers: str) -> None:
    register_chat(session, chat_id, now=NOW)
    result = watch(session, chat_id, list(tickers), now=NOW)
    assert result.added == list(tickers)


def eps(value: str, basis: Basis = Basis.ADJUSTED) -> Figure:
    return Figure(Metric.EPS, basis, Unit.PER_SHARE, "USD", Decimal(value))


def revenue(value: str) -> Figure:
    return Figure(Metric.REVENUE, Basis.GAAP, Unit.MONEY, "USD", Decimal(value))


def calendar_row(ticker: str = "NVDA", *, day: date = date(2025, 2, 26), source: str = "nasdaq",
                 estimates: tuple[Figure, ...] = (), actuals: tuple[Figure, ...] = (),
                 period: tuple[int, int] | None = (2025, 1), fiscal: tuple[int, int] | None = None,
                 timing: Timing = Timing.AMC, count: int | None = 14) -> CalendarRow:
    return CalendarRow(
        ticker=ticker, company_name=None, report_date=day, timing=timing,
        period_year=period[0] if period else None, period_month=period[1] if period else None,
        fiscal_year=fiscal[0] if fiscal else None, fiscal_quarter=fiscal[1] if fiscal else None,
        estimates=estimates, estimate_count=count, actuals=actuals, source=source,
    )
