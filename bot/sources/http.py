"""The shared HTTP client for data providers: timeouts, gzip, a request budget, no secrets in logs.

    limiter = RateLimiter(per_second=5)
    client = make_client(user_agent="Jane Doe jane@example.com")
    response = await get(client, url, limiter=limiter, source="sec")
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from bot.errors import SourceUnavailable
from bot.redaction import redact

logger = logging.getLogger(__name__)

DEFAULT_TIMEOUT = httpx.Timeout(10.0, connect=5.0)
LIMITS = httpx.Limits(max_connections=20, max_keepalive_connections=10)


class SourceCounts:
    """Requests and errors per source, counted on the client's transport: every request of the
    process's data providers passes there, whoever makes it. A source is known by the longest
    URL prefix it was given; an error is a network failure, a 429, a 5xx or a 403 (SEC's block)."""

    def __init__(self, prefixes: Sequence[tuple[str, str]]) -> None:
        self._prefixes = sorted(((url.rstrip("/"), name) for url, name in prefixes), key=lambda p: -len(p[0]))
        self.requests: Counter[str] = Counter()
        self.errors: Counter[str] = Counter()

    def source_of(self, url: str) -> str:
        return next((name for prefix, name in self._prefixes if url.startswith(prefix)), "other")


class _CountingTransport(httpx.AsyncBaseTransport):
    def __init__(self, inner: httpx.AsyncBaseTransport, counts: SourceCounts) -> None:
        self._inner = inner
        self._counts = counts

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        source = self._counts.source_of(str(request.url))
        self._counts.requests[source] += 1
        try:
            response = await self._inner.handle_async_request(request)
        except Exception:  # a cancelled request is no error of the source
            self._counts.errors[source] += 1
            raise
        if response.status_code in (403, 429) or response.status_code >= 500:
            self._counts.errors[source] += 1
        return response

    async def aclose(self) -> None:
        await self._inner.aclose()


def make_client(
    *, user_agent: str | None = None, headers: Mapping[str, str] | None = None,
    timeout: httpx.Timeout = DEFAULT_TIMEOUT, transport: httpx.AsyncBaseTransport | None = None,
    counts: SourceCounts | None = None,
) -> httpx.AsyncClient:
    """Create an AsyncClient with gzip and explicit timeouts; proxies from the environment off;
    requests and errors counted per source in `counts` when given."""
    base_headers = {"Accept-Encoding": "gzip, deflate"}
    if user_agent:
        base_headers["User-Agent"] = user_agent
    base_headers.update(headers or {})
    if counts is not None:
        transport = _CountingTransport(transport or httpx.AsyncHTTPTransport(limits=LIMITS, trust_env=False), counts)
    return httpx.AsyncClient(
        headers=base_headers, timeout=timeout, transport=transport, trust_env=False,
        follow_redirects=True, limits=LIMITS,
    )


class RateLimiter:
    """Spaces requests so that at most `per_second` start in any second (shared by all callers).

    clock and sleep are time.monotonic and asyncio.sleep; tests pass a fake pair."""

    def __init__(
        self, per_second: float, *, clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.interval = 1.0 / per_second
        self._next = 0.0
        self._lock = asyncio.Lock()
        self._clock = clock
        self._sleep = sleep
        self.requests = 0

    async def acquire(self) -> None:
        async with self._lock:
            now = self._clock()
            wait = self._next - now
            if wait > 0:
                await self._sleep(wait)
                now = self._clock()
            self._next = max(now, self._next) + self.interval
            self.requests += 1


async def get(
    client: httpx.AsyncClient, url: str, *, source: str, limiter: RateLimiter | None = None,
    params: Mapping[str, Any] | None = None, headers: Mapping[str, str] | None = None,
) -> httpx.Response:
    """GET url; network errors, 429 and 5xx become SourceUnavailable. Other statuses are returned."""
    if limiter is not None:
        await limiter.acquire()
    try:
        response = await client.get(url, params=params, headers=headers)
    except httpx.HTTPError as exc:
        raise SourceUnavailable(f"{source}: {type(exc).__name__} for {redact(url)}") from exc
    if response.status_code == 429 or response.status_code >= 500:
        retry_after = _retry_after(response)
        raise SourceUnavailable(
            f"{source}: HTTP {response.status_code} for {redact(str(response.url))}",
            retry_after=retry_after,
        )
    return response


MAX_RETRY_AFTER = 3600.0  # a provider's "come back in a year" is an error, not a plan


def retry_after_seconds(response: httpx.Response) -> float | None:
    """Return the answer's Retry-After in seconds (see _retry_after), or None."""
    return _retry_after(response)


def _retry_after(response: httpx.Response) -> float | None:
    """Return the Retry-After seconds (a number or an HTTP date), within [0, MAX_RETRY_AFTER]."""
    value = (response.headers.get("Retry-After") or "").strip()
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            moment = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        seconds = (moment - datetime.now(UTC)).total_seconds()
    if not math.isfinite(seconds):
        return None
    return min(max(seconds, 0.0), MAX_RETRY_AFTER)


def quiet_http_logs() -> None:
    """Keep httpx and httpcore from logging request URLs (they carry the bot token)."""
    for name in ("httpx", "httpcore"):
        logging.getLogger(name).setLevel(logging.WARNING)
