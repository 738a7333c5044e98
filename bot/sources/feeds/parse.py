"""One parser for the RSS 2.0, RSS 1.0 (RDF) and Atom feeds of newswires and investor-relations sites.

    parsed = parse_feed(body, "https://www.globenewswire.com/RssFeed/...")
    parsed.items      # FeedItem, in feed order
    parsed.skipped    # items left out: no title, no link or guid, no readable date

Elements are matched by local name, so namespaced and default-namespace feeds read alike. Titles
come back as plain text (tags stripped, entities decoded, even when a feed escapes them twice);
the description's first paragraph is the summary, its whole text and its links are kept too. Dates
are RFC 822 ("Wed, 26 Feb 2025 21:20 GMT", "-0500", "EST"), ISO 8601, or Dublin Core; a date
without a zone is read as UTC. A body that is not XML at all raises SourceDataInvalid; a body with
a broken item is read as far as it goes.
"""

from __future__ import annotations

import html
import logging
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

from lxml import etree
from lxml import html as lxml_html

from bot.errors import SourceDataInvalid
from bot.redaction import redact

logger = logging.getLogger(__name__)

MAX_TEXT = 20_000  # characters of an item's description kept: enough for a date announcement
MAX_SUMMARY = 2_000
_SPACE = re.compile(r"\s+")
_TAG = re.compile(r"<[^>]{0,500}>")
_ZONE_NAMES = {  # RFC 822 knows EST/EDT...; feeds also write these
    "UTC": "+0000", "UT": "+0000", "GMT": "+0000", "Z": "+0000",
    "ET": "-0500", "EST": "-0500", "EDT": "-0400", "CST": "-0600", "CDT": "-0500",
    "MST": "-0700", "MDT": "-0600", "PST": "-0800", "PDT": "-0700",
}
_TRAILING_ZONE = re.compile(r"\s([A-Za-z]{1,4})$")
_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>")
_FEED_ROOTS = frozenset({"rss", "feed", "RDF", "channel"})


@dataclass(frozen=True, slots=True)
class FeedItem:
    """One press release as a feed lists it; published is aware UTC."""

    feed_url: str
    guid: str
    title: str
    link: str
    published: datetime
    summary: str  # the description's first paragraph, plain text
    text: str = ""  # the description's whole text (at most MAX_TEXT characters)
    links: tuple[str, ...] = ()  # every link in the description, in order
    organization: str = ""  # the issuer the wire names (dc:contributor, dc:publisher, author)


@dataclass(frozen=True, slots=True)
class ParsedFeed:
    """What one read of a feed gave: its items and how many were unreadable."""

    feed_url: str
    items: tuple[FeedItem, ...] = ()
    skipped: int = 0
    reasons: tuple[str, ...] = field(default=(), repr=False)


def parse_feed(body: bytes | str, feed_url: str) -> ParsedFeed:
    """Read a feed body; raise SourceDataInvalid when it is not a feed at all."""
    root = _root(body, feed_url)
    items: list[FeedItem] = []
    reasons: list[str] = []
    seen: set[str] = set()
    for element in root.iter():
        if not isinstance(element.tag, str) or _local(element) not in ("item", "entry"):
            continue
        try:
            item = parse_item(element, feed_url)
        except ValueError as exc:
            reasons.append(str(exc))
            continue
        if item.guid in seen:
            continue
        seen.add(item.guid)
        items.append(item)
    if reasons:
        logger.info("feed %s: %d items skipped (%s)", redact(feed_url), len(reasons), reasons[0])
    return ParsedFeed(feed_url, tuple(items), len(reasons), tuple(reasons))


def _root(body: bytes | str, feed_url: str) -> etree._Element:
    # Text is already decoded: its XML declaration's encoding no longer applies.
    raw = _DECLARATION.sub("", body, count=1).encode("utf-8") if isinstance(body, str) else body
    if not raw.strip():
        raise SourceDataInvalid(f"feed {redact(feed_url)}: empty body")
    root: etree._Element | None = None
    for recover in (False, True):
        parser = etree.XMLParser(resolve_entities=False, no_network=True, recover=recover, huge_tree=False)
        try:
            root = etree.fromstring(raw, parser=parser)
        except etree.XMLSyntaxError:
            continue
        if root is not None:
            break
    if root is None or not isinstance(root.tag, str):
        raise SourceDataInvalid(f"feed {redact(feed_url)}: not XML")
    if _local(root) not in _FEED_ROOTS:
        raise SourceDataInvalid(f"feed {redact(feed_url)}: <{_local(root)}> is not RSS or Atom")
    return root


def parse_item(element: etree._Element, feed_url: str) -> FeedItem:
    """Read one <item> or <entry>; raise ValueError when it lacks a title, an identity or a date."""
    fields = _children(element)
    title = plain_text(_text(fields.get("title")))
    if not title:
        raise ValueError("an item without a title")
    link = _link(fields)
    guid = _text(fields.get("guid")) or _text(fields.get("id")) or _text(fields.get("identifier")) or link
    if not guid:
        raise ValueError(f"no link or guid for {title[:80]!r}")
    published = _published(fields)
    if published is None:
        raise ValueError(f"no readable date for {title[:80]!r}")
    description = _description(fields)
    summary, text, links = describe(description)
    return FeedItem(
        feed_url=feed_url, guid=guid.strip(), title=title, link=link, published=published,
        summary=summary, text=text, links=links, organization=_organization(fields),
    )


def _children(element: etree._Element) -> dict[str, etree._Element]:
    """Map each child's local name to the child; the first of a name wins (links are special)."""
    fields: dict[str, etree._Element] = {}
    for child in element:
        if isinstance(child.tag, str):
            fields.setdefault(_local(child), child)
    links = [c for c in element if isinstance(c.tag, str) and _local(c) == "link"]
    alternate = next((c for c in links if c.get("rel") in (None, "alternate") and c.get("href")), None)
    if alternate is not None:
        fields["link"] = alternate
    return fields


def _local(element: etree._Element) -> str:
    """Return an element's name without namespace or prefix ("dc:identifier" when a damaged feed
    lost its namespace declaration); "" for comments and processing instructions."""
    tag = element.tag
    if not isinstance(tag, str):
        return ""
    return tag.rpartition("}")[2].rpartition(":")[2]


def _text(element: etree._Element | None) -> str:
    return "".join(element.itertext()).strip() if element is not None else ""


def _link(fields: dict[str, etree._Element]) -> str:
    element = fields.get("link")
    link = (element.get("href") or _text(element)).strip() if element is not None else ""
    if link:
        return link
    guid = fields.get("guid")
    permalink = guid is not None and guid.get("isPermaLink", "true") != "false"
    value = _text(guid) if permalink else ""
    return value if value.startswith(("http://", "https://")) else ""


def _published(fields: dict[str, etree._Element]) -> datetime | None:
    for name in ("pubDate", "published", "issued", "date", "updated", "modified"):
        moment = parse_date(_text(fields.get(name)))
        if moment is not None:
            return moment
    return None


def _description(fields: dict[str, etree._Element]) -> str:
    for name in ("description", "summary", "content", "encoded"):
        element = fields.get(name)
        if element is None:
            continue
        if element.get("type") == "xhtml" or len(element):
            return "".join(etree.tostring(child, encoding="unicode") for child in element) or _text(element)
        if _text(element):
            return _text(element)
    return ""


def _organization(fields: dict[str, etree._Element]) -> str:
    for name in ("contributor", "publisher", "creator", "author"):
        element = fields.get(name)
        if element is None:
            continue
        named = next((c for c in element if isinstance(c.tag, str) and _local(c) == "name"), None)
        value = plain_text(_text(named if named is not None else element))
        if value:
            return value
    return ""


def plain_text(value: str) -> str:
    """Return value as one line of text: tags stripped, entities decoded (twice-escaped too)."""
    text = value
    for _ in range(3):
        decoded = html.unescape(text)
        if decoded == text:
            break
        text = decoded
    return _SPACE.sub(" ", _TAG.sub(" ", text)).strip()


def describe(description: str) -> tuple[str, str, tuple[str, ...]]:
    """Return the first paragraph, the whole text and the links of an item's (HTML) description."""
    if not description.strip():
        return "", "", ()
    if "<" not in description and "&lt;" in description:
        description = html.unescape(description)
    if "<" not in description:
        text = plain_text(description)[:MAX_TEXT]
        return text[:MAX_SUMMARY], text, ()
    try:
        fragment = lxml_html.fragment_fromstring(description, create_parent="div")
    except (etree.ParserError, ValueError, AssertionError):  # lxml asserts on a document it reads as two bodies
        text = plain_text(description)[:MAX_TEXT]
        return text[:MAX_SUMMARY], text, ()
    etree.strip_elements(fragment, "script", "style", etree.Comment, with_tail=False)
    paragraphs = [_SPACE.sub(" ", p.text_content()).strip() for p in fragment.iter("p")]
    text = _SPACE.sub(" ", fragment.text_content()).strip()[:MAX_TEXT]
    first = next((p for p in paragraphs if p), text)
    links = tuple(dict.fromkeys(a.get("href", "").strip() for a in fragment.iter("a") if a.get("href")))
    return first[:MAX_SUMMARY], text, links


def parse_date(value: str) -> datetime | None:
    """Return an aware UTC datetime from an RFC 822 or ISO 8601 date, or None when unreadable."""
    value = _SPACE.sub(" ", value).strip()
    if not value:
        return None
    moment = _iso_date(value) or _rfc822_date(value)
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    if not timedelta(hours=-24) < (moment.utcoffset() or timedelta()) < timedelta(hours=24):
        return None
    return moment.astimezone(UTC)


def _iso_date(value: str) -> datetime | None:
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00") if value.endswith("Z") else value)
    except ValueError:
        return None


def _rfc822_date(value: str) -> datetime | None:
    zone = _TRAILING_ZONE.search(value)
    if zone and zone.group(1).upper() in _ZONE_NAMES:
        value = value[: zone.start()] + " " + _ZONE_NAMES[zone.group(1).upper()]
    try:
        return parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
