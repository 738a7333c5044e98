"""Filing index pages, SGML headers and the 6-K results test."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from bot.errors import SourceDataInvalid
from bot.sources.edgar.filing_index import (
    FilingDocument,
    FilingIndex,
    exhibit_99_1,
    is_results_6k,
    item_code,
    parse_filing_index,
    parse_sgml_header,
)
from tests.sources.edgar.sec_server import EDGAR, RELEASES

NVDA_INDEX = EDGAR / "filing_index_nvda_8k_0001045810-25-000021.html"
BABA_INDEX = EDGAR / "filing_index_baba_6k_0001104659-25-049400.html"


def test_index_page_gives_form_dates_items_and_acceptance_in_utc() -> None:
    index = parse_filing_index(NVDA_INDEX.read_bytes())

    assert index.accession == "0001045810-25-000021"
    assert index.form == "8-K"
    assert index.filed == date(2025, 2, 26)
    # "Accepted 2025-02-26 16:21:32" is New York time, EST in February.
    assert index.accepted_at == datetime(2025, 2, 26, 21, 21, 32, tzinfo=UTC)
    assert index.items == ("2.02", "9.01")
    assert (index.cik, index.company) == (1045810, "NVIDIA CORP")


def test_acceptance_in_summer_is_converted_with_daylight_saving_time() -> None:
    index = parse_filing_index(BABA_INDEX.read_bytes())

    # "2025-05-15 06:07:11" in New York is EDT, four hours behind UTC.
    assert index.accepted_at == datetime(2025, 5, 15, 10, 7, 11, tzinfo=UTC)
    assert index.form == "6-K" and index.items == ()


def test_the_press_release_exhibit_is_found_by_type_not_by_name() -> None:
    index = parse_filing_index(NVDA_INDEX.read_bytes(), base_url="http://127.0.0.1:9")

    exhibit = exhibit_99_1(index)

    assert exhibit is not None
    assert exhibit.filename == "q4fy25pr.htm"
    assert exhibit.type == "EX-99.1"
    assert exhibit.url == "http://127.0.0.1:9/Archives/edgar/data/1045810/000104581025000021/q4fy25pr.htm"
    primary = index.documents[0]
    assert primary.url.endswith("/000104581025000021/nvda-20250226.htm")  # the /ix?doc= viewer prefix is dropped


def test_ex_99_01_counts_as_the_press_release_and_images_do_not() -> None:
    exhibit = exhibit_99_1(parse_filing_index(BABA_INDEX.read_bytes()))

    assert exhibit is not None and exhibit.filename == "tm2515233d1_ex99-01.htm"


def test_ex_99_1_is_preferred_over_a_bare_ex_99_and_other_exhibits_are_never_taken() -> None:
    def document(seq: int, name: str, kind: str) -> FilingDocument:
        return FilingDocument(seq, kind, name, f"https://www.sec.gov/{name}", kind)

    index = FilingIndex("0000000000-25-000001", "8-K", None, None, None, ("2.02",), (
        document(2, "ex99.htm", "EX-99"), document(3, "pr.htm", "EX-99.1"), document(4, "cfo.htm", "EX-99.2"),
    ))
    only_others = FilingIndex("0000000000-25-000002", "8-K", None, None, None, (), (
        document(2, "cfo.htm", "EX-99.2"), document(3, "logo.jpg", "EX-99.1"),
    ))

    assert exhibit_99_1(index).filename == "pr.htm"  # type: ignore[union-attr]
    assert exhibit_99_1(only_others) is None


def test_a_page_without_an_accession_is_invalid() -> None:
    with pytest.raises(SourceDataInvalid):
        parse_filing_index(b"<html><body><p>Not an index</p></body></html>")


def test_sgml_header_gives_the_same_acceptance_instant_and_item_codes() -> None:
    header = parse_sgml_header((EDGAR / "sgml_header_nvda_0001045810-25-000021.txt").read_bytes())

    assert header.accession == "0001045810-25-000021"
    assert header.form == "8-K"
    assert header.accepted_at == datetime(2025, 2, 26, 21, 21, 32, tzinfo=UTC)
    assert header.items == ("2.02", "9.01")
    assert header.ciks == (1045810,)
    assert header.filed == date(2025, 2, 26)


def test_item_names_map_to_codes() -> None:
    assert item_code("Results of Operations and Financial Condition") == "2.02"
    assert item_code("Regulation FD Disclosure") == "7.01"
    assert item_code("Something new") is None


@pytest.mark.parametrize(("title", "expected"), [
    ("Alibaba Group Announces December Quarter 2024 Results", True),
    ("ANNOUNCEMENT OF THE MARCH QUARTER 2025 RESULTS AND FISCAL YEAR 2025 ANNUAL RESULTS", True),
    ("Taiwan Semiconductor Manufacturing Company Reports First Quarter EPS of NT$13.94", True),
    ("Royal Philips fourth quarter and annual results 2024", True),
    ("MONTHLY RETURN OF EQUITY ISSUER ON MOVEMENTS IN SECURITIES FOR THE MONTH ENDED 31 JANUARY 2025", False),
    ("ANNOUNCEMENT - RECORD DATE FOR THE INTERIM DIVIDEND", False),
    ("DATE OF BOARD MEETING to consider and approve the quarterly results", False),
    ("POLL RESULTS OF THE ANNUAL GENERAL MEETING", False),
    ("Philips presents its plan to create value with sustainable impact", False),
    ("Fourth Quarter 2024 Results", True),
    ("Shell plc 2nd quarter 2025 unaudited results", True),
    ("Infosys Q1 FY26 results", True),
    ("Sony Group Corporation Consolidated Financial Results for the First Quarter Ended June 30, 2025", True),
    ("UNAUDITED CONSOLIDATED FINANCIAL RESULTS FOR THE THREE MONTHS ENDED 30 JUNE 2025", True),
    ("ASML reports €7.7 billion total net sales and €2.3 billion net income in Q2 2025", True),
    ("Alibaba Group Announces March Quarter 2025 and Full Fiscal Year 2025 Results, change in dividend policy", True),
    ("CHANGE IN DIRECTORS AND CHANGE IN COMPOSITION OF BOARD COMMITTEES", False),
    ("Announcement of change in company secretary", False),
    ("Results of the Tender Offer for Shares", False),
])
def test_results_6k_is_told_apart_by_its_title(title: str, expected: bool) -> None:
    assert is_results_6k(title) is expected


def test_results_6k_reads_the_opening_lines_of_an_exhibit() -> None:
    assert is_results_6k((RELEASES / "baba_dec_q_2024_ex99-1.htm").read_bytes())
    assert not is_results_6k((EDGAR / "6k_monthly_return_ex99-1.htm").read_bytes())
