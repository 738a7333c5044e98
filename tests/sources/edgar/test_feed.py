"""The latest-filings Atom feed: entries, true UTC times, duplicates, the end-of-feed page."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from bot.errors import SourceDataInvalid
from bot.sources.edgar.feed import (
    is_earnings_release,
    is_end_of_feed,
    is_foreign_report,
    parse_feed,
)
from tests.sources.edgar.sec_server import EDGAR


def test_8k_feed_gives_each_filing_with_items_and_true_utc_acceptance() -> None:
    entries = parse_feed((EDGAR / "getcurrent_8k.xml").read_bytes())

    nvda = next(e for e in entries if e.cik == 1045810)
    assert nvda.accession == "0001045810-25-000021"
    assert nvda.form == "8-K"
    assert nvda.company == "NVIDIA CORP"
    assert nvda.role == "Filer"
    assert nvda.items == ("2.02", "9.01")
    assert nvda.filed == date(2025, 2, 26)
    assert nvda.accepted_at == datetime(2025, 2, 26, 21, 21, 32, tzinfo=UTC)
    assert nvda.index_url.endswith("/1045810/000104581025000021/0001045810-25-000021-index.htm")


def test_only_item_2_02_8ks_and_amendments_are_earnings_releases() -> None:
    entries = parse_feed((EDGAR / "getcurrent_8k.xml").read_bytes())

    earnings = [e.company for e in entries if is_earnings_release(e)]

    assert earnings == [
        "NVIDIA CORP", "ACME WIDGET CORP", "HARBOR MIDSTREAM PARTNERS L P", "CIRRUS CLOUD SOFTWARE INC",
    ]
    other = next(e for e in entries if e.company == "NORTHWIND BANCORP")
    assert other.items == ("8.01", "9.01") and not is_earnings_release(other)


def test_latin1_company_names_are_decoded() -> None:
    entries = parse_feed((EDGAR / "getcurrent_8k.xml").read_bytes())

    assert any(e.company == "SOCIÉTÉ DU LAC HOLDINGS INC" for e in entries)


def test_co_registrants_collapse_to_one_entry_listing_every_cik() -> None:
    entries = parse_feed((EDGAR / "getcurrent_8k.xml").read_bytes())

    shared = [e for e in entries if e.accession == "0001104659-25-017710"]

    assert len(shared) == 1
    assert shared[0].cik == 1999003
    assert shared[0].ciks == (1999003, 1999004)


def test_form_4_issuer_and_reporting_owner_become_one_entry_for_the_issuer() -> None:
    entries = parse_feed((EDGAR / "getcurrent_4.xml").read_bytes())

    assert [(e.accession, e.company, e.role) for e in entries] == [
        ("0001045810-25-000031", "NVIDIA CORP", "Issuer"),
        ("0001572985-25-000003", "ROYAL GOLD INC", "Issuer"),
    ]
    assert entries[0].ciks == (1045810, 1409110)
    assert entries[0].index_url.startswith("https://www.sec.gov/Archives/edgar/data/1045810/")


def test_6k_entries_have_no_items_and_are_foreign_reports() -> None:
    entries = parse_feed((EDGAR / "getcurrent_6k.xml").read_bytes())

    assert [e.company for e in entries] == ["Alibaba Group Holding Ltd", "EQUINOR ASA"]
    assert all(is_foreign_report(e) and e.items == () and not is_earnings_release(e) for e in entries)
    assert entries[0].accepted_at == datetime(2025, 2, 20, 11, 3, 41, tzinfo=UTC)


def test_the_file_unavailable_page_past_the_end_is_an_empty_feed() -> None:
    page = (EDGAR / "getcurrent_end_page.html").read_bytes()

    assert is_end_of_feed(page)
    assert parse_feed(page) == []


def test_a_body_that_is_neither_atom_nor_the_end_page_is_invalid() -> None:
    with pytest.raises(SourceDataInvalid):
        parse_feed(b"<html><body>Something else</body></html>")
    with pytest.raises(SourceDataInvalid):
        parse_feed(b'<?xml version="1.0"?><rss><channel/></rss>')


def test_an_entry_without_a_readable_title_is_skipped_not_fatal() -> None:
    body = (EDGAR / "getcurrent_6k.xml").read_bytes().replace(
        b"<title>6-K - EQUINOR ASA (0001140625) (Filer)</title>", b"<title>garbled</title>"
    )

    assert [e.company for e in parse_feed(body)] == ["Alibaba Group Holding Ltd"]
