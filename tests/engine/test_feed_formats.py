"""Every recognising and matching rule on feed items as each service serves them: GlobeNewswire's
earnings subject feed, PR Newswire's financial feed, a Business Wire feed and a Q4-style IR site's
press-release feed (tests/fixtures/feeds, written in their formats)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.domain.issuers import Company
from bot.domain.market_time import Timing
from bot.engine.newswire import (
    DateAnnounced,
    Decision,
    EventRef,
    Ignored,
    ResultsPublished,
    Skip,
    decide_item,
)
from bot.sources.feeds.parse import FeedItem, parse_feed
from tests.conftest import FIXTURES

NEW_YORK = ZoneInfo("America/New_York")
FEEDS = FIXTURES / "feeds"
GLOBENEWSWIRE = "https://www.globenewswire.com/RssFeed/subjectcode/13-Earnings%20Releases%20And%20Operating%20Results"
PRNEWSWIRE = "https://www.prnewswire.com/rss/financial-services-latest-news/financial-services-latest-news-list.rss"
BUSINESSWIRE = "https://feed.businesswire.com/rss/home/?rss=G1QFDERJXkJeGVtRWA=="
META_IR = "https://investor.atmeta.com/rss/pressrelease.aspx"
WATCHED = [
    Company("NVDA", "NVIDIA CORP"), Company("KEST", "Kestrel Energy, Inc."), Company("CRSF", "Crestline Foods Corp"),
    Company("META", "Meta Platforms, Inc."), Company("BABA", "Alibaba Group Holding Ltd"),
    Company("AMZN", "AMAZON COM INC"),
]
EVENTS = [
    EventRef(1, "NVDA", date(2025, 2, 26), reported=False), EventRef(2, "KEST", date(2025, 3, 4), reported=False),
    EventRef(3, "META", date(2025, 1, 29), reported=False), EventRef(4, "BABA", date(2025, 2, 21), reported=False),
    EventRef(5, "AMZN", date(2025, 2, 6), reported=False), EventRef(6, "CRSF", date(2025, 2, 27), reported=False),
]


def items(name: str, url: str) -> dict[str, FeedItem]:
    parsed = parse_feed((FEEDS / name).read_bytes(), url)
    assert parsed.skipped == 0
    return {item.title: item for item in parsed.items}


def decide(item: FeedItem, *, feed_ticker: str | None = None, first_read: bool = False,
           events: list[EventRef] = EVENTS, after: timedelta = timedelta(seconds=40)) -> Decision:
    return decide_item(item, WATCHED, events, now=item.published + after, first_read=first_read,
                       feed_ticker=feed_ticker)


def ny(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=NEW_YORK)


GNW = items("globenewswire_earnings.xml", GLOBENEWSWIRE)
PRN = items("prnewswire_financial.xml", PRNEWSWIRE)
BW = items("businesswire_earnings.xml", BUSINESSWIRE)
Q4 = items("q4_meta_pressrelease.xml", META_IR)


def test_the_formats_carry_what_the_rules_read() -> None:
    nvda = GNW["NVIDIA Announces Financial Results for Fourth Quarter and Fiscal 2025"]
    assert nvda.published == ny(2025, 2, 26, 16, 20)  # GlobeNewswire: minutes, GMT
    assert nvda.organization == "NVIDIA Corporation" and "(NASDAQ: NVDA) today reported" in nvda.summary
    meta = PRN["Meta Reports Fourth Quarter and Full Year 2024 Results"]
    assert meta.published == ny(2025, 1, 29, 16, 5)  # PR Newswire: a -0500 offset
    amzn = BW["Amazon.com Announces Fourth Quarter Results"]
    assert (amzn.guid, amzn.published) == ("20250206093126", ny(2025, 2, 6, 16, 1))  # Business Wire: UTC
    ir = Q4["Meta Reports Fourth Quarter and Full Year 2024 Results"]
    assert ir.published == ny(2025, 1, 29, 16, 4, ) + timedelta(seconds=31)  # Q4: seconds, CDATA HTML
    assert ir.summary.startswith("MENLO PARK, Calif.") and "<p>" not in ir.summary


@pytest.mark.parametrize(("feed", "title", "ticker", "event_id"), [
    (GNW, "NVIDIA Announces Financial Results for Fourth Quarter and Fiscal 2025", "NVDA", 1),  # listing
    (PRN, "Meta Reports Fourth Quarter and Full Year 2024 Results", "META", 3),  # "(Nasdaq: META)"
    (BW, "Amazon.com Announces Fourth Quarter Results", "AMZN", 5),  # listing, Business Wire's dateline
])
def test_wire_results_of_a_watched_company_report_its_event(
        feed: dict[str, FeedItem], title: str, ticker: str, event_id: int) -> None:
    item = feed[title]
    assert decide(item) == ResultsPublished(item, ticker, event_id)


def test_an_ir_feed_item_is_its_company_s_by_the_feed_it_came_from() -> None:
    item = Q4["Meta Reports Fourth Quarter and Full Year 2024 Results"]
    assert decide(item, feed_ticker="META") == ResultsPublished(item, "META", 3)
    # the same item from an IR feed configured for another watched company names no one
    assert decide(item, feed_ticker="NVDA") == Ignored(item, Skip.NO_COMPANY)


@pytest.mark.parametrize(("feed", "title", "ticker", "event_id", "day", "timing", "call"), [
    (GNW, "Kestrel Energy to Host Fourth Quarter 2024 Earnings Conference Call", "KEST", 2, date(2025, 3, 5),
     Timing.AMC, ny(2025, 3, 5, 17)),  # "to host ... conference call", "after the market closes"
    (PRN, "Alibaba Group to Announce December Quarter 2024 Results", "BABA", 4, date(2025, 2, 20),
     Timing.BMO, ny(2025, 2, 20, 7, 30)),  # "to announce", "before the U.S. market opens"
    (BW, "Amazon.com to Webcast Fourth Quarter 2024 Financial Results Conference Call", "AMZN", 5,
     date(2025, 2, 6), Timing.AMC, ny(2025, 2, 6, 17)),  # only the call: 5 p.m. ET, so after the close
    (Q4, "Meta to Announce Fourth Quarter and Full Year 2024 Results", "META", 3, date(2025, 1, 29),
     Timing.AMC, ny(2025, 1, 29, 17)),  # "will report ... following the close of market"
])
def test_date_announcements_confirm_the_day_time_and_call(
        feed: dict[str, FeedItem], title: str, ticker: str, event_id: int, day: date, timing: Timing,
        call: datetime) -> None:
    item = feed[title]
    decision = decide(item, feed_ticker="META" if feed is Q4 else None, first_read=True)  # dates: even at the first read
    assert isinstance(decision, DateAnnounced), decision
    assert (decision.ticker, decision.event_id) == (ticker, event_id)
    assert (decision.announced.report_date, decision.announced.timing) == (day, timing)
    assert decision.announced.call_at == call


def test_the_webcast_link_of_a_date_announcement() -> None:
    decision = decide(Q4["Meta to Announce Fourth Quarter and Full Year 2024 Results"], feed_ticker="META")
    assert isinstance(decision, DateAnnounced)
    assert decision.announced.webcast_url == "https://investor.atmeta.com/investor-events/"
    kestrel = decide(GNW["Kestrel Energy to Host Fourth Quarter 2024 Earnings Conference Call"])
    assert isinstance(kestrel, DateAnnounced)
    assert kestrel.announced.webcast_url == "https://ir.kestrelenergy.example/events"


@pytest.mark.parametrize(("feed", "title"), [
    (GNW, "NVDA INVESTOR ALERT: Rosen Law Firm Announces Investigation of NVIDIA Corporation Following Fourth "
          "Quarter Results"),  # a law firm, though it names NVDA and "results"
    (PRN, "Meta Platforms to Present at the Morgan Stanley Technology, Media & Telecom Conference"),
    (BW, "Amazon.com Files Notice of 2025 Annual Meeting of Shareholders"),
    (Q4, "Meta Announces Quarterly Cash Dividend"),
])
def test_what_is_neither_results_nor_a_date_says_nothing(feed: dict[str, FeedItem], title: str) -> None:
    item = feed[title]
    assert decide(item, feed_ticker="META" if feed is Q4 else None) == Ignored(item, Skip.NOT_EARNINGS)


@pytest.mark.parametrize(("feed", "title"), [
    (GNW, "Orion Widgets Reports Fourth Quarter 2024 Results"),  # its own listing comes first: not a customer's
    (GNW, "Crestline and Kestrel Energy Report Fourth Quarter Results of Their Joint Venture"),  # two watched
    (PRN, "First Harbor Bancorp Schedules Fourth Quarter 2024 Earnings Conference Call"),  # nobody watches it
])
def test_an_item_of_no_watched_company_or_of_two_is_ignored(feed: dict[str, FeedItem], title: str) -> None:
    item = feed[title]
    assert decide(item) == Ignored(item, Skip.NO_COMPANY)


def test_results_at_the_first_read_or_a_day_old_or_of_a_reported_event_alert_nobody() -> None:
    item = GNW["NVIDIA Announces Financial Results for Fourth Quarter and Fiscal 2025"]
    assert decide(item, first_read=True) == Ignored(item, Skip.FIRST_READ, "NVDA")
    assert decide(item, after=timedelta(hours=24, seconds=1)) == Ignored(item, Skip.TOO_OLD, "NVDA")
    assert decide(item, after=timedelta(hours=23, minutes=59)) == ResultsPublished(item, "NVDA", 1)
    reported = [EventRef(1, "NVDA", date(2025, 2, 26), reported=True)]
    assert decide(item, events=reported) == Ignored(item, Skip.REPORTED, "NVDA", 1)
