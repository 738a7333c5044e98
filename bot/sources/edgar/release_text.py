"""Read figures from the sentences of a press release.

A figure is taken from a sentence only when the sentence says which figure it is, for the quarter
being reported: "Revenue for the fourth quarter ... of $39.3 billion", "GAAP earnings per diluted
share were $0.89", "Net income ... was $44.2 million, or $0.89 per share ($0.88 per share on a
diluted basis)". Amounts after "compared with" / "from $..." belong to the prior period and are not
read; sentences and paragraphs about a year, a year-to-date or the outlook are kept apart.

Earnings per share are read in release_eps.py; what the metrics share (the qualifier before a
name, the level amount after it, the stated basis) is in release_clauses.py.
"""

from __future__ import annotations

import re
from decimal import Decimal

from bot.domain.figures import Basis, Unit
from bot.sources.edgar.amounts import money_amounts
from bot.sources.edgar.release_clauses import (
    CHANGE_BEFORE,
    OTHER_METRIC,
    basis_word,
    first_amount,
    qualifier_words,
    stated_basis,
    with_stated,
    words_before,
)
from bot.sources.edgar.release_eps import read_eps
from bot.sources.edgar.release_parts import (
    FORWARD_CUE,
    OUTLOOK_WORD,
    QUARTER_CUE,
    Candidate,
    is_annual,
    quarter_phrase,
    snake,
)

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z\"(•])|\s*•\s*")
_CLAUSE_END = re.compile(r";\s+|,\s+(?:and|while|whereas|but)\s+")
_COMPARISON = re.compile(
    r"(?i)\b(?:compared\s+(?:with|to)|as\s+compared|versus|vs\.?(?=\s)|"
    r"from\s+(?=(?:US\$|RMB|\$|\(\$|net\s|total\s|revenues?\b|sales\b|the\s+(?:prior|same|previous|year)|a\s+year|last\s+year))|"
    r"in\s+the\s+(?:prior|same)\s+(?:year|period|quarter)|a\s+year\s+(?:ago|earlier))"
)
_REVENUE = re.compile(r"(?i)\b(?:(?:total|net|consolidated)\s+)*(?:revenues?|sales|turnover)\b")
_NET_INCOME = re.compile(
    r"(?i)\b(?P<q>(?:non-gaap|gaap|adjusted)\s+)?net\s+(?P<kind>income|earnings|loss|profit)"
    r"(?:\s*\((?P<either>loss|income)\))?"
)
_REJECT_BEFORE = re.compile(r"(?i)\b(?:cost|costs|percent|percentage|share|portion|proportion|growth|mix)\s+of\s*$|%\s+of\s*$")
_REJECT_AFTER = re.compile(
    r"(?i)^\s*(?:growth|margins?|per\b|mix|guidance|outlook|backlog|recognition|run[\s-]rate|retention|"
    r"and\s+marketing|tax|taxes|expenses?|force|cycle|team|channel|before|from\s+continuing)"
)
_KPI_FROM = re.compile(
    r"^\s+(?:from|of|in)\s+(?:(?:our|the|its)\s+)?"
    r"(?P<name>[A-Z][\w&'-]*(?:\s+(?:(?:and|&)\s+)?[A-Z][\w&'-]*){0,5})"
)
_NOT_A_SEGMENT = re.compile(
    r"\d|^(?:Q[1-4]|FY|Fiscal|First|Second|Third|Fourth|Quarter|Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)"
)
_ACRONYM_STOPWORDS = frozenset({"GAAP", "EPS", "US", "USD", "RMB", "NON-GAAP", "Q1", "Q2", "Q3", "Q4"})
_JOINERS = frozenset({"and", "&"})
_HEADING_GENERIC = frozenset("""
    highlights summary results result financial financials overview business recent developments
    conference call webcast about forward-looking statements statement non-gaap measures contacts
    contact media investor investors relations dividend dividends capital return returns shareholder
    shareholders repurchase repurchases outlook guidance information notes note reconciliation tables
    table safe harbor release immediate exhibit quarter quarterly year annual fiscal
""".split())


class ReleaseTextReader:
    """Read candidates line by line, remembering which section of the release a line is in."""

    def __init__(self, release_period: str | None) -> None:
        self.release_period = release_period
        self.section: str | None = None  # "quarter", "annual", "outlook" or None
        self.segment: str | None = None  # a business segment heading, for the bullets below it
        self.outlook_period: str | None = None
        self.currencies: list[str] = []

    def read(self, line: str) -> list[Candidate]:
        """Return the candidates of one text line and update the section state."""
        if _is_heading(line):
            self._heading(line)
            return []
        bullet = line.startswith("•")
        if not bullet:
            self.segment = None
        if not bullet and (OUTLOOK_WORD.search(line) or self.section == "outlook"):
            self._outlook_line(line)
        sentences = [s.strip() for s in _SENTENCE_END.split(line.lstrip("• ")) if s and s.strip()]
        annual_paragraph = bool(sentences) and _opens_annual(sentences[0])
        found: list[Candidate] = []
        for sentence in sentences:
            for amount in money_amounts(sentence):
                self.currencies.append(amount.currency)
            found.extend(self._sentence(sentence, annual_paragraph, bullet))
        return found

    def _outlook_line(self, line: str) -> None:
        """Note which period an outlook paragraph speaks of ("outlook for the first quarter ...")."""
        phrase = quarter_phrase(line)
        if phrase and not is_annual(line):
            self.outlook_period = phrase
            if line.rstrip().endswith(":"):
                self.section = "outlook"
        elif self.section == "outlook" and is_annual(line):
            self.outlook_period = None

    def _heading(self, line: str) -> None:
        words = [w.strip(",.:;()").lower() for w in line.split()]
        self.segment = None
        if OUTLOOK_WORD.search(line):
            annual = is_annual(line)
            self.section = "annual" if annual else "outlook"
            self.outlook_period = None if annual else quarter_phrase(line)
        elif QUARTER_CUE.search(line) or quarter_phrase(line):
            self.section = "quarter"
        elif is_annual(line):
            self.section = "annual"
        elif any(word in _HEADING_GENERIC for word in words):
            self.section = None
        elif _looks_like_segment_name(line):
            self.segment = line.strip(" :")

    def _sentence(self, sentence: str, annual_paragraph: bool, bullet: bool) -> list[Candidate]:
        found: list[Candidate] = []
        for clause in _CLAUSE_END.split(sentence):
            cut = _COMPARISON.search(clause)
            current = clause[: cut.start()] if cut else clause
            period = _dated_quarter(current) or self.release_period
            if not current.strip() or is_annual(current) or annual_paragraph or self.section == "annual":
                continue
            if FORWARD_CUE.search(clause) or self.section == "outlook":
                found.extend(self._guidance(current, sentence))
                continue
            segment = self.segment if bullet else None
            found.extend(_revenue(current, sentence, period, segment))
            found.extend(_net_income(current, sentence, period))
            found.extend(read_eps(current, sentence, period))
        return found

    def _guidance(self, current: str, sentence: str) -> list[Candidate]:
        period = quarter_phrase(current) or self.outlook_period
        if period is None and not re.search(r"(?i)\b(?:next|the|this)\s+quarter\b", current):
            return []
        for match in _REVENUE.finditer(current):
            prefix = words_before(current, match.start())
            if qualifier_words(prefix) or _REJECT_AFTER.match(current[match.end() : match.end() + 200]):
                continue
            if _REJECT_BEFORE.search(prefix):
                continue
            guide = _guidance_value(current, match.end())
            if guide is None:
                continue
            value, step, currency, low, high = guide
            return [Candidate(
                "revenue_guidance", Basis.GAAP, Unit.MONEY, currency, value, step,
                evidence=sentence, period=period, low=low, high=high,
            )]
        return []


def _dated_quarter(text: str) -> str | None:
    """Return a quarter phrase that names its year ("fourth quarter of fiscal 2025"), if any."""
    phrase = quarter_phrase(text)
    return phrase if phrase and re.search(r"\d{4}|'\d\d", phrase) else None


def _is_heading(line: str) -> bool:
    words = line.split()
    return (
        0 < len(words) <= 10 and not line.startswith("•") and not line.rstrip().endswith((".", ":"))
        and not money_amounts(line) and bool(re.search(r"[A-Za-z]", line))
    )


def _looks_like_segment_name(line: str) -> bool:
    words = line.strip(" :").split()
    if not 1 <= len(words) <= 5 or re.search(r"(?i)\d|\b(?:Inc|Corp|Corporation|Ltd|Limited|N\.V|LLC|plc|Company)\b", line):
        return False
    return all(word[0].isupper() or word in _JOINERS for word in words)


def _opens_annual(sentence: str) -> bool:
    opening = sentence.split(",", 1)[0][:70]
    return is_annual(opening)


def _kpi_name(qualifier: list[str], prefix: str) -> str | None:
    """Return a segment name when the qualifier is clearly one ("Data Center", "AWS"), else None."""
    words = [w for w in qualifier if w.lower() != "segment"]
    if not words or words[0] in _JOINERS or words[-1] in _JOINERS:
        return None
    if not all(w[0].isupper() or w in _JOINERS for w in words):
        return None
    names = [w for w in words if w not in _JOINERS]
    acronym = any(len(w) >= 2 and w.isupper() and w not in _ACRONYM_STOPWORDS for w in names)
    starts_sentence = not prefix[: prefix.rfind(qualifier[0])].strip(" •\"(")
    named_segment = any(w.lower() == "segment" for w in qualifier)
    if len(names) >= 2 or acronym or named_segment or (len(names) == 1 and not starts_sentence):
        return " ".join(words)
    return None


def _revenue(current: str, sentence: str, period: str | None, segment: str | None) -> list[Candidate]:
    found = []
    for match in _REVENUE.finditer(current):
        prefix, after = words_before(current, match.start()), current[match.end() : match.end() + 200]
        if _REJECT_BEFORE.search(prefix) or _REJECT_AFTER.match(after):
            continue
        kpi_from = _KPI_FROM.match(after)
        if kpi_from and _NOT_A_SEGMENT.search(kpi_from["name"]):
            kpi_from = None  # "Revenue in Q4 was ...", "revenue in Fiscal 2025"
        qualifier = qualifier_words(prefix)
        name: str | None = None
        end = match.end()
        if kpi_from:
            name, end = kpi_from["name"], match.end() + kpi_from.end()
        elif qualifier:
            name = _kpi_name(qualifier, prefix)
            if name is None:
                continue
        elif segment:
            name = segment
        amount = first_amount(current, end, money=True)
        if amount is None:
            continue
        metric = f"kpi:{snake(name)}_revenue" if name else "revenue"
        named = Basis.ADJUSTED if re.search(r"(?i)\b(?:non-gaap|adjusted)\s*$", prefix[-40:]) else None
        basis = with_stated(named, stated_basis(current, match.start(), end + amount.start, end + amount.end))
        if basis is None:
            continue
        found.append(Candidate(metric, basis, Unit.MONEY, amount.currency, amount.value, amount.step, sentence, period))
    return found


def _net_income(current: str, sentence: str, period: str | None) -> list[Candidate]:
    found = []
    for match in _NET_INCOME.finditer(current):
        prefix, after = words_before(current, match.start()), current[match.end() : match.end() + 200]
        if qualifier_words(prefix) or re.match(r"(?i)\s*(?:per\b|margin|before|from\s+continuing|attributable\s+to\s+(?:non-?controlling|minority))", after):
            continue
        attributable = re.match(r"(?i)\s*attributable\s+to\s+[^,;]{1,60}?(?=\s+(?:was|were|of|totaled|increased|decreased|rose|fell|grew|declined|amounted|reached)\b)", after)
        end = match.end() + (attributable.end() if attributable else 0)
        amount = first_amount(current, end, money=True)
        if amount is None:
            continue
        value = amount.value
        if match["kind"].lower() == "loss" and not match["either"]:
            value = -abs(value)
        named = basis_word(match["q"].strip().lower()) if match["q"] else None
        basis = with_stated(named, stated_basis(current, match.start(), end + amount.start, end + amount.end))
        if basis is None:
            continue
        found.append(Candidate(
            "net_income", basis, Unit.MONEY, amount.currency, value, amount.step, sentence, period,
            rank=1 if attributable else 0,
        ))
    return found


def _guidance_value(
    current: str, start: int
) -> tuple[Decimal, Decimal, str, Decimal | None, Decimal | None] | None:
    amounts = [a for a in money_amounts(current[start : start + 220]) if a.start <= 160]
    if not amounts:
        return None
    first = amounts[0]
    between = current[start : start + first.start]
    if OTHER_METRIC.search(between) or CHANGE_BEFORE.search(between):
        return None
    after = current[start + first.end :]
    plus_minus = re.match(r"(?i)\s*,?\s*(?:plus\s+or\s+minus|±|\+/-)\s*(\d+(?:\.\d+)?)\s*(?:%|percent)", after)
    if plus_minus and first.scaled:
        share = Decimal(plus_minus.group(1)) / 100
        return first.value, first.step, first.currency, first.value * (1 - share), first.value * (1 + share)
    if len(amounts) >= 2 and re.search(r"(?i)\b(?:between|range\s+of|from)\s*$", between):
        second = amounts[1]
        joiner = current[start + first.end : start + second.start]
        if re.fullmatch(r"\s*(?:and|to|-|–)\s*", joiner) and second.scaled:
            low = first.value if first.scaled else first.value * second.factor
            high = second.value
            return (low + high) / 2, second.step, second.currency, low, high
    if first.scaled and re.search(r"(?i)\b(?:approximately|about|around|be|of)\s*$", between):
        return first.value, first.step, first.currency, None, None
    return None
