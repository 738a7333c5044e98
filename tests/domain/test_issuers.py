"""A press release matches one watched company, by its listing, its feed or its name; otherwise None."""

from __future__ import annotations

import pytest

from bot.domain.issuers import Company, core_name, listed_tickers, match_company

WATCHED = [
    Company("NVDA", "NVIDIA CORP"), Company("AAPL", "Apple Inc."), Company("BABA", "Alibaba Group Holding Ltd"),
    Company("MSFT", "MICROSOFT CORP"), Company("AMZN", "AMAZON COM INC"), Company("BRK-B", "BERKSHIRE HATHAWAY INC"),
    Company("META", "Meta Platforms, Inc."),
]


@pytest.mark.parametrize(("text", "tickers"), [
    ("NVIDIA (NASDAQ: NVDA) today reported", ["NVDA"]),
    ("Alibaba Group Holding Limited (NYSE: BABA and HKEX: 9988 (HKD Counter))", ["BABA"]),
    ("Apple (Nasdaq: AAPL)", ["AAPL"]),
    ("Berkshire Hathaway (NYSE:BRK.B) and (NYSE: BRK.A)", ["BRK-B", "BRK-A"]),
    ("(NASDAQ-GS: ACME) (Nasdaq Global Select Market: ZETA) (NYSE American: XYZ)", ["ACME", "ZETA", "XYZ"]),
    ("Shopify (TSX: SHOP) (NASDAQ: SHOP)", ["SHOP"]),
    ("NVDA rose 5% on NASDAQ today; see nasdaq:nvda", []),
])
def test_listed_tickers(text: str, tickers: list[str]) -> None:
    assert listed_tickers(text) == tickers


@pytest.mark.parametrize(("title", "paragraph", "expected"), [
    ("NVIDIA Announces Financial Results for Fourth Quarter and Fiscal 2025",
     "SANTA CLARA, Calif., Feb. 26, 2025 (GLOBE NEWSWIRE) -- NVIDIA (NASDAQ: NVDA) today reported revenue", "NVDA"),
    ("Berkshire Hathaway Reports Fourth Quarter Results", "OMAHA, Neb. -- Berkshire Hathaway Inc. (NYSE:BRK.B)", "BRK-B"),
    ("Alibaba Group to Announce December Quarter 2024 Results", "", "BABA"),  # by name
    ("Apple reports first quarter results", "CUPERTINO, CALIFORNIA Apple today announced financial results", "AAPL"),
    ("Microsoft Cloud and AI strength fuels second quarter results",
     "REDMOND, Wash. — January 29, 2025 — Microsoft Corp. today announced the following results", "MSFT"),
    ("Amazon.com Announces Fourth Quarter Results",
     "SEATTLE--(BUSINESS WIRE)--Feb. 6, 2025-- Amazon.com, Inc. today announced financial results", "AMZN"),
])
def test_a_release_from_a_watched_company(title: str, paragraph: str, expected: str) -> None:
    assert match_company(title, paragraph, WATCHED) == expected


@pytest.mark.parametrize(("title", "paragraph"), [
    ("Foo Reports Fourth Quarter Results", "Foo Inc. (NASDAQ: FOO), a supplier to NVIDIA (NASDAQ: NVDA), today reported"),
    ("Apple Hospitality REIT Reports Fourth Quarter Results", "RICHMOND, Va. -- Apple Hospitality REIT, Inc. today"),
    ("Meta Financial Group Reports Results", "SIOUX FALLS -- Meta Financial Group today reported"),
    ("Apple and NVIDIA announce a partnership", "Apple (Nasdaq: AAPL) and NVIDIA (NASDAQ: NVDA) today announced"),
    ("Tesla Reports Fourth Quarter Results", "AUSTIN -- Tesla (NASDAQ: TSLA) today reported"),
    ("Quarterly results season begins", "Several companies report this week."),
    ("", "", ),
])
def test_no_company_or_two_is_none(title: str, paragraph: str) -> None:
    assert match_company(title, paragraph, WATCHED) is None


def test_an_ir_feed_belongs_to_its_company() -> None:
    assert match_company("Apple reports first quarter results", "", WATCHED, feed_ticker="AAPL") == "AAPL"
    assert match_company("Q1 update", "No names here.", WATCHED, feed_ticker="aapl") == "AAPL"


def test_an_ir_feed_of_an_unwatched_company_or_naming_another_watched_one_is_none() -> None:
    assert match_company("Tesla reports", "", WATCHED, feed_ticker="TSLA") is None
    partnership = "Apple (Nasdaq: AAPL) and NVIDIA (NASDAQ: NVDA) today announced"
    assert match_company("Apple and NVIDIA", partnership, WATCHED, feed_ticker="AAPL") is None


def test_the_wire_organization_names_the_issuer() -> None:
    assert match_company("Fourth quarter update", "", WATCHED, organization="NVIDIA Corporation") == "NVDA"
    assert match_company("Fourth quarter update", "", WATCHED, organization="Rosen Law Firm PA") is None


def test_no_candidates_matches_nothing() -> None:
    assert match_company("NVIDIA Announces Results", "NVIDIA (NASDAQ: NVDA)", []) is None


@pytest.mark.parametrize(("name", "core"), [
    ("NVIDIA CORP", "nvidia"), ("Alibaba Group Holding Ltd", "alibaba"), ("AMAZON COM INC", "amazon com"),
    ("Meta Platforms, Inc.", "meta platforms"), ("The Coca-Cola Company", "coca cola"), ("Inc.", ""),
])
def test_core_names(name: str, core: str) -> None:
    assert core_name(name) == core


def test_a_possessive_is_not_the_issuer() -> None:
    assert match_company("Apple's supplier reports fourth quarter results", "", WATCHED) is None


def test_among_many_candidates_the_named_one_is_found() -> None:
    many = [Company(f"A{i}", f"Name {i} Inc") for i in range(3000)] + WATCHED
    assert match_company("Apple reports first quarter results", "Apple today announced", many) == "AAPL"


JOINT_WATCHED = [*WATCHED, Company("KEST", "Kestrel Energy, Inc."), Company("CRSF", "Crestline Foods Corp"),
                 Company("JNJ", "JOHNSON & JOHNSON")]


@pytest.mark.parametrize(("title", "paragraph"), [
    ("Crestline and Kestrel Energy Report Fourth Quarter Results of Their Joint Venture",
     "DENVER -- Crestline Foods Corp. and Kestrel Energy, Inc. today reported fourth quarter results of Prairie"),
    ("Orion Widgets and Kestrel Energy Report Results of Their Joint Venture", ""),  # beside an unwatched one
    ("Prairie Midstream Reports Fourth Quarter Results",
     "DENVER -- Kestrel Energy, Inc. and Orion Widgets today reported results of Prairie Midstream"),
])
def test_a_joint_release_is_nobodys_alone(title: str, paragraph: str) -> None:
    assert match_company(title, paragraph, JOINT_WATCHED) is None


def test_an_ampersand_inside_a_name_is_no_joint_release() -> None:
    assert match_company("Johnson & Johnson Reports 2024 Fourth-Quarter Results",
                         "NEW BRUNSWICK, N.J. -- Johnson & Johnson today announced results", JOINT_WATCHED) == "JNJ"
    assert match_company("Kestrel Energy Reports Fourth Quarter 2024 Results",
                         "HOUSTON -- Kestrel Energy, Inc. today reported", JOINT_WATCHED) == "KEST"
