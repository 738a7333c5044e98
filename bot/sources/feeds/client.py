"""Reads newswire and IR feeds with conditional GET: a feed that has not changed costs a 304.

    reader = FeedReader(make_client(), contact=settings.sec_user_agent)
    read = await reader.fetch("https://www.globenewswire.com/RssFeed/...")
    if not read.not_modified:
        for item in read.items: ...
    reads = await reader.fetch_all(urls)           # url -> FeedRead, or the SourceError it raised

The reader remembers each feed's ETag and Last-Modified and sends them back (If-None-Match,
If-Modified-Since); `validators` exposes them so a caller may keep them across restarts. No wire
publishes a rate limit, so the caller polls only while a watched report is due. Failures raise
SourceUnavailable with a retry_after for the caller's backoff (store/source_state): a 403 is a
block (at least 15 minutes), 429 and 5xx follow Retry-After or wait a minute, a feed that is gone
(404, 410) is tried again hourly. A body that is not a feed raises SourceDataInvalid.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import httpx

from bot.errors import SourceDataInvalid, SourceError, SourceUnavailable
from bot.redaction import redact
from bot.sources.feeds.parse import FeedItem, parse_feed
from bot.sources.http import RateLimiter, get, retry_after_seconds

logger = logging.getLogger(__name__)

SOURCE = "feeds"
BOT_NAME = "earnings-bot/0.1"
BLOCKED_RETRY_AFTER = 900.0  # a 403 is a block: at least 15 minutes
BUSY_RETRY_AFTER = 60.0  # 429 / 5xx without a Retry-After
GONE_RETRY_AFTER = 3600.0  # 404 / 410: the feed moved; an hourly look is enough
MAX_BODY = 5_000_000  # bytes; a feed is tens of kilobytes
_PAGE_ACCEPT = "text/html, application/xhtml+xml;q=0.9, */*;q=0.1"
_ACCEPT = "application/rss+xml, application/atom+xml, application/xml;q=0.9, text/xml;q=0.8, */*;q=0.1"


@dataclass(frozen=True, slots=True)
class Validators:
    """What a feed's last 200 answer said to send back next time."""

    etag: str | None = None
    last_modified: str | None = None

    def headers(self) -> dict[str, str]:
        headers: dict[str, str] = {}
        if self.etag:
            headers["If-None-Match"] = self.etag
        if self.last_modified:
            headers["If-Modified-Since"] = self.last_modified
        return headers


@dataclass(frozen=True, slots=True)
class FeedRead:
    """One read of one feed: its items, or not_modified (a 304) with none."""

    url: str
    items: tuple[FeedItem, ...] = ()
    skipped: int = 0
    not_modified: bool = False


def feed_user_agent(contact: str) -> str:
    """Return the User-Agent: the bot's name and the operator's contact (SEC_USER_AGENT)."""
    contact = " ".join(contact.split())
    if not contact:
        raise ValueError("the feed reader needs a contact (SEC_USER_AGENT) for its User-Agent")
    return f"{BOT_NAME} ({contact})"


class FeedReader:
    """Conditional GETs of RSS and Atom feeds; parse_feed turns each answer into FeedItems."""

    def __init__(
        self, client: httpx.AsyncClient, *, contact: str, limiter: RateLimiter | None = None,
        validators: Mapping[str, Validators] | None = None,
    ) -> None:
        self._client = client
        self._headers = {"User-Agent": feed_user_agent(contact), "Accept": _ACCEPT}
        self._limiter = limiter
        self._validators: dict[str, Validators] = dict(validators or {})

    @property
    def validators(self) -> dict[str, Validators]:
        """Return each feed's validators (a copy), to keep across restarts if wanted."""
        return dict(self._validators)

    async def fetch(self, url: str) -> FeedRead:
        """Read url; a 304 returns not_modified and no items."""
        known = self._validators.get(url, Validators())
        response = await _get(self._client, url, {**self._headers, **known.headers()}, self._limiter)
        if response.status_code == 304:
            logger.debug("feeds: %s not modified", redact(url))
            return FeedRead(url, not_modified=True)
        _raise_for_status(response, url)
        if len(response.content) > MAX_BODY:
            raise SourceDataInvalid(f"feeds: {redact(url)} answered {len(response.content)} bytes, not a feed")
        parsed = parse_feed(response.content, url)
        self._validators[url] = Validators(
            etag=response.headers.get("ETag"), last_modified=response.headers.get("Last-Modified"),
        )
        return FeedRead(url, parsed.items, parsed.skipped)

    async def page(self, url: str) -> bytes:
        """Read a release's page (the link of a feed item) once, with the same identity and failures."""
        response = await _get(self._client, url, {**self._headers, "Accept": _PAGE_ACCEPT}, self._limiter)
        _raise_for_status(response, url)
        if len(response.content) > MAX_BODY:
            raise SourceDataInvalid(f"feeds: {redact(url)} answered {len(response.content)} bytes, not a release")
        return response.content

    async def fetch_all(self, urls: Iterable[str]) -> dict[str, FeedRead | SourceError]:
        """Read every feed at once; a feed that fails gives its error, the others their items."""
        wanted = list(dict.fromkeys(urls))
        answers = await asyncio.gather(*(self._fetch_or_error(url) for url in wanted))
        return dict(zip(wanted, answers, strict=True))

    async def _fetch_or_error(self, url: str) -> FeedRead | SourceError:
        try:
            return await self.fetch(url)
        except SourceError as exc:
            logger.info("feeds: %s", exc)
            return exc


async def _get(
    client: httpx.AsyncClient, url: str, headers: Mapping[str, str], limiter: RateLimiter | None,
) -> httpx.Response:
    try:
        return await get(client, url, source=SOURCE, limiter=limiter, headers=headers)
    except SourceUnavailable as exc:
        if exc.retry_after is not None:
            raise
        raise SourceUnavailable(str(exc), retry_after=BUSY_RETRY_AFTER) from exc


def _raise_for_status(response: httpx.Response, url: str) -> None:
    status = response.status_code
    if status == 200:
        return
    where = redact(url)
    if status in (401, 403):
        retry_after = max(BLOCKED_RETRY_AFTER, retry_after_seconds(response) or 0.0)
        raise SourceUnavailable(f"feeds: HTTP {status} for {where}: refused; backs off", retry_after=retry_after)
    if status in (404, 410):
        raise SourceUnavailable(f"feeds: HTTP {status} for {where}: the feed is gone", retry_after=GONE_RETRY_AFTER)
    raise SourceUnavailable(
        f"feeds: HTTP {status} for {where}", retry_after=retry_after_seconds(response) or BUSY_RETRY_AFTER,
    )
