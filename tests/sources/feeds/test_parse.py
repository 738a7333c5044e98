"""The one feed parser reads every wire's format, and bad input costs the bad item only."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.errors import SourceDataInvalid
from bot.sandbox.feeds import atom_feed, businesswire_rss, globenewswire_rss, prnewswire_rss, q4_rss
from bot.sources.feeds.parse import describe, parse_date, parse_feed, plain_text
from tests.sources.feeds.samples import (
    AAPL_RESULTS,
    AMZN_RESULTS,
    BABA_DATE,
    META_RESULTS,
    NVDA_CALL,
    NVDA_RESULTS,
)

URL = "https://feeds.example/earnings"


def test_globenewswire_items_carry_title_link_minute_date_lead_and_issuer() -> None:
    parsed = parse_feed(globenewswire_rss([NVDA_RESULTS, NVDA_CALL]), URL)
    assert parsed.skipped == 0
    first, second = parsed.items
    assert first.feed_url == URL
    assert first.title == "NVIDIA Announces Financial Results for Fourth Quarter and Fiscal 2025"
    assert first.link == first.guid
    assert first.link.startswith("https://www.globenewswire.com/news-release/2025/02/26/3033375/0/en/")
    assert first.published == datetime(2025, 2, 26, 21, 20, tzinfo=UTC)  # the feed has minutes only
    assert first.summary.startswith("SANTA CLARA, Calif., Feb. 26, 2025 (GLOBE NEWSWIRE) -- NVIDIA (NASDAQ: NVDA)")
    assert first.summary.endswith("up 78% from a year ago.")
    assert "GAAP earnings per diluted share were $0.89" in first.text
    assert first.organization == "NVIDIA Corporation"
    assert second.links == ("https://investor.nvidia.com/events-and-presentations/default.aspx",)


def test_prnewswire_plain_text_lead_and_new_york_offset() -> None:
    [item] = parse_feed(prnewswire_rss([META_RESULTS]), URL).items
    assert item.title == "Meta Reports Fourth Quarter and Full Year 2024 Results"
    assert item.published == datetime(2025, 1, 29, 21, 5, tzinfo=UTC)
    assert item.published.tzinfo is UTC
    assert item.summary.startswith("MENLO PARK, Calif., Jan. 29, 2025 /PRNewswire/ -- Meta Platforms, Inc. (Nasdaq: META)")
    assert item.link.endswith("-302362441.html")


def test_businesswire_numeric_guid_and_utc_dates() -> None:
    [item] = parse_feed(businesswire_rss([AMZN_RESULTS]), URL).items
    assert item.guid == "20250206250206"
    assert item.link.startswith("https://www.businesswire.com/news/home/20250206250206/en/")
    assert item.published == datetime(2025, 2, 6, 21, 1, tzinfo=UTC)
    assert "(NASDAQ: AMZN) today announced financial results" in item.summary


def test_q4_ir_feed_cdata_html() -> None:
    [item] = parse_feed(q4_rss([BABA_DATE]), URL).items
    assert item.title == "Alibaba Group to Announce December Quarter 2024 Results"
    assert item.summary.startswith("HANGZHOU, China")
    assert "7:30 a.m. U.S. Eastern Time" in item.text
    assert item.published == datetime(2025, 1, 23, 9, 0, tzinfo=UTC)


def test_atom_default_namespace_and_updated_only() -> None:
    [item] = parse_feed(atom_feed([AAPL_RESULTS]), URL).items
    assert item.title == "Apple reports first quarter results"
    assert item.link == "https://www.apple.com/newsroom/2025/01/apple-reports-first-quarter-results/"
    assert item.published == datetime(2025, 1, 30, 21, 30, tzinfo=UTC)
    assert item.summary.startswith("CUPERTINO, CALIFORNIA Apple today announced financial results")


def test_html_and_double_escaped_entities_in_titles_become_text() -> None:
    body = b"""<?xml version="1.0"?><rss version="2.0"><channel><title>x</title>
    <item><title>&lt;b&gt;AT&amp;amp;T&lt;/b&gt; Inc. Reports  Fourth-Quarter&#160;Results</title>
    <link>https://x.example/1</link><pubDate>Mon, 27 Jan 2025 11:30:00 EST</pubDate></item>
    </channel></rss>"""
    [item] = parse_feed(body, URL).items
    assert item.title == "AT&T Inc. Reports Fourth-Quarter Results"
    assert item.published == datetime(2025, 1, 27, 16, 30, tzinfo=UTC)
    assert item.summary == ""


def test_items_without_title_identity_or_date_are_skipped_and_counted() -> None:
    body = b"""<?xml version="1.0"?><rss version="2.0"><channel><title>x</title>
    <item><link>https://x.example/no-title</link><pubDate>Mon, 27 Jan 2025 11:30:00 GMT</pubDate></item>
    <item><title>No link</title><pubDate>Mon, 27 Jan 2025 11:30:00 GMT</pubDate></item>
    <item><title>No date</title><link>https://x.example/no-date</link></item>
    <item><title>Bad date</title><link>https://x.example/bad</link><pubDate>sometime next week</pubDate></item>
    <item><title>Good</title><link>https://x.example/good</link><pubDate>2025-01-27T11:30:00Z</pubDate></item>
    <item><title>Good again</title><link>https://x.example/good</link><pubDate>2025-01-27T11:30:00Z</pubDate></item>
    </channel></rss>"""
    parsed = parse_feed(body, URL)
    assert [item.title for item in parsed.items] == ["Good"]
    assert parsed.skipped == 4


def test_a_truncated_feed_keeps_the_items_before_the_break() -> None:
    whole = globenewswire_rss([NVDA_RESULTS, NVDA_CALL])
    cut = whole[: whole.index(b"<item>", whole.index(b"<item>") + 1) + 40]
    parsed = parse_feed(cut, URL)
    assert [item.title for item in parsed.items] == [NVDA_RESULTS.title]


@pytest.mark.parametrize("body", [b"", b"   ", b"not xml at all {", b"<html><body>Access denied</body></html>",
                                  b'<?xml version="1.0"?><error>rate limited</error>', b"\x00\xff\xfe"])
def test_a_body_that_is_not_a_feed_is_invalid_data(body: bytes) -> None:
    with pytest.raises(SourceDataInvalid):
        parse_feed(body, URL)


def test_an_empty_channel_has_no_items() -> None:
    parsed = parse_feed(b'<rss version="2.0"><channel><title>x</title></channel></rss>', URL)
    assert parsed.items == () and parsed.skipped == 0


def test_rss_1_rdf_items() -> None:
    body = b"""<?xml version="1.0"?><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"
    xmlns="http://purl.org/rss/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/">
    <channel rdf:about="x"><title>x</title></channel>
    <item rdf:about="https://x.example/1"><title>Acme Corp. Reports Q3 Results</title>
    <link>https://x.example/1</link><dc:date>2025-01-27T16:05:00-05:00</dc:date>
    <description>Acme (NYSE: ACME) today reported.</description><dc:creator>Acme Corp.</dc:creator></item>
    </rdf:RDF>"""
    [item] = parse_feed(body, URL).items
    assert item.published == datetime(2025, 1, 27, 21, 5, tzinfo=UTC)
    assert item.organization == "Acme Corp."


def test_a_doctype_with_entities_is_not_expanded() -> None:
    body = b"""<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY boom "BOOM">]><rss version="2.0"><channel>
    <item><title>Safe &boom;</title><link>https://x.example/1</link><pubDate>Mon, 27 Jan 2025 11:30:00 GMT</pubDate></item>
    </channel></rss>"""
    parsed = parse_feed(body, URL)
    assert all("BOOM" not in item.title for item in parsed.items)


@pytest.mark.parametrize(("text", "expected"), [
    ("Wed, 26 Feb 2025 21:20 GMT", datetime(2025, 2, 26, 21, 20, tzinfo=UTC)),
    ("Wed, 26 Feb 2025 16:20:07 -0500", datetime(2025, 2, 26, 21, 20, 7, tzinfo=UTC)),
    ("Thu, 06 Feb 2025 21:01:00 UTC", datetime(2025, 2, 6, 21, 1, tzinfo=UTC)),
    ("Wed, 26 Feb 2025 13:20:00 PST", datetime(2025, 2, 26, 21, 20, tzinfo=UTC)),
    ("26 Feb 2025 16:20:00 ET", datetime(2025, 2, 26, 21, 20, tzinfo=UTC)),
    ("2025-02-26T16:20:07-05:00", datetime(2025, 2, 26, 21, 20, 7, tzinfo=UTC)),
    ("2025-02-26T21:20:07Z", datetime(2025, 2, 26, 21, 20, 7, tzinfo=UTC)),
    ("2025-02-26T21:20:07", datetime(2025, 2, 26, 21, 20, 7, tzinfo=UTC)),  # no zone: UTC
    ("2025-02-26", datetime(2025, 2, 26, tzinfo=UTC)),
    ("Wed, 26 Feb 2025 21:20:00 +9900", None), ("yesterday", None), ("", None), ("Wed, 99 Feb 2025", None),
])
def test_dates(text: str, expected: datetime | None) -> None:
    assert parse_date(text) == expected


def test_plain_text_collapses_space_and_tags() -> None:
    assert plain_text("  NVIDIA&nbsp;<em>Announces</em>\n Results ") == "NVIDIA Announces Results"


def test_an_empty_link_falls_back_to_a_permalink_guid() -> None:
    body = b"""<rss version="2.0"><channel><item><title>Acme Reports Q4 Results</title><link></link>
    <guid isPermaLink="true">https://x.example/acme-q4</guid><pubDate>Mon, 27 Jan 2025 11:30:00 GMT</pubDate></item>
    <item><title>Acme Reports Q3 Results</title><guid isPermaLink="false">acme-q3</guid>
    <pubDate>Mon, 28 Oct 2024 11:30:00 GMT</pubDate></item></channel></rss>"""
    first, second = parse_feed(body, URL).items
    assert (first.link, first.guid) == ("https://x.example/acme-q4", "https://x.example/acme-q4")
    assert (second.link, second.guid) == ("", "acme-q3")


def test_latin_1_bytes_and_already_decoded_text_read_alike() -> None:
    body = ('<?xml version="1.0" encoding="ISO-8859-1"?><rss version="2.0"><channel><item>'
            "<title>Soci\u00e9t\u00e9 G\u00e9n\u00e9rale Reports Fourth Quarter Results</title>"
            "<link>https://x.example/sg</link><pubDate>Thu, 06 Feb 2025 06:00:00 GMT</pubDate></item></channel></rss>")
    from_bytes = parse_feed(body.encode("iso-8859-1"), URL).items
    from_text = parse_feed(body, URL).items
    assert [i.title for i in from_bytes] == [i.title for i in from_text] == [
        "Soci\u00e9t\u00e9 G\u00e9n\u00e9rale Reports Fourth Quarter Results"]


def test_cdata_titles_and_xhtml_atom_content() -> None:
    body = b"""<feed xmlns="http://www.w3.org/2005/Atom"><entry><id>urn:1</id>
    <title type="html"><![CDATA[Acme &amp; Sons Reports <i>Record</i> Q4 Results]]></title>
    <link rel="enclosure" href="https://x.example/photo.jpg"/><link href="https://x.example/release"/>
    <published>2025-02-26T16:05:00-05:00</published><updated>2025-02-27T09:00:00-05:00</updated>
    <content type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml"><p>Acme (NYSE: ACME) today reported.</p>
    <p>More.</p></div></content></entry></feed>"""
    [item] = parse_feed(body, URL).items
    assert item.title == "Acme & Sons Reports Record Q4 Results"
    assert item.link == "https://x.example/release"
    assert item.published == datetime(2025, 2, 26, 21, 5, tzinfo=UTC)  # published, not updated
    assert item.summary == "Acme (NYSE: ACME) today reported."


def test_scripts_styles_and_comments_are_not_text() -> None:
    html_description = ("&lt;style&gt;p {color: red}&lt;/style&gt;&lt;!-- tracking --&gt;&lt;p&gt;Acme (NYSE: ACME) "
                        "today reported.&lt;script&gt;track()&lt;/script&gt;&lt;/p&gt;")
    body = (f'<rss version="2.0"><channel><item><title>Acme Reports Q4 Results</title><link>https://x.example/1</link>'
            f"<pubDate>Mon, 27 Jan 2025 11:30:00 GMT</pubDate><description>{html_description}</description>"
            "</item></channel></rss>").encode()
    [item] = parse_feed(body, URL).items
    assert item.summary == "Acme (NYSE: ACME) today reported."
    assert item.text == "Acme (NYSE: ACME) today reported."


def test_a_description_lxml_cannot_take_as_a_fragment_is_read_as_plain_text() -> None:
    # lxml's fragment_fromstring asserts (AssertionError, not ParserError) on a lone "<html><head>"
    first, text, links = describe("<html><head><title>NVIDIA reports results</title></head>")
    assert "NVIDIA reports results" in text and first and links == ()
