"""`earnings-bot extract`: a local file or a URL in, JSON-ready figures out."""

from __future__ import annotations

import json

import pytest

from bot.errors import UserInputError
from bot.sources.edgar.press_release import run_extract
from tests.sources.edgar.sec_server import EDGAR, RELEASES, SecServer

NVDA_FOLDER = "/Archives/edgar/data/1045810/000104581025000021"


async def test_a_local_file_gives_json_ready_figures() -> None:
    data = await run_extract(str(RELEASES / "googl_q4_2024_ex99-1.htm"), user_agent=None)

    assert data["company"] == "Alphabet"
    figures = {(f["metric"], f["basis"]): f for f in data["figures"]}  # type: ignore[union-attr,index]
    assert figures[("revenue", "gaap")]["value"] == "96469000000"
    assert figures[("eps", "gaap")] | {"evidence": ""} == {
        "metric": "eps", "value": "2.15", "unit": "per_share", "currency": "USD", "basis": "gaap",
        "period": "quarter and fiscal year ended December 31, 2024", "evidence": "",
    }
    json.dumps(data)


async def test_an_index_page_url_leads_to_its_press_release(sec: SecServer) -> None:
    sec.file(f"{NVDA_FOLDER}/0001045810-25-000021-index.html", EDGAR / "filing_index_nvda_8k_0001045810-25-000021.html")
    sec.file(f"{NVDA_FOLDER}/q4fy25pr.htm", RELEASES / "nvda_q4_fy2025_ex99-1.htm")

    data = await run_extract(f"{sec.url}{NVDA_FOLDER}/0001045810-25-000021-index.html", user_agent=None)

    assert data["source"] == f"{sec.url}{NVDA_FOLDER}/q4fy25pr.htm"
    revenue = next(f for f in data["figures"] if f["metric"] == "revenue")  # type: ignore[union-attr,index]
    assert revenue["value"] == "39331000000"
    assert [r.path for r in sec.requests] == [f"{NVDA_FOLDER}/0001045810-25-000021-index.html", f"{NVDA_FOLDER}/q4fy25pr.htm"]


async def test_a_document_url_is_read_directly(sec: SecServer) -> None:
    sec.file("/releases/kestrel.htm", RELEASES / "kestrel_q3_2024_ex99-1.htm")

    data = await run_extract(f"{sec.url}/releases/kestrel.htm", user_agent=None)

    eps = next(f for f in data["figures"] if f["metric"] == "eps" and f["basis"] == "gaap")  # type: ignore[union-attr,index]
    assert eps["value"] == "-0.11"


async def test_sec_urls_need_a_declared_user_agent() -> None:
    with pytest.raises(UserInputError, match="SEC_USER_AGENT"):
        await run_extract("https://www.sec.gov/Archives/edgar/data/1045810/000104581025000021/q4fy25pr.htm",
                          user_agent=None)


async def test_a_missing_file_is_a_user_error() -> None:
    with pytest.raises(UserInputError, match="no such file"):
        await run_extract("/nonexistent/release.htm", user_agent=None)
