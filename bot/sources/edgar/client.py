"""The SEC EDGAR client: every request declared (User-Agent with a contact e-mail), gzip, rate-limited.

    sec_limiter = sec_rate_limiter(settings.sec_rate_per_second)  # one per process, for every SEC request
    edgar = EdgarClient(http, settings.sec_www_url, settings.sec_data_url, settings.sec_user_agent, sec_limiter)
    entries = await edgar.current_filings("8-K")
    index = await edgar.filing_index(entry.cik, entry.accession)

SEC allows 10 requests a second per user and answers an undeclared or over-eager client with HTTP
403 (not 429) and a block of about ten minutes that grows while the traffic goes on; a 403 is
therefore raised as SourceUnavailable with retry_after of at least ten minutes. The budget is per
user, not per client: the EDGAR client, the company list (sec_tickers) and `earnings-bot extract`
share one limiter from sec_rate_limiter, created where the process wires its parts.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from decimal import Decimal
from typing import Any
from urllib.parse import urljoin

import httpx

from bot.errors import SourceDataInvalid, SourceUnavailable
from bot.redaction import redact
from bot.sources.edgar.feed import FeedEntry, is_end_of_feed, parse_feed
from bot.sources.edgar.filing_index import (
    FilingIndex,
    parse_filing_index,
)
from bot.sources.http import RateLimiter

logger = logging.getLogger(__name__)

SOURCE = "sec"
DEFAULT_RATE_PER_SECOND = 5.0
MAX_RATE_PER_SECOND = 10.0
BLOCKED_RETRY_AFTER = 900.0  # SEC blocks for about 10 minutes; wait a little longer than that
SERVER_ERROR_RETRY_AFTER = 60.0
NOT_YET_RETRY_AFTER = 30.0
FEED_PAGE_SIZES = (10, 20, 40, 80, 100)


def sec_rate_limiter(per_second: float = DEFAULT_RATE_PER_SECOND) -> RateLimiter:
    """Return the limiter every SEC request of this process goes through (at most 10 a second)."""
    if per_second > MAX_RATE_PER_SECOND:
        raise ValueError(f"SEC allows at most {MAX_RATE_PER_SECOND:g} requests a second")
    return RateLimiter(per_second)


class EdgarClient:
    """Fetch EDGAR's feed, filing pages, documents and XBRL facts."""

    def __init__(
        self, http: httpx.AsyncClient, www_url: str, data_url: str, user_agent: str,
        limiter: RateLimiter | None = None,
    ) -> None:
        if not user_agent or not user_agent.strip():
            raise ValueError("SEC requires a User-Agent that names you and gives a contact e-mail")
        if "@" not in user_agent:
            logger.warning("sec: the User-Agent has no contact e-mail; SEC may refuse every request")
        limiter = limiter or RateLimiter(DEFAULT_RATE_PER_SECOND)
        if limiter.interval < 1 / MAX_RATE_PER_SECOND - 1e-9:
            raise ValueError(f"SEC allows at most {MAX_RATE_PER_SECOND:g} requests a second")
        self.http = http
        self.last_page_entries = 0  # <entry> elements on the last feed page read, duplicates included
        self.www_url = www_url.rstrip("/")
        self.data_url = data_url.rstrip("/")
        self.user_agent = user_agent.strip()
        self.limiter = limiter

    async def current_filings(self, form: str = "8-K", count: int = 100, start: int = 0) -> list[FeedEntry]:
        """Return one page of the latest-filings feed for a form, newest first ([] past the end)."""
        params = {
            "action": "getcurrent", "type": form, "company": "", "dateb": "", "owner": "include",
            "start": str(start), "count": str(_page_size(count)), "output": "atom",
        }
        response = await self._request(f"{self.www_url}/cgi-bin/browse-edgar", params=params)
        if start > 0 and (response.status_code == 503 or is_end_of_feed(response.content)):
            logger.debug("sec: feed %s ends before entry %d", form, start)
            return []
        self._raise_for_status(response)
        # Entries on the page before co-registrant duplicates are folded: a page of `count` means
        # the feed may go on, whatever is left after folding.
        self.last_page_entries = response.content.count(b"<entry")
        return parse_feed(response.content)

    async def filing_index(self, cik: int, accession: str) -> FilingIndex:
        """Return the parsed -index.html page of a filing."""
        response = await self._request(filing_index_url(self.www_url, cik, accession))
        self._raise_for_status(response, missing_is_transient=True)
        return parse_filing_index(response.content, base_url=self.www_url)

    async def document(self, url: str) -> bytes:
        """Return the bytes of a filing document (absolute URL or a path under www)."""
        response = await self._request(urljoin(self.www_url + "/", url))
        self._raise_for_status(response, missing_is_transient=True)
        return response.content

    async def companyfacts(self, cik: int) -> dict[str, Any] | None:
        """Return a company's XBRL companyfacts JSON (numbers as Decimal), or None when it has none."""
        return await self._json(f"{self.data_url}/api/xbrl/companyfacts/CIK{cik:010d}.json")

    async def _json(self, url: str) -> dict[str, Any] | None:
        response = await self._request(url)
        if response.status_code == 404:
            return None
        self._raise_for_status(response)
        try:
            payload = json.loads(response.content, parse_float=Decimal)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise SourceDataInvalid(f"sec: {redact(url)} is not JSON") from exc
        if not isinstance(payload, dict):
            raise SourceDataInvalid(f"sec: {redact(url)} is not a JSON object")
        return payload

    async def _request(self, url: str, *, params: Mapping[str, str] | None = None) -> httpx.Response:
        await self.limiter.acquire()
        headers = {"User-Agent": self.user_agent, "Accept-Encoding": "gzip, deflate"}
        try:
            response = await self.http.get(url, params=params, headers=headers)
        except httpx.TimeoutException as exc:
            raise SourceUnavailable(f"sec: timed out fetching {redact(url)}", retry_after=NOT_YET_RETRY_AFTER) from exc
        except httpx.HTTPError as exc:
            raise SourceUnavailable(f"sec: {type(exc).__name__} fetching {redact(url)}") from exc
        logger.debug("sec: GET %s -> %d", redact(str(response.url)), response.status_code)
        return response

    def _raise_for_status(self, response: httpx.Response, *, missing_is_transient: bool = False) -> None:
        status = response.status_code
        url = redact(str(response.url))
        if status in (403, 429):
            retry_after = max(BLOCKED_RETRY_AFTER, _retry_after(response) or 0.0)
            raise SourceUnavailable(
                f"sec: HTTP {status} for {url}: SEC refused the request (undeclared User-Agent or over "
                f"the 10 requests/s limit); backs off for at least 10 minutes",
                retry_after=retry_after,
            )
        if status >= 500:
            raise SourceUnavailable(
                f"sec: HTTP {status} for {url}", retry_after=_retry_after(response) or SERVER_ERROR_RETRY_AFTER,
            )
        if status == 404 and missing_is_transient:
            raise SourceUnavailable(f"sec: {url} is not there (yet)", retry_after=NOT_YET_RETRY_AFTER)
        if status != 200:
            raise SourceDataInvalid(f"sec: unexpected HTTP {status} for {url}")


def filing_folder_url(www_url: str, cik: int, accession: str) -> str:
    """Return a filing's folder: {www}/Archives/edgar/data/{cik}/{accession without dashes}."""
    return f"{www_url.rstrip('/')}/Archives/edgar/data/{int(cik)}/{accession.replace('-', '')}"


def filing_index_url(www_url: str, cik: int, accession: str) -> str:
    """Return the URL of a filing's human index page."""
    return f"{filing_folder_url(www_url, cik, accession)}/{accession}-index.html"


def _page_size(count: int) -> int:
    """Return the smallest page size the feed accepts that holds count entries (at most 100)."""
    return next((size for size in FEED_PAGE_SIZES if size >= count), FEED_PAGE_SIZES[-1])


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("Retry-After")
    try:
        return float(value) if value else None
    except ValueError:
        return None
