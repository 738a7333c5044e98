"""A filing's index page ({cik}/{accession}-index.html) and its SGML header ({accession}.hdr.sgml).

    index = parse_filing_index(html)
    index.accepted_at                   # true UTC, from "Accepted 2026-03-06 16:11:25" (New York)
    exhibit_99_1(index).url             # the press release; its file name can't be guessed

Both pages give the acceptance time on EDGAR's New York clock, which is converted DST-correctly.

A 6-K carries no item codes, so its exhibit's title tells a results announcement ("Alibaba Group
Announces December Quarter 2024 Results") from the issuer's other 6-Ks: monthly returns, record
dates, board-meeting notices, poll results (is_results_6k).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from urllib.parse import urljoin

import lxml.html
from lxml import etree

from bot.domain.market_time import NEW_YORK
from bot.errors import SourceDataInvalid
from bot.sources.edgar.document_text import read_document, text_lines

logger = logging.getLogger(__name__)

_ACCESSION = re.compile(r"\d{10}-\d{2}-\d{6}")
_ITEM = re.compile(r"Item\s+([0-9][0-9A-Za-z.]*)\s*:")
_PRESS_RELEASE_TYPES = {"EX-99.1": 0, "EX-99.01": 0, "EX-99.(1)": 0, "EX-99": 1}
_READABLE = re.compile(r"(?i)\.(?:htm|html|txt)$")
# The headers of SGML "ITEM INFORMATION" lines, by 8-K item code.
ITEM_NAMES = {
    "1.01": "Entry into a Material Definitive Agreement",
    "1.02": "Termination of a Material Definitive Agreement",
    "1.03": "Bankruptcy or Receivership",
    "1.05": "Material Cybersecurity Incidents",
    "2.01": "Completion of Acquisition or Disposition of Assets",
    "2.02": "Results of Operations and Financial Condition",
    "2.03": "Creation of a Direct Financial Obligation",
    "2.05": "Costs Associated with Exit or Disposal Activities",
    "2.06": "Material Impairments",
    "3.01": "Notice of Delisting or Failure to Satisfy a Continued Listing Rule or Standard",
    "3.02": "Unregistered Sales of Equity Securities",
    "3.03": "Material Modification",
    "4.01": "Changes in Registrant",
    "4.02": "Non-Reliance on Previously Issued Financial Statements",
    "5.01": "Changes in Control of Registrant",
    "5.02": "Departure of Directors or Certain Officers",
    "5.03": "Amendments to Articles of Incorporation or Bylaws",
    "5.07": "Submission of Matters to a Vote of Security Holders",
    "7.01": "Regulation FD Disclosure",
    "8.01": "Other Events",
    "9.01": "Financial Statements and Exhibits",
}


@dataclass(frozen=True, slots=True)
class FilingDocument:
    """One row of the index's document table."""

    seq: int | None
    description: str
    filename: str
    url: str
    type: str
    size: int | None = None


@dataclass(frozen=True, slots=True)
class FilingIndex:
    """What the index page says about a filing; accepted_at is true UTC."""

    accession: str
    form: str
    filed: date | None
    accepted_at: datetime | None
    period_of_report: date | None
    items: tuple[str, ...]
    documents: tuple[FilingDocument, ...]
    cik: int | None = None
    company: str | None = None


@dataclass(frozen=True, slots=True)
class SgmlHeader:
    """The SGML header of a full submission; accepted_at is true UTC."""

    accession: str
    form: str
    accepted_at: datetime | None
    filed: date | None
    period_of_report: date | None
    items: tuple[str, ...]
    ciks: tuple[int, ...]
    company: str | None


def new_york_to_utc(moment: datetime) -> datetime:
    """Return the UTC instant of a naive EDGAR (New York wall clock) time, DST-correct."""
    return moment.replace(tzinfo=NEW_YORK).astimezone(UTC)


def parse_filing_index(body: bytes | str, *, base_url: str = "https://www.sec.gov") -> FilingIndex:
    """Read the -index.html page: form, dates, acceptance time, items and the document table."""
    try:
        root = lxml.html.document_fromstring(body)
    except (etree.ParserError, ValueError) as exc:
        raise SourceDataInvalid("sec: the filing index page is not HTML") from exc
    info = _info_pairs(root)
    sec_number = " ".join(root.xpath("//*[@id='secNum']//text()")) or " ".join(root.xpath("//title//text()"))
    accession_match = _ACCESSION.search(sec_number)
    if accession_match is None:
        raise SourceDataInvalid("sec: no accession number on the filing index page")
    form_name = " ".join(root.xpath("//*[@id='formName']//strong//text()")).strip()
    accepted = info.get("accepted")
    cik, company = _filer(root)
    return FilingIndex(
        accession=accession_match.group(0),
        form=re.sub(r"^Form\s+", "", form_name).strip(),
        filed=_date(info.get("filing date")),
        accepted_at=new_york_to_utc(datetime.fromisoformat(accepted)) if accepted else None,
        period_of_report=_date(info.get("period of report")),
        items=tuple(_ITEM.findall(info.get("items", ""))),
        documents=tuple(_documents(root, base_url)),
        cik=cik, company=company,
    )


def exhibit_99_1(index: FilingIndex) -> FilingDocument | None:
    """Return the press release exhibit (type EX-99.1, EX-99.01 or EX-99), or None."""
    ranked = []
    for document in index.documents:
        rank = _PRESS_RELEASE_TYPES.get(document.type.strip().upper().replace(" ", ""))
        if rank is not None and _READABLE.search(document.filename):
            ranked.append((rank, document.seq or 0, document))
    return min(ranked, key=lambda item: item[:2])[2] if ranked else None


def parse_sgml_header(text: bytes | str) -> SgmlHeader:
    """Read <ACCEPTANCE-DATETIME>, accession, form, dates, items and filer CIKs from an SGML header."""
    body = text.decode("latin-1") if isinstance(text, bytes) else text
    accepted = re.search(r"<ACCEPTANCE-DATETIME>\s*(\d{14})", body)
    accession = re.search(r"ACCESSION NUMBER:\s*(\d{10}-\d{2}-\d{6})", body)
    if accession is None:
        raise SourceDataInvalid("sec: no ACCESSION NUMBER in the SGML header")
    form = re.search(r"CONFORMED SUBMISSION TYPE:\s*(\S+)", body)
    company = re.search(r"COMPANY CONFORMED NAME:\s*(.+)", body)
    names = [name.strip() for name in re.findall(r"ITEM INFORMATION:\s*(.+)", body)]
    return SgmlHeader(
        accession=accession.group(1),
        form=form.group(1) if form else "",
        accepted_at=new_york_to_utc(datetime.strptime(accepted.group(1), "%Y%m%d%H%M%S")) if accepted else None,
        filed=_compact_date(re.search(r"FILED AS OF DATE:\s*(\d{8})", body)),
        period_of_report=_compact_date(re.search(r"CONFORMED PERIOD OF REPORT:\s*(\d{8})", body)),
        items=tuple(code for name in names if (code := item_code(name))),
        ciks=tuple(dict.fromkeys(int(c) for c in re.findall(r"CENTRAL INDEX KEY:\s*(\d+)", body))),
        company=company.group(1).strip() if company else None,
    )


def item_code(name: str) -> str | None:
    """Return the 8-K item code of an SGML item name ("Results of Operations ..." -> "2.02")."""
    for code, title in ITEM_NAMES.items():
        if name.lower().startswith(title.lower()):
            return code
    return None


def _info_pairs(root: etree._Element) -> dict[str, str]:
    pairs: dict[str, str] = {}
    for head in root.xpath("//div[contains(concat(' ', normalize-space(@class), ' '), ' infoHead ')]"):
        value = head.getnext()
        if value is None:
            continue
        key = " ".join(head.text_content().split()).lower()
        # Items are separated by <br>; keep them on separate lines.
        for br in value.iter("br"):
            br.tail = "\n" + (br.tail or "")
        pairs[key] = value.text_content().strip()
    return pairs


def _documents(root: etree._Element, base_url: str) -> list[FilingDocument]:
    documents = []
    for row in root.xpath("//table[contains(@class, 'tableFile')]//tr[td]"):
        cells = row.xpath("./td")
        if len(cells) < 4:
            continue
        link = cells[2].find(".//a")
        if link is None:
            continue
        href = re.sub(r"^/ix\?doc=", "", link.get("href", ""))
        seq_text = cells[0].text_content().strip()
        size_text = cells[4].text_content().strip() if len(cells) > 4 else ""
        documents.append(FilingDocument(
            seq=int(seq_text) if seq_text.isdigit() else None,
            description=" ".join(cells[1].text_content().split()),
            filename=link.text_content().strip(),
            url=urljoin(base_url.rstrip("/") + "/", href.lstrip("/")),
            type=" ".join(cells[3].text_content().split()),
            size=int(size_text) if size_text.isdigit() else None,
        ))
    return documents


def _filer(root: etree._Element) -> tuple[int | None, str | None]:
    names = root.xpath("//span[@class='companyName']")
    if not names:
        return None, None
    text = " ".join(names[0].text_content().split())
    cik = re.search(r"CIK:\s*(\d{10})", text)
    company = re.sub(r"\s*\((?:Filer|Issuer|Subject|Reporting|Filed by)\).*$", "", text)
    return (int(cik.group(1)) if cik else None), company or None


def _date(text: str | None) -> date | None:
    try:
        return date.fromisoformat(text.strip()) if text else None
    except ValueError:
        return None


def _compact_date(match: re.Match[str] | None) -> date | None:
    return datetime.strptime(match.group(1), "%Y%m%d").date() if match else None


# 6-K: results or not, from the exhibit's title

_PERIOD = (
    r"(?:quarter(?:ly)?|interim|half[\s-]year|annual|Q[1-4]|[1-4]Q|[HS][12]|three\s+months|six\s+months|"
    r"nine\s+months|twelve\s+months|fiscal\s+(?:year|20\d\d)|FY\s?\d{2,4})"
)
_RESULTS = re.compile(
    r"(?i)\b(?:announc(?:es|ement\s+of|ing)|reports?|reported|releases?|publishes)\b.{0,100}?"
    rf"\b(?:{_PERIOD}|results|earnings)\b"
    # "Fourth Quarter 2024 Results", "2nd quarter 2025 unaudited results", "Q1 FY26 results"
    rf"|\b{_PERIOD}\b[\w\s,.'’&/-]{{0,60}}?\bresults\b"
    # "Consolidated Financial Results for the First Quarter", "... for the three months ended"
    rf"|\b(?:financial|operating|consolidated|unaudited)\s+results\s+(?:for|of)\b.{{0,60}}?\b{_PERIOD}\b"
)
_NOT_RESULTS = re.compile(
    r"(?i)monthly\s+return|record\s+date|board\s+meeting|date\s+of\s+(?:the\s+)?board|"
    r"poll\s+results|voting\s+results|results\s+of\s+(?:the\s+)?(?:annual\s+general\s+|extraordinary\s+general\s+)?"
    r"(?:meeting|agm|egm|vote|tender|offer)|dividend\s+(?:payment|record)|notification\s+of|"
    r"change\s+(?:in|of)\s+(?:the\s+)?(?:directors?|auditors?|company\s+secretary|board|registered|principal|"
    r"authori[sz]ed\s+representative|composition|chief|chair)|"
    r"grant\s+of|next\s+day\s+disclosure|share\s+repurchase|buy[\s-]?back"
)
_HEADLINE_LINES = 15


def is_results_6k(title_or_text: str | bytes) -> bool:
    """Return True when a 6-K exhibit's title (or opening lines of its HTML) announces results."""
    for line in _headlines(title_or_text):
        if _NOT_RESULTS.search(line):
            return False
        if len(line) <= 250 and _RESULTS.search(line):
            return True
    return False


def _headlines(title_or_text: str | bytes) -> list[str]:
    if isinstance(title_or_text, bytes) or "<" in title_or_text:
        return text_lines(read_document(title_or_text))[:_HEADLINE_LINES]
    return [line.strip() for line in title_or_text.splitlines() if line.strip()][:_HEADLINE_LINES]
