"""Pieces shared by the text and table readers of a press release: candidates and period cues."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from bot.domain.figures import Basis, Unit

_MONTH = r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)"
_ORDINAL = r"(?:first|second|third|fourth|1st|2nd|3rd|4th)"
_FISCAL_YEAR_PREFIX = r"(?:fiscal\s+(?:year\s+)?20\d\d\s+)?"

# "fourth quarter ended January 26, 2025", "quarter and fiscal year ended December 31, 2024",
# "13-week fiscal quarter ended November 2, 2024", "three months ended December 28, 2024"
QUARTER_ENDED = re.compile(
    rf"(?i)\b{_FISCAL_YEAR_PREFIX}(?:{_ORDINAL}\s+)?(?:fiscal\s+)?"
    rf"(?:quarter(?:\s+and\s+(?:fiscal\s+|full\s+)?year)?|three\s+months|thirteen\s+weeks|13[\s-]week\s+(?:fiscal\s+)?(?:quarter|period))"
    rf"(?:\s+of\s+(?:fiscal\s+)?(?:year\s+)?20\d\d)?,?\s+(?:which\s+)?ended\s+(?:on\s+)?(?P<date>{_MONTH}\.?\s+\d{{1,2}},\s*20\d\d)"
)
# "fourth quarter of fiscal 2025", "Fourth-quarter", "first quarter 2025", "December quarter 2024", "Q4 FY25"
QUARTER_NAMED = re.compile(
    rf"(?i)\b{_FISCAL_YEAR_PREFIX}{_ORDINAL}[\s-]+(?:fiscal\s+)?quarter(?:\s+(?:of\s+)?(?:fiscal\s+(?:year\s+)?)?(?:20\d\d|'?\d\d)\b)?"
    rf"|\b(?:March|June|September|December)\s+quarter(?:\s+of)?\s+20\d\d\b"
    rf"|\bQ[1-4]\s*(?:FY\s?)?'?(?:20)?\d\d\b|\bQ[1-4]\b|\b[1-4]Q\s?'?\d{{2,4}}\b"
)
# A year, a half, a year-to-date or any run of weeks but a quarter's 12 to 14: "first half of 2025",
# "H1 2025", "1H25", "six months ended", "40 weeks ended", "forty weeks", "semi-annual".
ANNUAL_CUE = re.compile(
    r"(?i)full[\s-]year|fiscal\s+year|\byear\s+ended|\byear[\s-]to[\s-]date|\bytd\b|twelve\s+months|"
    r"\b12\s+months|\b(?:nine|six|9|6)[\s-]months?\b|\b(?!1[2-4]\b)\d{1,2}[\s-]weeks?\b|thirty[\s-]nine|"
    r"twenty[\s-]six|fifty[\s-]two|fifty[\s-]three|"
    r"\b(?:twenty|thirty|forty|fifty)(?:[\s-](?:one|two|three|four|five|six|seven|eight|nine))?[\s-]weeks?\b|"
    r"\b(?:first|second|1st|2nd)[\s-]half\b|\bhalf[\s-]year|\bsemi[\s-]?annual|"
    r"\b[12]H(?:\s?(?:FY\s?)?'?\d{2,4})?\b|\bH[12](?:\b|(?=\s?FY|'\d\d))|"
    r"\bannual\b|\bfiscal\s+(?:year\s+)?20\d\d\b|"
    r"\bFY\s?'?\d{2,4}\b|\bfor\s+(?:the\s+)?(?:full\s+)?year\b|\bin\s+20\d\d\b|\btrailing\b"
)
QUARTER_CUE = re.compile(r"(?i)\bquarter(?:ly)?\b|\bthree\s+months\b|\bthirteen\s+weeks\b|\b13[\s-]weeks?\b|\bQ[1-4]\b")
FORWARD_CUE = re.compile(
    r"(?i)\b(?:expects?|expected|expecting|outlook|guidance|anticipat\w*|forecast\w*|projects?|projected|will\s+be)\b"
)
OUTLOOK_WORD = re.compile(r"(?i)\b(?:outlook|guidance|forecast)\b")


@dataclass(frozen=True, slots=True)
class Candidate:
    """One reading of a figure from one place in the release, before readings are reconciled."""

    metric: str
    basis: Basis
    unit: Unit
    currency: str
    value: Decimal
    step: Decimal
    evidence: str
    period: str | None = None
    rank: int = 0
    low: Decimal | None = None
    high: Decimal | None = None


def without_quarter_phrases(text: str) -> str:
    """Return text with every named quarter removed, so "fourth quarter of fiscal 2025" is not annual."""
    return QUARTER_NAMED.sub(" ", QUARTER_ENDED.sub(" ", text))


def is_annual(text: str) -> bool:
    """Return True when text speaks of a year, half or year-to-date rather than a quarter."""
    return bool(ANNUAL_CUE.search(without_quarter_phrases(text)))


def quarter_phrase(text: str) -> str | None:
    """Return the first named quarter in text ("fourth quarter ended January 26, 2025"), if any."""
    match = QUARTER_ENDED.search(text) or QUARTER_NAMED.search(text)
    return " ".join(match.group(0).split()) if match else None


_ORDINAL_NUMBER = {"first": 1, "1st": 1, "second": 2, "2nd": 2, "third": 3, "3rd": 3, "fourth": 4, "4th": 4}
_QUARTER_NUMBER = re.compile(
    rf"(?i)\b(?P<ordinal>{_ORDINAL})[\s-]+(?:fiscal\s+)?quarter\b|\bQ(?P<q>[1-4])\b|\b(?P<n>[1-4])Q(?=\s?'?\d{{2,4}}\b)"
)


def quarter_number(text: str | None) -> int | None:
    """Return the fiscal quarter (1-4) a phrase names ("fourth quarter ended ...", "Q4 FY25"), if it
    names one and only one (a title that also announces a "First Quarter Dividend" names none)."""
    text = text or ""
    if re.search(r"(?i)\bdividend", text):
        return None
    numbers = {_ORDINAL_NUMBER[m["ordinal"].lower()] if m["ordinal"] else int(m["q"] or m["n"])
               for m in _QUARTER_NUMBER.finditer(text)}
    return numbers.pop() if len(numbers) == 1 else None


def quarter_end_date(text: str) -> date | None:
    """Return the date of a "quarter ended <date>" phrase in text, if any."""
    match = QUARTER_ENDED.search(text)
    if not match:
        return None
    raw = " ".join(match["date"].replace(".", "").replace(",", ", ").split())
    raw = re.sub(r"^Sept\b", "Sep", raw)
    for pattern in ("%B %d, %Y", "%b %d, %Y"):
        try:
            return datetime.strptime(raw, pattern).date()
        except ValueError:
            continue
    return None


def snake(text: str) -> str:
    """Return text as a lower-case identifier: "Cloud Intelligence Group" -> cloud_intelligence_group."""
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")
