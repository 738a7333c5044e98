"""Fetch an earnings release and read its figures: for detection, and for `earnings-bot extract`.

    release = await fetch_release(edgar, cik, accession)        # None when it has no EX-99.1
    data = await run_extract("q4fy25pr.htm", user_agent=None)    # a local file, or a URL
"""

from __future__ import annotations

import logging
from pathlib import Path
from urllib.parse import urlsplit

import httpx

from bot.errors import SourceDataInvalid, SourceUnavailable, UserInputError
from bot.sources.edgar.client import EdgarClient
from bot.sources.edgar.filing_index import (
    FilingDocument,
    FilingIndex,
    exhibit_99_1,
    parse_filing_index,
)
from bot.sources.edgar.press_release import ExtractedRelease, extract_figures
from bot.sources.http import make_client, redact

logger = logging.getLogger(__name__)


async def fetch_release(
    edgar: EdgarClient, cik: int, accession: str
) -> tuple[FilingIndex, FilingDocument | None, ExtractedRelease | None]:
    """Fetch a filing's index and its EX-99.1, and read the figures (None when there is no EX-99.1)."""
    index = await edgar.filing_index(cik, accession)
    exhibit = exhibit_99_1(index)
    if exhibit is None:
        logger.info("sec: %s has no EX-99.1 among %d documents", accession, len(index.documents))
        return index, None, None
    body = await edgar.document(exhibit.url)
    return index, exhibit, extract_figures(body)


async def run_extract(target: str, *, user_agent: str | None) -> dict[str, object]:
    """Read a press release from a file path or URL (an EDGAR -index page leads to its EX-99.1)."""
    if not target.startswith(("http://", "https://")):
        path = Path(target)
        if not path.is_file():
            raise UserInputError(f"no such file: {target}")
        release = extract_figures(path.read_bytes())
        return {"source": str(path), **release.to_json()}
    sec = _is_sec_host(target)
    if sec and not user_agent:
        raise UserInputError(
            "SEC refuses requests without a declared User-Agent: set SEC_USER_AGENT to your name and e-mail"
        )
    async with make_client(user_agent=user_agent if sec else None) as http:
        body = await _download(http, target, user_agent if sec else None)
        source = target
        if _is_index_page(target):
            exhibit = exhibit_99_1(parse_filing_index(body, base_url=_origin(target)))
            if exhibit is None:
                raise SourceDataInvalid(f"sec: {redact(target)} lists no EX-99.1 press release")
            body = await _download(http, exhibit.url, user_agent if sec else None)
            source = exhibit.url
    release = extract_figures(body)
    return {"source": source, **release.to_json()}


async def _download(http: httpx.AsyncClient, url: str, user_agent: str | None) -> bytes:
    headers = {"User-Agent": user_agent} if user_agent else None
    try:
        response = await http.get(url, headers=headers)
    except httpx.HTTPError as exc:
        raise SourceUnavailable(f"{type(exc).__name__} fetching {redact(url)}") from exc
    if response.status_code == 403 and _is_sec_host(url):
        raise SourceUnavailable(
            f"sec: HTTP 403 for {redact(url)}: SEC refused the request (undeclared User-Agent or over "
            "the rate limit); backs off for at least 10 minutes",
            retry_after=900.0,
        )
    if response.status_code != 200:
        raise SourceUnavailable(f"HTTP {response.status_code} for {redact(url)}")
    return response.content


def _is_sec_host(url: str) -> bool:
    host = (urlsplit(url).hostname or "").lower()
    return host == "sec.gov" or host.endswith(".sec.gov")


def _is_index_page(url: str) -> bool:
    return urlsplit(url).path.endswith(("-index.htm", "-index.html"))


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"
