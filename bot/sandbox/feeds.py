"""A loopback fake of newswire and investor-relations feeds, over real HTTP, in their real formats.

    async with FakeFeeds() as fake:
        fake.publish("/gnw", globenewswire_rss([Release("NVIDIA Announces ...", ("SANTA CLARA ...",),
                                                        published, organization="NVIDIA Corporation")]))
        reader.fetch(fake.url + "/gnw")

Each feed answers with an ETag (a hash of its body) and a Last-Modified (when it was published);
a request that brings either back unchanged gets 304 Not Modified with no body. `fail_with`
(every feed) or `fail(path, status)` makes answers fail, with a Retry-After when given.

The formats follow what each service serves: GlobeNewswire RSS 2.0 with Dublin Core (escaped
HTML paragraphs, dc:identifier, dc:contributor naming the issuer, minute-precision GMT dates);
PR Newswire RSS 2.0 (plain-text lead, -0500 offsets); Business Wire RSS 2.0 (numeric guid, UTC
dates); a Q4-style IR site's /rss/pressrelease.aspx (CDATA HTML); and Atom (an IR newsroom).
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime
from xml.sax.saxutils import escape
from zoneinfo import ZoneInfo

from aiohttp import web

from bot.sandbox.net import listen_on_loopback

RSS_TYPE = "application/rss+xml; charset=utf-8"
ATOM_TYPE = "application/atom+xml; charset=utf-8"
NEW_YORK = ZoneInfo("America/New_York")


@dataclass(frozen=True)
class Release:
    """One press release as the fake publishes it."""

    title: str
    paragraphs: tuple[str, ...]
    published: datetime
    organization: str = ""
    number: int = 3033375
    links: tuple[tuple[str, str], ...] = ()  # (text, href) appended as a paragraph of links
    url: str = ""  # the release page's address (a loopback page); the service's own form when empty

    def slug(self) -> str:
        return "-".join("".join(c if c.isalnum() else " " for c in self.title).split())

    def html(self) -> str:
        paragraphs = "".join(f'<p align="justify">{escape(p)}</p>' for p in self.paragraphs)
        anchors = " ".join(f'<a href="{escape(href)}">{escape(text)}</a>' for text, href in self.links)
        return paragraphs + (f"<p>{anchors}</p>" if anchors else "")


def _rfc822(moment: datetime, *, zone: str = "GMT", seconds: bool = True) -> str:
    moment = moment.astimezone(UTC)
    return moment.strftime("%a, %d %b %Y %H:%M" + (":%S" if seconds else "") + f" {zone}")


def globenewswire_rss(releases: list[Release], *, title: str = "GlobeNewswire - Earnings Releases And Operating Results") -> bytes:
    """GlobeNewswire's subject feed: escaped HTML, dc:identifier and dc:contributor, 'HH:MM GMT'."""
    items = []
    for r in releases:
        url = r.url or f"https://www.globenewswire.com/news-release/{r.published:%Y/%m/%d}/{r.number}/0/en/{r.slug()}.html"
        items.append(
            f'<item><guid isPermaLink="true">{url}</guid><link>{url}</link>'
            '<category domain="https://www.globenewswire.com/rss/subjectcode">Earnings Releases and Operating Results</category>'
            f"<title>{escape(r.title)}</title><description>{escape(r.html())}</description>"
            f"<pubDate>{_rfc822(r.published, seconds=False)}</pubDate>"
            f"<dc:identifier>{r.number}</dc:identifier><dc:language>en</dc:language>"
            f"<dc:publisher>{escape(r.organization)}</dc:publisher><dc:contributor>{escape(r.organization)}</dc:contributor>"
            "<dc:subject>Earnings Releases and Operating Results</dc:subject></item>"
        )
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n<rss xmlns:dc="http://purl.org/dc/elements/1.1/" version="2.0"><channel>'
        f"<title>{escape(title)}</title><link>https://www.globenewswire.com/</link>"
        f"<description>{escape(title)}</description><language>en</language>"
        "<copyright>Copyright GlobeNewswire, Inc. All rights reserved.</copyright>"
        + "".join(items) + "</channel></rss>"
    ).encode("utf-8")


def prnewswire_rss(releases: list[Release], *, title: str = "PR Newswire: Financial Services News") -> bytes:
    """PR Newswire's category feed: a plain-text lead, a -0500 (New York) offset."""
    items = []
    for r in releases:
        url = r.url or f"https://www.prnewswire.com/news-releases/{r.slug().lower()}-{r.number}.html"
        stamp = format_datetime(r.published.astimezone(NEW_YORK))
        lead = " ".join(r.paragraphs)
        items.append(
            f"<item><title>{escape(r.title)}</title><link>{url}</link>"
            f"<description>{escape(lead)}</description><pubDate>{stamp}</pubDate><guid>{url}</guid></item>"
        )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/"><channel>'
        f"<title>{escape(title)}</title><link>https://www.prnewswire.com/</link>"
        f"<description>{escape(title)}</description>" + "".join(items) + "</channel></rss>"
    ).encode("utf-8")


def businesswire_rss(releases: list[Release], *, title: str = "Business Wire Earnings News") -> bytes:
    """Business Wire's feed: a numeric guid, 'UTC' dates, the lead paragraph as text."""
    items = []
    for r in releases:
        story = f"{r.published:%Y%m%d}{r.number % 1_000_000:06d}"
        url = f"https://www.businesswire.com/news/home/{story}/en/{r.slug()}"
        items.append(
            f'<item><guid isPermaLink="false">{story}</guid><title>{escape(r.title)}</title><link>{url}</link>'
            f"<pubDate>{_rfc822(r.published, zone='UTC')}</pubDate>"
            f"<description>{escape(r.paragraphs[0] if r.paragraphs else '')}</description>"
            "<category>Earnings</category></item>"
        )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/"'
        ' xmlns:media="http://search.yahoo.com/mrss/"><channel>'
        f"<title>{escape(title)}</title><link>https://www.businesswire.com/</link>"
        f"<description>{escape(title)}</description>" + "".join(items) + "</channel></rss>"
    ).encode("utf-8")


def q4_rss(releases: list[Release], *, company: str = "Meta Platforms, Inc.",
           host: str = "investor.atmeta.com") -> bytes:
    """A Q4-style IR site's /rss/pressrelease.aspx: CDATA HTML, New York offsets."""
    items = []
    for r in releases:
        url = r.url or f"https://{host}/investor-news/press-release-details/{r.published:%Y}/{r.slug()}/default.aspx"
        stamp = format_datetime(r.published.astimezone(NEW_YORK))
        items.append(
            f"<item><title>{escape(r.title)}</title><link>{url}</link>"
            f'<guid isPermaLink="false">{r.number}</guid><pubDate>{stamp}</pubDate>'
            f"<description><![CDATA[ {r.html()} ]]></description><category>Press Releases</category></item>"
        )
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"><channel>'
        f"<title>{escape(company)} - Press Releases</title><link>https://{host}/</link>"
        f"<description>{escape(company)} press releases</description>" + "".join(items) + "</channel></rss>"
    ).encode("utf-8")


def atom_feed(releases: list[Release], *, title: str = "Apple Newsroom",
              base: str = "https://www.apple.com/newsroom/") -> bytes:
    """An IR newsroom's Atom feed: the default namespace, HTML content, only <updated> dates."""
    entries = []
    for r in releases:
        url = r.url or f"{base}{r.published:%Y/%m}/{r.slug().lower()}/"
        entries.append(
            f"<entry><id>tag:newsroom,{r.published:%Y-%m-%d}:{r.number}</id><title>{escape(r.title)}</title>"
            f"<updated>{r.published.astimezone(NEW_YORK).isoformat()}</updated>"
            f'<link rel="alternate" type="text/html" href="{escape(url)}"/>'
            f'<content type="html">{escape(r.html())}</content><author><name>{escape(title)}</name></author></entry>'
        )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="en-US">'
        f"<id>{escape(base)}</id><title>{escape(title)}</title><updated>2025-01-01T00:00:00Z</updated>"
        f'<link rel="self" href="{escape(base)}rss-feed.rss"/>' + "".join(entries) + "</feed>"
    ).encode("utf-8")


@dataclass
class _Feed:
    body: bytes
    content_type: str
    modified: datetime
    etag: str


@dataclass
class _Refusal:
    status: int
    retry_after: str | None = None


@dataclass
class FeedRequest:
    """One request the fake answered."""

    path: str
    headers: dict[str, str]
    status: int
    at: float = 0.0  # time.monotonic() when answered


@dataclass
class FakeFeeds:
    """Feeds at paths of one loopback server."""

    fail_with: int | None = None
    retry_after: str | None = None
    requests: list[FeedRequest] = field(default_factory=list)
    url: str = ""
    _feeds: dict[str, _Feed] = field(default_factory=dict)
    _refusals: dict[str, _Refusal] = field(default_factory=dict)
    _runner: web.AppRunner | None = None

    async def __aenter__(self) -> FakeFeeds:
        app = web.Application()
        app.router.add_get("/{path:.*}", self._answer)
        self._runner = web.AppRunner(app)
        self.url = await listen_on_loopback(self._runner)
        return self

    async def __aexit__(self, *_exc: object) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    def publish(self, path: str, body: bytes, *, modified: datetime | None = None,
                content_type: str | None = None) -> str:
        """Serve body at path from now on; return the feed's URL."""
        kind = content_type or (ATOM_TYPE if b"<feed" in body[:300] else RSS_TYPE)
        stamp = (modified or datetime.now(UTC)).replace(microsecond=0)
        etag = '"' + hashlib.sha256(body).hexdigest()[:20] + '"'
        self._feeds[path] = _Feed(body, kind, stamp, etag)
        return self.url + path

    def publish_page(self, path: str, html: str | bytes) -> str:
        """Serve a release page (HTML) at path from now on; return its URL."""
        body = html.encode("utf-8") if isinstance(html, str) else html
        return self.publish(path, body, content_type="text/html; charset=utf-8")

    def fail(self, path: str, status: int, *, retry_after: str | None = None) -> None:
        """Answer path with status from now on (until `heal`)."""
        self._refusals[path] = _Refusal(status, retry_after)

    def heal(self, path: str) -> None:
        self._refusals.pop(path, None)

    def statuses(self, path: str) -> list[int]:
        """Return the statuses the fake gave for path, in order."""
        return [r.status for r in self.requests if r.path == path]

    async def _answer(self, request: web.Request) -> web.StreamResponse:
        response = self._response(request)
        self.requests.append(FeedRequest(request.path, dict(request.headers), response.status, time.monotonic()))
        return response

    def _response(self, request: web.Request) -> web.Response:
        refusal = self._refusals.get(request.path) or (
            _Refusal(self.fail_with, self.retry_after) if self.fail_with else None)
        if refusal is not None:
            headers = {"Retry-After": refusal.retry_after} if refusal.retry_after else None
            return web.Response(status=refusal.status, text="<html>unavailable</html>", headers=headers)
        feed = self._feeds.get(request.path)
        if feed is None:
            return web.Response(status=404, text="<html>Not Found</html>", content_type="text/html")
        headers = {"ETag": feed.etag, "Last-Modified": format_datetime(feed.modified, usegmt=True)}
        if _not_modified(request, feed):
            return web.Response(status=304, headers=headers)
        return web.Response(body=feed.body, headers={**headers, "Content-Type": feed.content_type})


def _not_modified(request: web.Request, feed: _Feed) -> bool:
    tags = request.headers.get("If-None-Match")
    if tags is not None:
        return feed.etag in [t.strip() for t in tags.split(",")] or tags.strip() == "*"
    since = request.headers.get("If-Modified-Since")
    if since:
        try:
            return feed.modified <= parsedate_to_datetime(since)
        except (TypeError, ValueError):
            return False
    return False

