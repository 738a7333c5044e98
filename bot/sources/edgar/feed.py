"""EDGAR's "latest filings" Atom feed (browse-edgar?action=getcurrent&output=atom).

    entries = parse_feed(body)                 # newest first, one entry per accession
    [e for e in entries if is_earnings_release(e)]

The feed is ISO-8859-1 with Atom as the default namespace, so elements are matched by local name.
Each entry's title is "8-K - NVIDIA CORP (0001045810) (Filer)"; the summary holds the filing date,
accession number and, for 8-Ks, one "Item 2.02: ..." line per item. `updated` carries an explicit
New York offset, which makes it the reliable acceptance time. A Form 4 appears twice (Issuer and
Reporting owner) and co-registrants once each; both collapse to one entry per accession. Paging past
the end returns an HTML "File Unavailable" page (HTTP 503), which means "no more entries".
"""

from __future__ import annotations

import html
import logging
import re
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime

from lxml import etree

from bot.domain.market_time import NEW_YORK
from bot.errors import SourceDataInvalid

logger = logging.getLogger(__name__)

_TITLE = re.compile(r"^(?P<form>.*?) - (?P<company>.*) \((?P<cik>\d+)\) \((?P<role>[^)]*)\)\s*$")
_SUMMARY_FIELD = re.compile(r"<b>([^<]+):</b>\s*([^<\s]+)")
_ITEM = re.compile(r"Item\s+([0-9][0-9A-Za-z.]*):")
_ACCESSION = re.compile(r"\d{10}-\d{2}-\d{6}")
_END_OF_FEED = re.compile(rb"(?i)File Unavailable|temporarily unavailable")
# Lower is better: the company the filing is about, before insiders and other filers.
_ROLE_ORDER = {"filer": 0, "issuer": 0, "subject": 1, "filed by": 2, "reporting": 3}
EARNINGS_FORMS = frozenset({"8-K", "8-K/A"})
FOREIGN_REPORT_FORMS = frozenset({"6-K", "6-K/A"})


@dataclass(frozen=True, slots=True)
class FeedEntry:
    """One filing in the feed; accepted_at is true UTC; ciks lists every company it was filed under."""

    accession: str
    cik: int
    company: str
    form: str
    items: tuple[str, ...]
    accepted_at: datetime
    index_url: str
    role: str
    filed: date | None = None
    ciks: tuple[int, ...] = ()


def is_earnings_release(entry: FeedEntry) -> bool:
    """Return True for an 8-K (or 8-K/A) that reports Item 2.02, Results of Operations."""
    return entry.form.upper() in EARNINGS_FORMS and "2.02" in entry.items


def is_foreign_report(entry: FeedEntry) -> bool:
    """Return True for a 6-K: a foreign issuer's report, results or not (no item codes to tell)."""
    return entry.form.upper() in FOREIGN_REPORT_FORMS


def is_end_of_feed(body: bytes) -> bool:
    """Return True for the HTML page EDGAR serves when a feed page is past the last entry."""
    head = body[:600].lstrip().lower()
    return (head.startswith(b"<!doctype html") or b"<html" in head) and bool(_END_OF_FEED.search(body))


def parse_feed(body: bytes | str) -> list[FeedEntry]:
    """Return the feed's filings, newest first, one per accession; [] for the end-of-feed page."""
    raw = body.encode("iso-8859-1", errors="xmlcharrefreplace") if isinstance(body, str) else body
    if is_end_of_feed(raw):
        return []
    try:
        root = etree.fromstring(raw, parser=etree.XMLParser(resolve_entities=False, no_network=True))
    except etree.XMLSyntaxError as exc:
        raise SourceDataInvalid(f"sec: the filings feed is not Atom XML ({exc})") from exc
    if etree.QName(root).localname != "feed":
        raise SourceDataInvalid(f"sec: expected an Atom <feed>, got <{etree.QName(root).localname}>")
    entries: list[FeedEntry] = []
    for element in root:
        if not isinstance(element.tag, str) or etree.QName(element).localname != "entry":
            continue
        try:
            entries.append(parse_entry(element))
        except ValueError as exc:
            logger.warning("sec: skipping a feed entry: %s", exc)
    return collapse_duplicates(entries)


def parse_entry(element: etree._Element) -> FeedEntry:
    """Read one <entry>; raise ValueError when it lacks the title, accession or time."""
    fields = {etree.QName(child).localname: child for child in element if isinstance(child.tag, str)}
    title = _text(fields.get("title"))
    match = _TITLE.match(title)
    if not match:
        raise ValueError(f"unexpected title {title!r}")
    summary = _text(fields.get("summary"))
    values = dict(_SUMMARY_FIELD.findall(summary))
    accession = values.get("AccNo") or _accession_from_id(_text(fields.get("id")))
    if not accession or not _ACCESSION.fullmatch(accession):
        raise ValueError(f"no accession number in entry {title!r}")
    updated = _text(fields.get("updated"))
    link = fields.get("link")
    form = match["form"].strip()
    category = fields.get("category")
    if not form and category is not None:
        form = category.get("term", "")
    cik = int(match["cik"])
    return FeedEntry(
        accession=accession, cik=cik, company=html.unescape(match["company"]).strip(), form=form,
        items=tuple(_ITEM.findall(summary)), accepted_at=_accepted_at(updated),
        index_url=link.get("href", "") if link is not None else "", role=match["role"].strip(),
        filed=_date(values.get("Filed")), ciks=(cik,),
    )


def collapse_duplicates(entries: list[FeedEntry]) -> list[FeedEntry]:
    """Keep one entry per accession (the issuer / filer), remembering every CIK it was listed under."""
    kept: dict[str, FeedEntry] = {}
    for entry in entries:
        seen = kept.get(entry.accession)
        if seen is None:
            kept[entry.accession] = entry
            continue
        ciks = seen.ciks + tuple(c for c in entry.ciks if c not in seen.ciks)
        if _role_rank(entry.role) < _role_rank(seen.role):
            kept[entry.accession] = replace(entry, ciks=(entry.cik, *[c for c in ciks if c != entry.cik]))
        else:
            kept[entry.accession] = replace(seen, ciks=ciks)
    return list(kept.values())


def _role_rank(role: str) -> int:
    return _ROLE_ORDER.get(role.strip().lower(), 2)


def _text(element: etree._Element | None) -> str:
    return "".join(element.itertext()).strip() if element is not None else ""


def _accession_from_id(text: str) -> str | None:
    match = _ACCESSION.search(text)
    return match.group(0) if match else None


def _accepted_at(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError as exc:
        raise ValueError(f"bad <updated> {text!r}") from exc
    if moment.tzinfo is None:  # the feed always gives an offset; EDGAR's clock is New York's
        moment = moment.replace(tzinfo=NEW_YORK)
    return moment.astimezone(UTC)


def _date(text: str | None) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None
