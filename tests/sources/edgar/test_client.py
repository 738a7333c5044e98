"""EdgarClient over real HTTP against a loopback SEC: declared requests, gzip, errors, paging."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import httpx
import pytest
from aiohttp import web

from bot.errors import SourceDataInvalid, SourceUnavailable
from bot.sources.edgar.client import EdgarClient
from bot.sources.edgar.extract import fetch_release
from bot.sources.edgar.feed import is_earnings_release
from bot.sources.http import RateLimiter, make_client
from tests.sources.edgar.conftest import USER_AGENT
from tests.sources.edgar.sec_server import EDGAR, RELEASES, SecServer

FEED = "/cgi-bin/browse-edgar"
NVDA_FOLDER = "/Archives/edgar/data/1045810/000104581025000021"


def _feed_pages(sec: SecServer, first_page: str = "getcurrent_8k.xml") -> None:
    async def respond(request: web.Request) -> web.Response:
        if request.query.get("start", "0") == "0":
            return web.Response(body=(EDGAR / first_page).read_bytes(), content_type="application/atom+xml")
        return web.Response(status=503, body=(EDGAR / "getcurrent_end_page.html").read_bytes(), content_type="text/html")

    sec.routes[FEED] = respond


async def test_current_filings_asks_for_the_atom_feed_and_reads_it(sec: SecServer, edgar: EdgarClient) -> None:
    _feed_pages(sec)

    entries = await edgar.current_filings("8-K")

    assert [e.company for e in entries if is_earnings_release(e)][0] == "NVIDIA CORP"
    query = sec.requests[0].query
    assert query == {
        "action": "getcurrent", "type": "8-K", "company": "", "dateb": "", "owner": "include",
        "start": "0", "count": "100", "output": "atom",
    }


async def test_every_request_is_declared_and_accepts_gzip(sec: SecServer, edgar: EdgarClient) -> None:
    _feed_pages(sec)
    sec.file(f"{NVDA_FOLDER}/0001045810-25-000021-index.html", EDGAR / "filing_index_nvda_8k_0001045810-25-000021.html")
    sec.file(f"{NVDA_FOLDER}/q4fy25pr.htm", RELEASES / "nvda_q4_fy2025_ex99-1.htm")
    sec.file("/data/submissions/CIK0001045810.json", EDGAR / "submissions_CIK0001045810_utc.json", "application/json")
    sec.file("/data/api/xbrl/companyfacts/CIK0001045810.json", EDGAR / "companyfacts_CIK0001045810_q4_derivation.json",
             "application/json")

    await edgar.current_filings("8-K")
    await fetch_release(edgar, 1045810, "0001045810-25-000021")
    await edgar.submissions(1045810)
    await edgar.companyfacts(1045810)

    assert len(sec.requests) == 5
    assert all(r.headers.get("User-Agent") == USER_AGENT for r in sec.requests)
    assert all("gzip" in r.headers.get("Accept-Encoding", "") for r in sec.requests)
    assert edgar.limiter.requests == 5


async def test_fetch_release_finds_the_exhibit_and_reads_its_figures(sec: SecServer, edgar: EdgarClient) -> None:
    sec.file(f"{NVDA_FOLDER}/0001045810-25-000021-index.html", EDGAR / "filing_index_nvda_8k_0001045810-25-000021.html")
    sec.file(f"{NVDA_FOLDER}/q4fy25pr.htm", RELEASES / "nvda_q4_fy2025_ex99-1.htm")

    index, exhibit, release = await fetch_release(edgar, 1045810, "0001045810-25-000021")

    assert index.accepted_at == datetime(2025, 2, 26, 21, 21, 32, tzinfo=UTC)
    assert exhibit is not None and exhibit.filename == "q4fy25pr.htm"
    assert release is not None
    assert release.figure("revenue").value == Decimal("39331000000")  # type: ignore[union-attr]
    assert release.figure("eps", "adjusted").value == Decimal("0.89")  # type: ignore[union-attr]
    assert [r.path for r in sec.requests] == [f"{NVDA_FOLDER}/0001045810-25-000021-index.html", f"{NVDA_FOLDER}/q4fy25pr.htm"]


async def test_paging_past_the_end_of_the_feed_is_an_empty_page(sec: SecServer, edgar: EdgarClient) -> None:
    _feed_pages(sec)

    assert await edgar.current_filings("8-K", start=100) == []
    entries = await edgar.recent_filings("8-K", max_pages=5)

    assert len(entries) == 6
    assert [r.query["start"] for r in sec.requests] == ["100", "0", "100"]


async def test_recent_filings_stops_at_the_first_page_reaching_back_to_since(sec: SecServer, edgar: EdgarClient) -> None:
    _feed_pages(sec)

    entries = await edgar.recent_filings("8-K", since=datetime(2025, 2, 26, 21, 10, tzinfo=UTC))

    assert [e.accession for e in entries] == [
        "0001045810-25-000021", "0001999001-25-000007", "0001999002-25-000003",
    ]
    assert len(sec.requests) == 1


async def test_a_503_on_the_first_page_is_an_outage_not_the_end(sec: SecServer, edgar: EdgarClient) -> None:
    sec.status(FEED, 503, (EDGAR / "getcurrent_end_page.html").read_bytes())

    with pytest.raises(SourceUnavailable):
        await edgar.current_filings("8-K")


async def test_sec_refusal_backs_off_for_at_least_ten_minutes(sec: SecServer, edgar: EdgarClient) -> None:
    sec.status(FEED, 403, b"<html><title>SEC.gov | Request Rate Threshold Exceeded</title></html>")

    with pytest.raises(SourceUnavailable) as caught:
        await edgar.current_filings("8-K")

    assert caught.value.retry_after is not None and caught.value.retry_after >= 600
    message = str(caught.value)
    assert "SEC refused" in message and "10 minutes" in message


async def test_server_errors_and_timeouts_are_source_unavailable(sec: SecServer, http: httpx.AsyncClient) -> None:
    sec.status("/data/api/xbrl/companyfacts/CIK0000320193.json", 500, b"oops")
    sec.slow("/data/submissions/CIK0000320193.json", 1.0)
    async with make_client(timeout=httpx.Timeout(0.3)) as quick:
        edgar = EdgarClient(quick, sec.url, sec.url + "/data", USER_AGENT, RateLimiter(10))

        with pytest.raises(SourceUnavailable):
            await edgar.companyfacts(320193)
        with pytest.raises(SourceUnavailable):
            await edgar.submissions(320193)


async def test_json_documents_arrive_with_exact_decimals(sec: SecServer, edgar: EdgarClient) -> None:
    sec.file("/data/api/xbrl/companyfacts/CIK0001045810.json", EDGAR / "companyfacts_CIK0001045810_q4_derivation.json",
             "application/json")

    facts = await edgar.companyfacts(1045810)

    assert facts is not None
    eps = facts["facts"]["us-gaap"]["EarningsPerShareDiluted"]["units"]["USD/shares"][0]["val"]
    assert eps == Decimal("0.60") and isinstance(eps, Decimal)


async def test_a_company_without_submissions_or_facts_gives_none(edgar: EdgarClient) -> None:
    assert await edgar.submissions(1) is None
    assert await edgar.companyfacts(1) is None


async def test_a_missing_filing_page_is_worth_retrying_soon(edgar: EdgarClient) -> None:
    with pytest.raises(SourceUnavailable) as caught:
        await edgar.filing_index(1045810, "0001045810-25-000099")

    assert caught.value.retry_after is not None and caught.value.retry_after < 600


async def test_an_unexpected_status_is_invalid_data(sec: SecServer, edgar: EdgarClient) -> None:
    sec.status("/data/submissions/CIK0000000002.json", 400, b"bad request")

    with pytest.raises(SourceDataInvalid):
        await edgar.submissions(2)


async def test_the_sgml_header_is_fetched_from_the_filing_folder(sec: SecServer, edgar: EdgarClient) -> None:
    sec.file(f"{NVDA_FOLDER}/0001045810-25-000021.hdr.sgml", EDGAR / "sgml_header_nvda_0001045810-25-000021.txt", "text/plain")

    header = await edgar.sgml_header(1045810, "0001045810-25-000021")

    assert header.accepted_at == datetime(2025, 2, 26, 21, 21, 32, tzinfo=UTC)


def test_the_client_refuses_to_go_faster_than_sec_allows(http: httpx.AsyncClient) -> None:
    with pytest.raises(ValueError):
        EdgarClient(http, "https://www.sec.gov", "https://data.sec.gov", USER_AGENT, RateLimiter(20))
    with pytest.raises(ValueError):
        EdgarClient(http, "https://www.sec.gov", "https://data.sec.gov", " ", None)
    default = EdgarClient(http, "https://www.sec.gov", "https://data.sec.gov", USER_AGENT)
    assert default.limiter.interval == pytest.approx(0.2)
