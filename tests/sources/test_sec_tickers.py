"""SEC's ticker list: served over HTTP in its real format and read into entries."""

from __future__ import annotations

import logging

import httpx
import pytest

from bot.errors import SourceDataInvalid, SourceUnavailable
from bot.sources.http import RateLimiter
from bot.sources.sec_tickers import TickerEntry, fetch_company_tickers, parse_company_tickers
from tests.conftest import FIXTURES
from tests.sources.serve import Recorder, file_response, json_response

WWW = "https://www.sec.test"
USER_AGENT = "Earnings Bot Tests ops@example.com"
TICKERS = FIXTURES / "sec_tickers" / "company_tickers.json"


async def fetch(recorder: Recorder) -> list[TickerEntry]:
    return await fetch_company_tickers(
        recorder.client(), WWW + "/", USER_AGENT, RateLimiter(per_second=1000)
    )


async def test_the_list_is_read_in_the_files_order() -> None:
    recorder = Recorder(lambda _: file_response(TICKERS))
    entries = await fetch(recorder)

    assert [e.ticker for e in entries] == [
        "MSFT", "AAPL", "NVDA", "GOOGL", "AMZN", "META", "BRK-B", "TSM", "GOOG", "BABA", "APP",
        "MKC", "BRK-A", "APPN", "APLE", "MKC-V", "CRWV",
    ]
    by_ticker = {e.ticker: e for e in entries}
    assert by_ticker["BABA"] == TickerEntry("BABA", 1577552, "Alibaba Group Holding Ltd")
    assert by_ticker["GOOG"].cik == by_ticker["GOOGL"].cik == 1652044
    [request] = recorder.requests
    assert str(request.url) == f"{WWW}/files/company_tickers.json"
    assert request.headers["User-Agent"] == USER_AGENT


def test_share_class_spellings_are_normalised_and_repeats_kept_once() -> None:
    entries = parse_company_tickers({
        "0": {"cik_str": 1067983, "ticker": "BRK.B", "title": "BERKSHIRE HATHAWAY INC"},
        "1": {"cik_str": 1067983, "ticker": "BRK-B", "title": "Berkshire (again)"},
        "2": {"cik_str": "63754", "ticker": "mkc/v", "title": " MCCORMICK & CO INC "},
    })

    assert entries == [
        TickerEntry("BRK-B", 1067983, "BERKSHIRE HATHAWAY INC"),
        TickerEntry("MKC-V", 63754, "MCCORMICK & CO INC"),
    ]


def test_bad_rows_are_skipped_and_logged(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="bot.sources.sec_tickers"):
        entries = parse_company_tickers({
            "0": {"cik_str": 1045810, "ticker": "NVDA", "title": "NVIDIA CORP"},
            "1": {"cik_str": None, "ticker": "NOCIK", "title": "No Cik Inc"},
            "2": {"cik_str": 5, "ticker": "", "title": "No Ticker Inc"},
            "3": {"cik_str": 6, "ticker": "NONAME", "title": ""},
            "4": "not a row",
            "5": {"cik_str": True, "ticker": "BOOL", "title": "Bool Corp"},
        })

    assert [e.ticker for e in entries] == ["NVDA"]
    assert len([m for m in caplog.messages if "skipping company_tickers row" in m]) == 5


@pytest.mark.parametrize("body", [[], {"0": "x", "1": 2}])
def test_a_wrong_shape_is_invalid_data(body: object) -> None:
    with pytest.raises(SourceDataInvalid):
        parse_company_tickers(body)


def test_an_empty_list_is_empty() -> None:
    assert parse_company_tickers({}) == []


async def test_a_block_is_unavailable_for_a_long_while() -> None:
    recorder = Recorder(lambda _: httpx.Response(
        403, text="<title>SEC.gov | Request Rate Threshold Exceeded</title>"
    ))
    with pytest.raises(SourceUnavailable, match="403") as caught:
        await fetch(recorder)

    assert caught.value.retry_after is not None and caught.value.retry_after >= 600


async def test_a_page_that_is_not_json_is_invalid_data() -> None:
    recorder = Recorder(lambda _: httpx.Response(200, text="<html>maintenance</html>"))
    with pytest.raises(SourceDataInvalid, match="not JSON"):
        await fetch(recorder)


async def test_an_outage_is_unavailable() -> None:
    with pytest.raises(SourceUnavailable, match="HTTP 503"):
        await fetch(Recorder(lambda _: json_response({}, status=503)))
