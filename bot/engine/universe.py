"""The company universe: SEC's ticker list, cached in the database and refreshed daily."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Protocol

import httpx
from sqlmodel import Session

from bot.engine.ports import Transactions
from bot.errors import SourceError
from bot.sources.http import RateLimiter
from bot.sources.sec_tickers import TickerEntry, fetch_company_tickers
from bot.store.companies import company_tickers_due, upsert_companies
from bot.store.source_state import record_source_error, record_source_success

logger = logging.getLogger(__name__)
SOURCE_KEY = "sec_tickers"


class SecAccess(Protocol):
    """Where SEC is and who we say we are (bot.settings.Settings has both)."""

    @property
    def sec_www_url(self) -> str: ...

    @property
    def sec_user_agent(self) -> str | None: ...


async def refresh_universe(
    transactions: Transactions, client: httpx.AsyncClient, settings: SecAccess, clock: Callable[[], datetime],
    *, limiter: RateLimiter, force: bool = False,
) -> int | None:
    """Download company_tickers.json when a day has passed; return how many companies were stored.

    limiter is the process's SEC limiter (sec_rate_limiter), shared with the EDGAR client."""
    if not settings.sec_user_agent:
        logger.warning("SEC_USER_AGENT is not set: the company list can't be refreshed from SEC")
        return None
    if not force and not await transactions.run(company_tickers_due, clock()):
        return None
    try:
        entries = await fetch_company_tickers(client, settings.sec_www_url, settings.sec_user_agent, limiter)
    except SourceError as exc:
        logger.warning("company list refresh failed: %s", exc)
        await transactions.run(record_source_error, SOURCE_KEY, clock(), error=exc)
        return None
    count = await transactions.run(_store, entries, clock())
    logger.info("company list refreshed: %d companies", count)
    return count


def _store(session: Session, entries: list[TickerEntry], now: datetime) -> int:
    """Store the list and its success in one transaction (thousands of rows: never on the event loop)."""
    count = upsert_companies(session, entries, now)
    record_source_success(session, SOURCE_KEY, now)
    return count
