"""A loopback SEC EDGAR for the demo, the tests and the detection benchmark.

It serves what the bot reads, in EDGAR's formats: the current-filings Atom feed (ISO-8859-1,
default namespace, newest first, HTTP 503 past the end), filing index pages, documents and
XBRL companyfacts.

    async with LoopbackEdgar() as edgar:
        edgar.publish(PublishedFiling(cik=1045810, company="NVIDIA CORP", form="8-K",
                      items=("2.02", "9.01"), accession="0001045810-25-000021",
                      accepted_at=..., documents=(("EX-99.1", "q4fy25pr.htm", html),)))
        settings = Settings(sec_www_url=edgar.url, sec_data_url=edgar.url, ...)
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from html import escape
from zoneinfo import ZoneInfo

from aiohttp import web

from bot.sandbox.net import listen_on_loopback

NEW_YORK = ZoneInfo("America/New_York")
ITEM_TITLES = {
    "1.01": "Entry into a Material Definitive Agreement",
    "2.02": "Results of Operations and Financial Condition",
    "5.02": "Departure of Directors or Certain Officers; Election of Directors",
    "7.01": "Regulation FD Disclosure",
    "8.01": "Other Events",
    "9.01": "Financial Statements and Exhibits",
}
END_OF_FEED = (
    "<!DOCTYPE html><html><head><title>SEC.gov | File Unavailable</title></head>"
    "<body><h1>File Unavailable</h1><p>The file you requested is not available.</p></body></html>"
)


@dataclass(frozen=True)
class PublishedFiling:
    """One filing as EDGAR disseminates it; documents are (type, file name, content)."""

    cik: int
    company: str
    form: str
    accession: str
    accepted_at: datetime
    items: tuple[str, ...] = ()
    documents: tuple[tuple[str, str, str], ...] = ()

    @property
    def folder(self) -> str:
        return f"/Archives/edgar/data/{self.cik}/{self.accession.replace('-', '')}"


@dataclass
class LoopbackEdgar:
    """The server; `requests` counts what was asked, by kind (feed, index, document)."""

    user_agent_required: bool = True
    clock: Callable[[], float] = time.monotonic
    filings: list[PublishedFiling] = field(default_factory=list)
    requests: Counter[str] = field(default_factory=Counter)
    request_times: list[float] = field(default_factory=list)
    refuse_with: int | None = None  # e.g. 403 to act as SEC's block page
    fail_documents: int = 0  # the next N document requests answer 503
    companyfacts: dict[int, bytes] = field(default_factory=dict)  # CIK -> companyfacts JSON
    # company_tickers.json rows in SEC's order: (ticker, CIK, name); GOOGL and GOOG may share a CIK
    company_tickers: list[tuple[str, int, str]] = field(default_factory=list)
    url: str = ""
    _runner: web.AppRunner | None = None

    def publish(self, filing: PublishedFiling) -> None:
        """Make a filing visible in the feed and its documents fetchable."""
        self.filings.append(filing)

    async def __aenter__(self) -> LoopbackEdgar:
        app = web.Application()
        app.router.add_get("/cgi-bin/browse-edgar", self._feed)
        app.router.add_get("/Archives/edgar/data/{cik}/{folder}/{name}", self._archive)
        app.router.add_get("/api/xbrl/companyfacts/{name}", self._companyfacts)
        app.router.add_get("/files/company_tickers.json", self._company_tickers)
        self._runner = web.AppRunner(app, access_log=None)
        self.url = await listen_on_loopback(self._runner, backlog=1024)
        return self

    async def __aexit__(self, *_exc: object) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    def _refusal(self, request: web.Request, kind: str) -> web.Response | None:
        self.requests[kind] += 1
        self.request_times.append(self.clock())
        if self.user_agent_required and "@" not in request.headers.get("User-Agent", ""):
            return web.Response(status=403, text="Undeclared Automated Tool", content_type="text/html")
        if self.refuse_with:
            return web.Response(status=self.refuse_with, text="Request Rate Threshold Exceeded",
                                content_type="text/html")
        return None

    async def _feed(self, request: web.Request) -> web.Response:
        refused = self._refusal(request, "feed")
        if refused is not None:
            return refused
        form = request.query.get("type", "")
        start, count = int(request.query.get("start", "0")), int(request.query.get("count", "40"))
        chosen = [f for f in self.filings if not form or f.form.upper().startswith(form.upper())]
        chosen.sort(key=lambda f: f.accepted_at, reverse=True)
        if start and start >= len(chosen):
            return web.Response(status=503, text=END_OF_FEED, content_type="text/html")
        body = self._atom(chosen[start:start + count])
        return web.Response(body=body.encode("iso-8859-1", "replace"),
                            content_type="application/atom+xml", charset="ISO-8859-1")

    def _atom(self, filings: list[PublishedFiling]) -> str:
        now = datetime.now(NEW_YORK)
        parts = [
            '<?xml version="1.0" encoding="ISO-8859-1" ?>',
            '<feed xmlns="http://www.w3.org/2005/Atom">',
            f"<title>Latest Filings - {now:%a, %d %b %Y %H:%M:%S} EST</title>",
            '<link rel="alternate" href="/cgi-bin/browse-edgar?action=getcurrent"/>',
            f"<id>{self.url}/cgi-bin/browse-edgar?action=getcurrent</id>",
            "<author><name>Webmaster</name><email>webmaster@sec.gov</email></author>",
            f"<updated>{now.isoformat(timespec='seconds')}</updated>",
        ]
        for filing in filings:
            accepted = filing.accepted_at.astimezone(NEW_YORK)
            items = "".join(f"\n&lt;br&gt;Item {i}: {escape(ITEM_TITLES.get(i, 'Other'))}" for i in filing.items)
            parts += [
                "<entry>",
                f"<title>{escape(filing.form)} - {escape(filing.company)} ({filing.cik:010d}) (Filer)</title>",
                f'<link rel="alternate" type="text/html" href="{self.url}{filing.folder}/{filing.accession}-index.htm"/>',
                '<summary type="html">',
                f" &lt;b&gt;Filed:&lt;/b&gt; {accepted:%Y-%m-%d} &lt;b&gt;AccNo:&lt;/b&gt; {filing.accession}"
                f" &lt;b&gt;Size:&lt;/b&gt; 120 KB{items}",
                "</summary>",
                f"<updated>{accepted.isoformat(timespec='seconds')}</updated>",
                f'<category scheme="https://www.sec.gov/" label="form type" term="{escape(filing.form)}"/>',
                f"<id>urn:tag:sec.gov,2008:accession-number={filing.accession}</id>",
                "</entry>",
            ]
        parts.append("</feed>")
        return "\n".join(parts)

    async def _archive(self, request: web.Request) -> web.Response:
        name = request.match_info["name"]
        kind = "index" if name.endswith(("-index.htm", "-index.html")) else "document"
        refused = self._refusal(request, kind)
        if refused is not None:
            return refused
        if kind == "document" and self.fail_documents > 0:
            self.fail_documents -= 1
            return web.Response(status=503, text="Service Unavailable", content_type="text/html")
        folder = request.match_info["folder"]
        for filing in self.filings:
            if filing.accession.replace("-", "") != folder:
                continue
            if kind == "index":
                return web.Response(text=self._index(filing), content_type="text/html")
            for _type, filename, content in filing.documents:
                if filename == name:
                    return web.Response(text=content, content_type="text/html")
        return web.Response(status=404, text="Not Found", content_type="text/html")

    async def _companyfacts(self, request: web.Request) -> web.Response:
        refused = self._refusal(request, "companyfacts")
        if refused is not None:
            return refused
        name = request.match_info["name"]
        cik = int(name.removeprefix("CIK").removesuffix(".json") or 0)
        if cik not in self.companyfacts:
            return web.Response(status=404, text="Not Found", content_type="text/html")
        return web.Response(body=self.companyfacts[cik], content_type="application/json")

    async def _company_tickers(self, request: web.Request) -> web.Response:
        refused = self._refusal(request, "company_tickers")
        if refused is not None:
            return refused
        rows = {str(n): {"cik_str": cik, "ticker": ticker, "title": name}
                for n, (ticker, cik, name) in enumerate(self.company_tickers)}
        return web.json_response(rows)

    def _index(self, filing: PublishedFiling) -> str:
        accepted = filing.accepted_at.astimezone(NEW_YORK)
        items = "".join(f"Item {i}: {escape(ITEM_TITLES.get(i, 'Other'))}<br />" for i in filing.items)
        rows = "".join(
            f'<tr><td scope="row">{seq}</td><td scope="row">{escape(doc_type)}</td>'
            f'<td scope="row"><a href="{filing.folder}/{escape(filename)}">{escape(filename)}</a></td>'
            f'<td scope="row">{escape(doc_type)}</td><td scope="row">{len(content)}</td></tr>'
            for seq, (doc_type, filename, content) in enumerate(filing.documents, start=1)
        )
        return (
            "<html><head><title>EDGAR Filing Documents for "
            f"{filing.accession}</title></head><body><div id=\"formName\"><strong>Form {escape(filing.form)}"
            f"</strong></div><div id=\"secNum\">Accession No. {filing.accession}</div>"
            '<div class="formGrouping"><div class="infoHead">Filing Date</div>'
            f'<div class="info">{accepted:%Y-%m-%d}</div><div class="infoHead">Accepted</div>'
            f'<div class="info">{accepted:%Y-%m-%d %H:%M:%S}</div></div>'
            f'<div class="formGrouping"><div class="infoHead">Items</div><div class="info">{items}</div></div>'
            '<table class="tableFile" summary="Document Format Files"><tr><th scope="col">Seq</th>'
            '<th scope="col">Description</th><th scope="col">Document</th><th scope="col">Type</th>'
            f'<th scope="col">Size</th></tr>{rows}</table></body></html>'
        )
