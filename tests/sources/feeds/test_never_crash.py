"""Whatever a feed or a release says, reading it returns a value or SourceDataInvalid, never a crash."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.domain.announced_dates import read_announced_date
from bot.domain.announcements import Announcement, classify
from bot.domain.issuers import Company, match_company
from bot.errors import SourceDataInvalid
from bot.sandbox.feeds import globenewswire_rss, q4_rss
from bot.sources.feeds.parse import FeedItem, parse_feed
from tests.sources.feeds.samples import BABA_DATE, NVDA_CALL, NVDA_RESULTS

FEED = globenewswire_rss([NVDA_RESULTS, NVDA_CALL]) + q4_rss([BABA_DATE])
WORDS = st.sampled_from([
    "Reports", "to", "Announce", "Results", "Quarter", "on", "February", "26,", "2025", "at", "4:20", "p.m.",
    "ET", "(NASDAQ:", "NVDA)", "conference", "call", "after", "market", "close", "Pacific", "time", "--",
    "https://x.example/webcast", "ended", "Wednesday,", "99:99", "Feb.", "31", "noon", "same", "day.",
])
TEXT = st.one_of(st.text(max_size=300), st.lists(WORDS, max_size=40).map(" ".join))
PUBLISHED = datetime(2025, 1, 29, 21, 15, tzinfo=UTC)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cuts=st.lists(st.tuples(st.integers(0, len(FEED)), st.integers(0, 40)), max_size=6),
       junk=st.binary(max_size=20))
def test_a_damaged_feed_gives_items_or_invalid_data(cuts: list[tuple[int, int]], junk: bytes) -> None:
    body = FEED
    for start, length in cuts:
        body = body[:start] + junk + body[start + length:]
    try:
        parsed = parse_feed(body, "https://feed.example")
    except SourceDataInvalid:
        return
    assert all(isinstance(item, FeedItem) and item.title and item.published.tzinfo is UTC for item in parsed.items)
    assert parsed.skipped >= 0


@settings(max_examples=300, deadline=None)
@given(title=TEXT, paragraph=TEXT)
def test_any_text_is_classified_dated_and_matched_without_a_crash(title: str, paragraph: str) -> None:
    assert classify(title, paragraph) in set(Announcement)
    announced = read_announced_date(f"{title}. {paragraph}", PUBLISHED, ("https://x.example/event",))
    if announced is not None:
        assert announced.report_date >= PUBLISHED.date()
        assert all(m is None or m.tzinfo is not None for m in (announced.report_at, announced.call_at))
    found = match_company(title, paragraph, [Company("NVDA", "NVIDIA CORP"), Company("X", "")])
    assert found in (None, "NVDA", "X")
