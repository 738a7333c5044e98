"""Contract tests over real SEC responses in ../shared/fixtures/sec (skipped when absent)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from decimal import Decimal

from bot.sources.edgar.companyfacts import quarterly_eps, quarterly_revenue, revenue_tag
from bot.sources.edgar.feed import is_earnings_release, is_foreign_report, parse_feed
from bot.sources.edgar.filing_index import (
    exhibit_99_1,
    is_results_6k,
    parse_filing_index,
    parse_sgml_header,
)
from bot.sources.edgar.press_release import extract_figures
from tests.conftest import shared_path


def _sec(name: str) -> bytes:
    return shared_path("fixtures", "sec", name).read_bytes()


def _facts(name: str) -> dict:  # type: ignore[type-arg]
    return json.loads(_sec(name), parse_float=Decimal)


def test_real_index_page_acceptance_is_new_york_time_converted_to_utc() -> None:
    index = parse_filing_index(_sec("sec_filing_index_NVDA_8-K_0001045810-26-000024-index.html"))

    assert index.accepted_at == datetime(2026, 3, 6, 21, 11, 25, tzinfo=UTC)
    assert index.items == ("5.02", "9.01")
    assert exhibit_99_1(index) is None  # a 5.02 filing has no press release
    assert [d.type for d in index.documents][:2] == ["8-K", "EX-10.1"]


def test_real_sgml_header_agrees_with_the_index_page() -> None:
    header = parse_sgml_header(_sec("sec_sgml_header_NVDA_8-K_0001045810-26-000024.txt"))

    assert header.accepted_at == datetime(2026, 3, 6, 21, 11, 25, tzinfo=UTC)
    assert header.items == ("5.02", "9.01")


def test_real_feed_pages_parse() -> None:
    entries = parse_feed(_sec("sec_getcurrent_atom_all_with_8k_item202.xml"))
    earnings = [e for e in entries if is_earnings_release(e)]
    johnson = next(e for e in earnings if e.cik == 788329)

    assert johnson.accepted_at == datetime(2025, 12, 12, 12, 0, 27, tzinfo=UTC)
    assert johnson.items == ("2.02", "9.01")
    assert any(is_foreign_report(e) for e in entries)
    assert len({e.accession for e in entries}) == len(entries)


def test_real_form_4_feed_keeps_the_issuer_of_each_pair() -> None:
    entries = parse_feed(_sec("sec_getcurrent_atom_type4_count100.xml"))

    assert len({e.accession for e in entries}) == len(entries)
    assert all(e.role != "Reporting" for e in entries if len(e.ciks) > 1)


def test_real_end_of_feed_page_is_empty() -> None:
    assert parse_feed(_sec("sec_getcurrent_atom_all_lastpage_start5100.xml")) == []


def test_real_companyfacts_derive_nvidia_q4_fy2025_revenue() -> None:
    facts = _facts("sec_companyfacts_CIK0001045810_NVDA.json")

    q4 = next(f for f in quarterly_revenue(facts) if f.end == date(2025, 1, 26))

    assert q4.value == Decimal("39331000000") and q4.derived
    assert all(f.end != date(2025, 1, 26) for f in quarterly_eps(facts))


def test_real_companyfacts_derive_alphabet_q4_2024_revenue() -> None:
    facts = _facts("sec_companyfacts_CIK0001652044_GOOGL.json")

    assert revenue_tag(facts) == "Revenues"
    q4 = next(f for f in quarterly_revenue(facts) if f.end == date(2024, 12, 31))
    assert q4.value == Decimal("96469000000")


def test_real_companyfacts_use_apples_current_revenue_tag() -> None:
    facts = _facts("sec_companyfacts_CIK0000320193_AAPL.json")

    assert revenue_tag(facts) == "RevenueFromContractWithCustomerExcludingAssessedTax"
    q1 = next(f for f in quarterly_revenue(facts) if f.end == date(2024, 12, 28))
    assert q1.value == Decimal("124300000000")
    eps = next(f for f in quarterly_eps(facts) if f.end == date(2024, 12, 28))
    assert eps.value == Decimal("2.40")


def test_real_companyconcept_documents_work_like_companyfacts() -> None:
    concept = _facts("DERIVED_sec_companyconcept_CIK0001045810_us-gaap_Revenues.json")

    q4 = next(f for f in quarterly_revenue(concept) if f.end == date(2025, 1, 26))
    assert q4.value == Decimal("39331000000")


def test_real_buckle_press_release_figures() -> None:
    release = extract_figures(_sec("sec_8k_ex99-1_BuckleInc_2024-11-22.html"))

    revenue = release.figure("revenue")
    assert revenue is not None
    # The text says $293.6 million; the table states it to the thousand.
    assert revenue.value == Decimal("293618000")
    assert revenue.value.quantize(Decimal("1E5")) == Decimal("2.936E8")
    assert release.figure("eps").value == Decimal("0.88")  # type: ignore[union-attr]
    assert release.figure("net_income").value == Decimal("44172000")  # type: ignore[union-attr]
    assert release.period_end == date(2024, 11, 2)
    assert release.conflicts == ()
    assert {f.metric for f in release.figures} == {"revenue", "eps", "net_income"}


def test_real_6k_cover_of_a_strategy_release_is_not_results() -> None:
    assert not is_results_6k(_sec("sec_6k_RoyalPhilips_2023-01-30.html"))
