"""Each feed item becomes nothing, a confirmed date for an event, or results for a watched company."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

from bot.domain.issuers import Company
from bot.domain.market_time import Timing
from bot.engine.newswire import (
    DateAnnounced,
    EventRef,
    Ignored,
    ResultsPublished,
    Skip,
    decide_item,
    decide_items,
)
from bot.sandbox.feeds import FakeFeeds, atom_feed, globenewswire_rss, prnewswire_rss
from bot.sources.feeds.client import FeedReader
from bot.sources.feeds.parse import FeedItem, parse_feed
from bot.sources.http import make_client
from tests.sources.feeds.samples import (
    AAPL_RESULTS,
    BABA_DATE,
    LAW_FIRM,
    META_RESULTS,
    NVDA_CALL,
    NVDA_RESULTS,
)

COMPANIES = [Company("NVDA", "NVIDIA CORP"), Company("AAPL", "Apple Inc."), Company("BABA", "Alibaba Group Holding Ltd")]
NVDA_EVENT = EventRef(event_id=7, ticker="NVDA", report_date=date(2025, 2, 26), reported=False)
LAST_QUARTER = EventRef(event_id=3, ticker="NVDA", report_date=date(2024, 11, 20), reported=True)
JUST_AFTER = NVDA_RESULTS.published + timedelta(seconds=40)


def item_of(body: bytes, url: str = "https://www.globenewswire.com/RssFeed/earnings") -> FeedItem:
    [item] = parse_feed(body, url).items
    return item


def test_fresh_results_of_a_watched_company_with_a_due_event() -> None:
    item = item_of(globenewswire_rss([NVDA_RESULTS]))
    decision = decide_item(item, COMPANIES, [LAST_QUARTER, NVDA_EVENT], now=JUST_AFTER, first_read=False)
    assert decision == ResultsPublished(item, "NVDA", 7)


def test_results_already_in_the_feed_at_its_first_read_say_nothing() -> None:
    item = item_of(globenewswire_rss([NVDA_RESULTS]))
    decision = decide_item(item, COMPANIES, [NVDA_EVENT], now=JUST_AFTER, first_read=True)
    assert decision == Ignored(item, Skip.FIRST_READ, "NVDA")


def test_results_published_more_than_a_day_ago_say_nothing() -> None:
    item = item_of(globenewswire_rss([NVDA_RESULTS]))
    later = NVDA_RESULTS.published + timedelta(hours=24, minutes=1)
    assert decide_item(item, COMPANIES, [NVDA_EVENT], now=later, first_read=False) == Ignored(item, Skip.TOO_OLD, "NVDA")


def test_results_of_an_event_already_reported_say_nothing_but_name_the_event() -> None:
    item = item_of(globenewswire_rss([NVDA_RESULTS]))
    reported = replace(NVDA_EVENT, reported=True)
    assert decide_item(item, COMPANIES, [reported], now=JUST_AFTER, first_read=False) == Ignored(
        item, Skip.REPORTED, "NVDA", reported.event_id)


def test_results_without_an_event_near_them_say_nothing() -> None:
    item = item_of(globenewswire_rss([NVDA_RESULTS]))
    assert decide_item(item, COMPANIES, [LAST_QUARTER], now=JUST_AFTER, first_read=False) == Ignored(
        item, Skip.NO_EVENT, "NVDA")


def test_a_date_announcement_confirms_the_event_even_at_the_first_read() -> None:
    item = item_of(globenewswire_rss([NVDA_CALL]))
    decision = decide_item(item, COMPANIES, [LAST_QUARTER, NVDA_EVENT], now=JUST_AFTER, first_read=True)
    assert isinstance(decision, DateAnnounced)
    assert (decision.ticker, decision.event_id) == ("NVDA", 7)
    assert decision.announced.report_date == date(2025, 2, 26)
    assert decision.announced.timing is Timing.AMC
    assert decision.announced.call_at == datetime(2025, 2, 26, 22, 0, tzinfo=UTC)


def test_a_date_for_a_company_without_a_known_event() -> None:
    item = item_of(prnewswire_rss([BABA_DATE]), "https://www.prnewswire.com/rss/financial.rss")
    decision = decide_item(item, COMPANIES, [], now=BABA_DATE.published, first_read=False)
    assert isinstance(decision, DateAnnounced)
    assert (decision.ticker, decision.event_id, decision.announced.report_date) == ("BABA", None, date(2025, 2, 20))
    assert decision.announced.timing is Timing.BMO


def test_an_ir_feed_item_belongs_to_the_feed_company() -> None:
    url = "https://www.apple.com/newsroom/rss-feed.rss"
    items = parse_feed(atom_feed([AAPL_RESULTS]), url).items
    event = EventRef(event_id=11, ticker="AAPL", report_date=date(2025, 1, 30), reported=False)
    [decision] = decide_items(items, COMPANIES, [event], now=AAPL_RESULTS.published, first_read=False,
                              feed_tickers={url: "AAPL"})
    assert decision == ResultsPublished(items[0], "AAPL", 11)


def test_law_firms_unwatched_companies_are_ignored_with_a_reason() -> None:
    items = parse_feed(globenewswire_rss([LAW_FIRM]) , "https://gnw").items + parse_feed(
        prnewswire_rss([META_RESULTS]), "https://prn").items
    decisions = decide_items(items, COMPANIES, [NVDA_EVENT], now=LAW_FIRM.published, first_read=False)
    assert [d.reason for d in decisions if isinstance(d, Ignored)] == [Skip.NOT_EARNINGS, Skip.NO_COMPANY]


async def test_over_the_loopback_feed_the_first_read_dates_and_a_later_release_reports() -> None:
    async with FakeFeeds() as fake, make_client() as client:
        reader = FeedReader(client, contact="Jane Doe jane@example.com")
        url = fake.publish("/gnw", globenewswire_rss([NVDA_CALL]))
        first = await reader.fetch(url)
        seen = decide_items(first.items, COMPANIES, [NVDA_EVENT], now=JUST_AFTER, first_read=True)
        fake.publish("/gnw", globenewswire_rss([NVDA_RESULTS, NVDA_CALL]))
        second = await reader.fetch(url)
        new = [item for item in second.items if item.guid not in {i.guid for i in first.items}]
        later = decide_items(new, COMPANIES, [NVDA_EVENT], now=JUST_AFTER, first_read=False)
        third = await reader.fetch(url)
    assert [type(d) for d in seen] == [DateAnnounced]
    assert later == [ResultsPublished(new[0], "NVDA", 7)]
    assert third.not_modified and third.items == ()


def test_a_date_announcement_whose_day_has_passed_says_nothing() -> None:
    item = item_of(globenewswire_rss([NVDA_CALL]))
    in_march = datetime(2025, 3, 3, 15, 0, tzinfo=UTC)
    assert decide_item(item, COMPANIES, [NVDA_EVENT], now=in_march, first_read=True) == Ignored(
        item, Skip.PAST_DATE, "NVDA")
