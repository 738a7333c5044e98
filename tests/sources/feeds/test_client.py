"""The feed reader over real HTTP against the loopback feeds: conditional GET, failures with retry_after."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest

from bot.errors import SourceDataInvalid, SourceUnavailable
from bot.sandbox.feeds import FakeFeeds, atom_feed, globenewswire_rss, prnewswire_rss
from bot.sources.feeds.client import BLOCKED_RETRY_AFTER, FeedReader, Validators, feed_user_agent
from bot.sources.http import make_client
from tests.sources.feeds.samples import AAPL_RESULTS, META_RESULTS, NVDA_CALL, NVDA_RESULTS

CONTACT = "Jane Doe jane@example.com"


@pytest.fixture
async def fake() -> AsyncIterator[FakeFeeds]:
    async with FakeFeeds() as server:
        yield server


@pytest.fixture
async def reader() -> AsyncIterator[FeedReader]:
    async with make_client() as client:
        yield FeedReader(client, contact=CONTACT)


async def test_a_read_returns_the_items_and_names_the_bot_and_its_contact(fake: FakeFeeds, reader: FeedReader) -> None:
    url = fake.publish("/gnw", globenewswire_rss([NVDA_RESULTS, NVDA_CALL]))
    read = await reader.fetch(url)
    assert not read.not_modified
    assert [item.title for item in read.items] == [NVDA_RESULTS.title, NVDA_CALL.title]
    assert read.items[0].feed_url == url
    headers = fake.requests[0].headers
    assert headers["User-Agent"] == "earnings-bot/0.1 (Jane Doe jane@example.com)"
    assert "If-None-Match" not in headers and "If-Modified-Since" not in headers


async def test_an_unchanged_feed_answers_304_and_gives_no_items(fake: FakeFeeds, reader: FeedReader) -> None:
    url = fake.publish("/prn", prnewswire_rss([META_RESULTS]), modified=datetime(2025, 1, 29, 21, 5, tzinfo=UTC))
    first = await reader.fetch(url)
    again = await reader.fetch(url)
    assert len(first.items) == 1
    assert again.not_modified and again.items == ()
    assert fake.statuses("/prn") == [200, 304]
    sent = fake.requests[1].headers
    assert sent["If-None-Match"] == reader.validators[url].etag
    assert sent["If-Modified-Since"] == "Wed, 29 Jan 2025 21:05:00 GMT"


async def test_a_changed_feed_is_read_again(fake: FakeFeeds, reader: FeedReader) -> None:
    url = fake.publish("/gnw", globenewswire_rss([NVDA_CALL]))
    await reader.fetch(url)
    fake.publish("/gnw", globenewswire_rss([NVDA_RESULTS, NVDA_CALL]))
    read = await reader.fetch(url)
    assert [item.title for item in read.items] == [NVDA_RESULTS.title, NVDA_CALL.title]
    assert fake.statuses("/gnw") == [200, 200]


async def test_last_modified_alone_is_enough_for_a_304(fake: FakeFeeds) -> None:
    url = fake.publish("/ir", atom_feed([AAPL_RESULTS]), modified=datetime(2025, 1, 30, 21, 30, tzinfo=UTC))
    known = {url: Validators(last_modified="Thu, 30 Jan 2025 21:30:00 GMT")}
    async with make_client() as client:
        read = await FeedReader(client, contact=CONTACT, validators=known).fetch(url)
    assert read.not_modified
    assert fake.statuses("/ir") == [304]


async def test_the_validators_of_each_feed_can_be_kept(fake: FakeFeeds, reader: FeedReader) -> None:
    url = fake.publish("/gnw", globenewswire_rss([NVDA_RESULTS]), modified=datetime(2025, 2, 26, 21, 20, tzinfo=UTC))
    await reader.fetch(url)
    kept = reader.validators[url]
    assert kept.etag and kept.etag.startswith('"')
    assert kept.last_modified == "Wed, 26 Feb 2025 21:20:00 GMT"


@pytest.mark.parametrize(("status", "retry_after", "expected"), [
    (403, None, BLOCKED_RETRY_AFTER), (403, "60", BLOCKED_RETRY_AFTER), (403, "3000", 3000.0),
    (401, None, BLOCKED_RETRY_AFTER), (429, "120", 120.0), (429, None, 60.0), (503, "30", 30.0),
    (500, None, 60.0), (404, None, 3600.0), (410, None, 3600.0), (400, None, 60.0),
])
async def test_failures_are_unavailable_with_a_retry_after(
    fake: FakeFeeds, reader: FeedReader, status: int, retry_after: str | None, expected: float,
) -> None:
    url = fake.publish("/gnw", globenewswire_rss([NVDA_RESULTS]))
    fake.fail("/gnw", status, retry_after=retry_after)
    with pytest.raises(SourceUnavailable) as caught:
        await reader.fetch(url)
    assert caught.value.retry_after == expected
    assert f"HTTP {status}" in str(caught.value)


async def test_a_feed_that_was_never_published_is_gone(fake: FakeFeeds, reader: FeedReader) -> None:
    with pytest.raises(SourceUnavailable, match="HTTP 404"):
        await reader.fetch(fake.url + "/rss/news-releases")


async def test_an_html_page_instead_of_a_feed_is_invalid_data(fake: FakeFeeds, reader: FeedReader) -> None:
    url = fake.publish("/bw", b"<!DOCTYPE html><html><body><h1>Access Denied</h1></body></html>",
                       content_type="text/html")
    with pytest.raises(SourceDataInvalid):
        await reader.fetch(url)
    assert url not in reader.validators  # an answer that was not a feed is not remembered


async def test_a_server_that_is_not_there_is_unavailable(reader: FeedReader) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(SourceUnavailable) as caught:
        await reader.fetch(f"http://127.0.0.1:{port}/feed")
    assert caught.value.retry_after == 60.0


async def test_a_recovered_feed_reads_again(fake: FakeFeeds, reader: FeedReader) -> None:
    url = fake.publish("/gnw", globenewswire_rss([NVDA_RESULTS]))
    fake.fail("/gnw", 502)
    with pytest.raises(SourceUnavailable):
        await reader.fetch(url)
    fake.heal("/gnw")
    read = await reader.fetch(url)
    assert [item.title for item in read.items] == [NVDA_RESULTS.title]


def test_the_user_agent_needs_a_contact() -> None:
    assert feed_user_agent("  Jane   Doe jane@example.com ") == "earnings-bot/0.1 (Jane Doe jane@example.com)"
    with pytest.raises(ValueError, match="SEC_USER_AGENT"):
        feed_user_agent("  ")


async def test_reading_every_feed_at_once_keeps_each_answer_apart(fake: FakeFeeds, reader: FeedReader) -> None:
    gnw = fake.publish("/gnw", globenewswire_rss([NVDA_RESULTS]))
    prn = fake.publish("/prn", prnewswire_rss([META_RESULTS]))
    blocked = fake.publish("/bw", globenewswire_rss([NVDA_CALL]))
    fake.fail("/bw", 403)
    reads = await reader.fetch_all([gnw, prn, blocked, gnw])
    assert list(reads) == [gnw, prn, blocked]
    good, other, refused = reads[gnw], reads[prn], reads[blocked]
    assert not isinstance(good, Exception) and [i.title for i in good.items] == [NVDA_RESULTS.title]
    assert not isinstance(other, Exception) and [i.title for i in other.items] == [META_RESULTS.title]
    assert isinstance(refused, SourceUnavailable) and refused.retry_after == BLOCKED_RETRY_AFTER
