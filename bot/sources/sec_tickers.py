"""SEC's ticker list: every listed company's ticker, CIK and name, from company_tickers.json.

    entries = await fetch_company_tickers(client, "https://www.sec.gov", user_agent, limiter)

The file is a JSON object of numbered rows, {"0": {"cik_str": 789019, "ticker": "MSFT",
"title": "MICROSOFT CORP"}, ...}, ordered roughly by market value. Share classes are written with a
dash (BRK-B) and several tickers may share one CIK (GOOG and GOOGL): each becomes its own entry.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from bot.domain.tickers import is_valid_ticker, normalize_ticker
from bot.errors import SourceDataInvalid, SourceUnavailable
from bot.sources.http import RateLimiter, get

logger = logging.getLogger(__name__)

SOURCE = "sec"
# SEC blocks an over-eager or undeclared client for about ten minutes, and longer if it goes on.
BLOCKED_RETRY_AFTER = 900.0


@dataclass(frozen=True, slots=True)
class TickerEntry:
    """One row of SEC's ticker list: normalised ticker, CIK, company name."""

    ticker: str
    cik: int
    name: str


async def fetch_company_tickers(
    client: httpx.AsyncClient, www_url: str, user_agent: str, limiter: RateLimiter | None
) -> list[TickerEntry]:
    """Download SEC's company_tickers.json and return its entries, in the file's order."""
    url = www_url.rstrip("/") + "/files/company_tickers.json"
    response = await get(
        client, url, source=SOURCE, limiter=limiter,
        headers={"User-Agent": user_agent, "Accept": "application/json"},
    )
    if response.status_code == 403:
        raise SourceUnavailable(
            "sec: HTTP 403 for company_tickers.json (blocked: declare a User-Agent with a "
            "contact e-mail and keep under 10 requests a second)",
            retry_after=BLOCKED_RETRY_AFTER,
        )
    if response.status_code != 200:
        raise SourceUnavailable(f"sec: HTTP {response.status_code} for company_tickers.json")
    try:
        payload = response.json()
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise SourceDataInvalid("sec: company_tickers.json is not JSON") from exc
    entries = parse_company_tickers(payload)
    logger.info("sec: %d tickers in company_tickers.json", len(entries))
    return entries


def parse_company_tickers(payload: Any) -> list[TickerEntry]:
    """Return the entries of company_tickers.json; bad rows are skipped, a repeated ticker kept once."""
    if not isinstance(payload, dict):
        raise SourceDataInvalid("sec: company_tickers.json is not a JSON object")
    entries: list[TickerEntry] = []
    seen: set[str] = set()
    for key, raw in payload.items():
        try:
            entry = parse_entry(raw)
        except (ValueError, TypeError, KeyError) as exc:
            logger.warning("sec: skipping company_tickers row %s: %s", key, exc)
            continue
        if entry.ticker in seen:
            logger.debug("sec: ticker %s listed twice; keeping the first", entry.ticker)
            continue
        seen.add(entry.ticker)
        entries.append(entry)
    if payload and not entries:
        raise SourceDataInvalid("sec: company_tickers.json has no readable rows")
    return entries


def parse_entry(raw: Mapping[str, Any]) -> TickerEntry:
    """Read one {cik_str, ticker, title} row; raise ValueError when it is not one."""
    if not isinstance(raw, Mapping):
        raise TypeError("row is not an object")
    cik = raw["cik_str"]
    if isinstance(cik, bool):
        raise ValueError(f"invalid CIK {cik!r}")
    cik = int(cik)
    if cik <= 0:
        raise ValueError(f"invalid CIK {cik!r}")
    ticker = normalize_ticker(str(raw["ticker"]))
    if not is_valid_ticker(ticker):
        raise ValueError(f"invalid ticker {raw['ticker']!r}")
    name = str(raw.get("title") or "").strip()
    if not name:
        raise ValueError(f"no company name for {ticker}")
    return TickerEntry(ticker=ticker, cik=cik, name=name)
