"""What a press release announces: results, only the date of the results, or something else.

    classify("Meta Reports Fourth Quarter and Full Year 2024 Results")          # RESULTS
    classify("Alibaba Group to Announce December Quarter 2024 Results")          # DATE
    classify("Acme Announces Positive Phase 3 Trial Results")                    # OTHER

The title decides; the first paragraph only when the title says neither. A date phrase ("to
announce", "to host", "will report", "schedules", "sets ... conference call", "release date")
that comes before a results phrase makes a date announcement: "to Report Fourth Quarter Results"
is a date, "Reports Fourth Quarter Results and Will Host a Call" is results. Results must be
financial (a quarter, a year, a half, "financial", "operating", "earnings"): trial, study and
vote results are not. Law firms' "investor alerts" and investigations are never results.
"""

from __future__ import annotations

import re
from enum import StrEnum


class Announcement(StrEnum):
    """What a press release is about, for the earnings bot."""

    RESULTS = "results"
    DATE = "date"
    OTHER = "other"


_I = re.IGNORECASE
_NOISE = re.compile(
    r"\b(?:class action|investigat\w*|lawsuits?|law firm|securities fraud|shareholder alert|investor alert|"
    r"investors? who|deadline|reminds?|legal action|trials?|phase (?:[1-4]|i{1,3}v?)|study|studies|clinical|"
    r"topline|patients|votes?|voting|election|tender offer|offering|auction|drilling|assays?|preview|"
    r"estimates?|expected to report|monthly|sales results|comparable sales)\b",
    _I,
)
# Words that, between a verb and "results", mean the results are announced for later.
_LATER = (
    r"conference|call|webcast|(?<!to-)dates?|will|schedul\w*|host\w*|plans?|intends?|expects?|timing|"
    r"to\s+(?:release|report|announce|host|hold|discuss|present|publish)"
)
_GAP = rf"(?:(?!\b(?:{_LATER})\b).){{0,160}}?"
_KEYWORD = (
    r"\b(?:results|earnings)\b"
    r"(?!\s+(?:release\s+dates?|dates?|conference|calls?|webcast|schedule|timing|announcement|preview))"
)
_VERB = r"\b(?:reports?|reported|announces?|announced|posts?|posted|delivers?|releases?|released|publishes|issues)\b"
_PERIOD = (
    r"\b(?:first|second|third|fourth|1st|2nd|3rd|4th|q[1-4]|h[12]|fy\s?\d{2,4}|fiscal|full[- ]year|year[- ]end|"
    r"annual|quarterly|quarter|half[- ]year|interim|nine[- ]month|six[- ]month|twelve[- ]month|"
    r"january|february|march|april|may|june|july|august|september|october|november|december)\b"
)
_FINANCIAL = re.compile(rf"{_PERIOD}|\b(?:financial|operating|earnings|unaudited|year|20\d\d)\b", _I)
_AFTER = 40  # characters after a results phrase that may name its period
_TITLE_RESULTS = (
    re.compile(rf"{_VERB}{_GAP}{_KEYWORD}", _I),
    re.compile(rf"{_PERIOD}{_GAP}{_KEYWORD}", _I),
)
_TITLE_DATE = re.compile(
    r"\b(?:to|will)\s+(?:announce|report|release|host|hold|present|publish|issue|discuss|webcast|broadcast)\b|"
    r"\b(?:re)?schedul\w*\b|\btiming\b|\bsets?\b[^.]{0,60}\b(?:date|call|webcast)\b|\b(?:conference|earnings|investor)\s+call\b|"
    r"\bwebcast\b|\b(?:release|announcement|reporting|report)\s+dates?\b|\bdates?\s+(?:of|for)\b|"
    r"\bnotice of\b|\binvitation\b",
    _I,
)
# A date announcement is about results: a conference appearance or an annual meeting is not.
_ABOUT_RESULTS = re.compile(
    r"\b(?:results|earnings|financial|quarter\w*|q[1-4]|fiscal|fy\s?\d{2,4}|full[- ]year|half[- ]year)\b", _I)
_TEXT_RESULTS = re.compile(
    rf"\btoday\s+(?:reported|announced|released|posted){_GAP}"
    r"\b(?:results|revenues?|earnings|net (?:income|sales|loss))\b(?!\s+(?:release\s+)?dates?)",
    _I,
)
_TEXT_DATE = re.compile(
    r"\b(?:will|plans to|intends to|expects to|is scheduled to|are scheduled to)\s+"
    r"(?:release|report|announce|publish|issue|host|hold)\b",
    _I,
)


def classify(title: str, first_paragraph: str = "") -> Announcement:
    """Return whether a release reports results, only announces their date, or neither."""
    if _NOISE.search(title):
        return Announcement.OTHER
    found = _decide(_first_results(title), _about_results(_TITLE_DATE.search(title)))
    if found is not Announcement.OTHER or not first_paragraph:
        return found
    paragraph = first_paragraph[:1000]
    return _decide(_financial(_TEXT_RESULTS.search(paragraph)), _about_results(_TEXT_DATE.search(paragraph)))


def _first_results(title: str) -> re.Match[str] | None:
    matches = [m for m in (p.search(title) for p in _TITLE_RESULTS) if m is not None]
    return _financial(min(matches, key=lambda m: m.start())) if matches else None


def _financial(match: re.Match[str] | None) -> re.Match[str] | None:
    """Keep a results match only when it, or the few words after it, speak of a period or of
    financial results ("announces results for the third quarter")."""
    if match is None:
        return None
    context = match.string[match.start(): match.end() + _AFTER]
    return match if _FINANCIAL.search(context) else None


def _about_results(match: re.Match[str] | None) -> re.Match[str] | None:
    """Keep a date match only when its text speaks of results, earnings or a period."""
    if match is None:
        return None
    return match if _ABOUT_RESULTS.search(match.string) else None


def _decide(results: re.Match[str] | None, date: re.Match[str] | None) -> Announcement:
    if results is not None and (date is None or results.start() < date.start()):
        return Announcement.RESULTS
    if date is not None:
        return Announcement.DATE
    return Announcement.OTHER
