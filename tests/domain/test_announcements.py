"""Results, a date announcement, or neither: titles and first paragraphs as the wires print them."""

from __future__ import annotations

import pytest

from bot.domain.announcements import Announcement, classify

RESULTS = [
    "Reports Fourth Quarter and Fiscal 2025 Financial Results",
    "NVIDIA Announces Financial Results for Fourth Quarter and Fiscal 2025",
    "Meta Reports Fourth Quarter and Full Year 2024 Results",
    "Amazon.com Announces Fourth Quarter Results",
    "Apple reports first quarter results",
    "Alibaba Group Announces December Quarter 2024 Results",
    "Microsoft Cloud and AI strength fuels second quarter results",
    "Acme announces results for the third quarter of 2024",
    "Acme Reports Q3 Results and Will Host Conference Call",
    "Acme Corp. Reports Record Fourth-Quarter Earnings",
    "Acme Posts Fiscal 2025 Second-Quarter Results; Raises Outlook to $5.10",
    "ACME REPORTS FOURTH QUARTER AND FULL YEAR 2024 FINANCIAL RESULTS",
    "Alphabet Announces Fourth Quarter and Fiscal Year 2024 Results",
    "Tesla Releases Fourth Quarter and Full Year 2024 Financial Results",
    "Walmart Releases Q4 FY25 Earnings",
    "Costco Wholesale Corporation Reports Second Quarter and Year-to-Date Operating Results",
]
DATES = [
    "Alibaba Group to Announce December Quarter 2024 Results",
    "NVIDIA Sets Conference Call for Fourth-Quarter Financial Results",
    "Acme to Host Fourth Quarter 2024 Earnings Conference Call",
    "Acme Will Report Third Quarter Results on November 5",
    "Acme Schedules Conference Call to Discuss Q4 Results",
    "Acme to Release Fourth Quarter Results on February 26, 2025",
    "Acme Announces Fourth Quarter 2024 Earnings Release Date and Conference Call",
    "Acme Announces Conference Call to Discuss Fourth Quarter Results",
    "Acme Announces Date of Fourth Quarter 2024 Financial Results",
    "Acme Sets Date for Third Quarter Earnings Release",
    "Acme to Webcast Fourth Quarter Results",
    "Microsoft Announces Quarterly Earnings Release Date",
    "Salesforce Announces Date for Fourth Quarter and Full Fiscal Year 2025 Results Conference Call",
    "Tesla Fourth Quarter & Full Year 2024 Financial Results Webcast",
    "Acme Reschedules Fourth Quarter Earnings Release to March 3",
    "Acme Provides Update on Timing of Its Fourth Quarter Results",
]
OTHER = [
    "Acme Announces Positive Phase 3 Trial Results",
    "NVDA INVESTOR ALERT: Rosen Law Firm Announces Investigation of NVIDIA Corporation Following Results",
    "Acme Shareholders Who Lost Money: Class Action Filed After Disappointing Quarterly Results",
    "Acme Announces Quarterly Dividend",
    "Acme Announces Results of Annual Meeting Vote",
    "Acme Reports Topline Results from Study of 400 Patients",
    "Acme Announces Pricing of $500 Million Senior Notes Offering",
    "Acme Reports Results",
    "NVIDIA Announces Upcoming Events for Financial Community",
    "Acme to Present at the J.P. Morgan Healthcare Conference",
    "Acme Schedules Annual Meeting of Shareholders",
    "Costco Wholesale Corporation Reports February Sales Results",
    "",
]


@pytest.mark.parametrize("title", RESULTS)
def test_titles_that_report_results(title: str) -> None:
    assert classify(title) is Announcement.RESULTS


@pytest.mark.parametrize("title", DATES)
def test_titles_that_only_announce_a_date(title: str) -> None:
    assert classify(title) is Announcement.DATE


@pytest.mark.parametrize("title", OTHER)
def test_titles_that_are_neither(title: str) -> None:
    assert classify(title) is Announcement.OTHER


def test_the_first_paragraph_decides_when_the_title_does_not() -> None:
    reported = ("NEW YORK, Feb. 3, 2025 (GLOBE NEWSWIRE) -- Acme Corp. (NYSE: ACME) today announced financial "
                "results for the fourth quarter ended December 31, 2024.")
    dated = ("NEW YORK, Feb. 3, 2025 /PRNewswire/ -- Acme Corp. (NYSE: ACME) today announced that it will release "
             "its fourth quarter results after market close on February 26, 2025.")
    unrelated = "NEW YORK -- Acme Corp. (NYSE: ACME) today announced a new chief executive officer."
    meeting = "NEW YORK -- Acme Corp. (NYSE: ACME) will hold its annual meeting on May 5, 2025."
    assert classify("Acme Corporation Update", reported) is Announcement.RESULTS
    assert classify("Acme Corporation Update", dated) is Announcement.DATE
    assert classify("Acme Corporation Update", unrelated) is Announcement.OTHER
    assert classify("Acme Corporation Update", meeting) is Announcement.OTHER


def test_a_clear_title_is_not_overruled_by_the_paragraph() -> None:
    paragraph = "Acme will host a conference call at 5 p.m. ET today."
    assert classify("Acme Reports Fourth Quarter 2024 Results", paragraph) is Announcement.RESULTS


def test_a_law_firm_title_is_never_results_whatever_the_paragraph() -> None:
    paragraph = "Acme (NASDAQ: ACME) today reported results for the fourth quarter."
    assert classify("ACME DEADLINE ALERT: Investors Who Lost Money", paragraph) is Announcement.OTHER
