"""EdgarClient over real HTTP against a loopback SEC: declared requests, gzip, errors, paging."""

from __future__ import annotations

from decimal import Decimal

import httpx
import pytest
from aiohttp import web

from bot.errors import SourceDataInvalid, SourceUnavailable
from bot.sources.edgar.client import EdgarClient
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
    sec.file("/data/api/xbrl/companyfacts/CIK0001045810.json", EDGAR / "companyfacts_CIK0001045810_q4_derivation.json",
             "application/json")

    await edgar.current_filings("8-K")
    await edgar.filing_index(1045810, "0001045810-25-000021")
    await edgar.document(f"{NVDA_FOLDER}/q4fy25pr.htm")
    await edgar.companyfacts(1045810)
    await edgar.current_filings("6-K")

    assert len(sec.requests) == 5
    assert all(r.headers.get("User-Agent") == USER_AGENT for r in sec.requests)
    assert all("gzip" in r.headers.get("Accept-Encoding", "") for r in sec.requests)
    assert edgar.limiter.requests == 5


async def test_paging_past_the_end_of_the_feed_is_an_empty_page(sec: SecServer, edgar: EdgarClient) -> None:
    _feed_pages(sec)

    assert await edgar.current_filings("8-K", start=100) == []
    entries = await edgar.current_filings("8-K")
    await edgar.current_filings("8-K", start=100)

    assert len(entries) == 6
    assert [r.query["start"] for r in sec.requests] == ["100", "0", "100"]


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
    sec.slow(f"{NVDA_FOLDER}/0001045810-25-000021-index.html", 1.0)
    async with make_client(timeout=httpx.Timeout(0.3)) as quick:
        edgar = EdgarClient(quick, sec.url, sec.url + "/data", USER_AGENT, RateLimiter(10))

        with pytest.raises(SourceUnavailable):
            await edgar.companyfacts(320193)
        with pytest.raises(SourceUnavailable):
            await edgar.filing_index(1045810, "0001045810-25-000021")


async def test_json_documents_arrive_with_exact_decimals(sec: SecServer, edgar: EdgarClient) -> None:
    sec.file("/data/api/xbrl/companyfacts/CIK0001045810.json", EDGAR / "companyfacts_CIK0001045810_q4_derivation.json",
             "application/json")

    facts = await edgar.companyfacts(1045810)

    assert facts is not None
    eps = facts["facts"]["us-gaap"]["EarningsPerShareDiluted"]["units"]["USD/shares"][0]["val"]
    assert eps == Decimal("0.60") and isinstance(eps, Decimal)


async def test_a_company_without_facts_gives_none(edgar: EdgarClient) -> None:
    assert await edgar.companyfacts(1) is None


async def test_a_missing_filing_page_is_worth_retrying_soon(edgar: EdgarClient) -> None:
    with pytest.raises(SourceUnavailable) as caught:
        await edgar.filing_index(1045810, "0001045810-25-000099")

    assert caught.value.retry_after is not None and caught.value.retry_after < 600


async def test_an_unexpected_status_is_invalid_data(sec: SecServer, edgar: EdgarClient) -> None:
    sec.status("/data/api/xbrl/companyfacts/CIK0000000002.json", 400, b"bad request")

    with pytest.raises(SourceDataInvalid):
        await edgar.companyfacts(2)


def test_the_client_refuses_to_go_faster_than_sec_allows(http: httpx.AsyncClient) -> None:
    with pytest.raises(ValueError):
        EdgarClient(http, "https://www.sec.gov", "https://data.sec.gov", USER_AGENT, RateLimiter(20))
    with pytest.raises(ValueError):
        EdgarClient(http, "https://www.sec.gov", "https://data.sec.gov", " ", None)
    default = EdgarClient(http, "https://www.sec.gov", "https://data.sec.gov", USER_AGENT)
    assert default.limiter.interval == pytest.approx(0.2)
