"""Read a company's KPIs from its press release, as its definitions (config/kpis.toml) say.

    kpi_candidates(read_document(html), definitions, period="fourth quarter ended January 26, 2025")

An amount KPI is the level stated after its phrase ("Data Center revenue of $35.6 billion"), or the
current-quarter cell of its table row. A growth KPI is the year-over-year change stated after its
phrase ("grew 31%", "an increase of 13% year-over-year"); a sequential change ("up 16% from Q3"),
a constant-currency rate, or a rate the sentence does not tie to a year ago while it speaks of the
prior quarter is not it. Sentences about the future ("expects capital expenditures of
approximately $105 billion in 2025") give the KPI's guidance for the period they name, never the
quarter's actual; without a named period they give nothing.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from decimal import Decimal
from functools import cache

from bot.domain.figures import Basis, Unit
from bot.domain.kpis import KpiDefinition, KpiUnit
from bot.sources.edgar.amounts import CURRENCIES, SCALES, Amount, money_amounts, to_decimal
from bot.sources.edgar.document_text import Block, Table, TextLine
from bot.sources.edgar.release_clauses import OTHER_METRIC, first_amount
from bot.sources.edgar.release_parts import (
    FORWARD_CUE,
    OUTLOOK_WORD,
    Candidate,
    is_annual,
    quarter_phrase,
)
from bot.sources.edgar.release_tables import current_rows

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z\"(•])|\s*•\s*")
_CLAUSE_END = re.compile(r";\s+|,\s+(?:while|whereas|but)\s+")
_GUIDANCE_CUE = re.compile(
    rf"{FORWARD_CUE.pattern}|(?i:\bplan(?:s|ned|ning)?\s+to\b|\bintends?\s+to\b|\bwill\s+(?:invest|spend)\b)"
)
_PERCENT = re.compile(r"(?<![\d.])(?P<number>\d+(?:\.\d+)?)\s?(?:%|percent\b)")
_CHANGE_BEFORE = re.compile(
    r"(?i)\b(?P<word>increased|increase|grew|growth|up|rose|jumped|climbed|gained|expanded|"
    r"decreased|decrease|declined|decline|down|fell|dropped|contracted)"
    r"(?:\s+(?:of|by|at|was|were|to))?(?:\s+(?:approximately|about|around|roughly|nearly|over|a\s+strong))?\s*$"
)
_FALLING = frozenset({"decreased", "decrease", "declined", "decline", "down", "fell", "dropped", "contracted"})
_YEAR_OVER_YEAR = re.compile(
    r"(?i)year[\s-](?:over|on)[\s-]year|\by/y\b|\byoy\b|from\s+a\s+year\s+(?:ago|earlier)|\ba\s+year\s+ago\b|"
    r"(?:from|over|compared\s+(?:with|to)|versus)\s+(?:the\s+)?(?:prior|previous|same|last)[\s-]year|year[\s-]ago"
)
_SEQUENTIAL = re.compile(
    r"(?i)sequential(?:ly)?|quarter[\s-](?:over|on)[\s-]quarter|\bq/q\b|\bqoq\b|"
    r"(?:from|over|compared\s+(?:with|to)|versus)\s+(?:the\s+)?(?:prior|previous|preceding|last)\s+quarter|"
    r"from\s+Q[1-4]\b|from\s+the\s+(?:first|second|third|fourth)\s+quarter(?!\s+(?:of\s+)?(?:fiscal\s+)?(?:last\s+year|20\d\d))"
)
_CONSTANT_CURRENCY = re.compile(r"(?i)constant[\s-]currency|\bfx[\s-]neutral|excluding\s+(?:the\s+impact\s+of\s+)?(?:foreign\s+)?(?:currency|exchange|fx)")
_COUNT = re.compile(
    r"(?<![\w$.,])(?P<number>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)\s?(?P<scale>trillion|billion|million|thousand)\b(?!\s*%)",
    re.I,
)
_NUMBER = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?"
_MARK = "|".join(re.escape(m) for m in sorted(CURRENCIES, key=len, reverse=True))
_RANGE = re.compile(
    rf"(?P<currency>{_MARK})\s?(?P<low>{_NUMBER})\s?(?:-|–|to)\s?(?:{_MARK})?\s?(?P<high>{_NUMBER})\s?"
    r"(?P<scale>trillion|billion|million)\b",
    re.I,
)
_AT_LEAST = re.compile(r"(?i)\b(?:more\s+than|exceed(?:s|ing)?|at\s+least|over|in\s+excess\s+of|above)\s*$")
_GUIDED_PERIOD = re.compile(
    r"(?i)\bover\s+the\s+next\s+(?P<years>\w+)\s+years\b|\b(?:in|for|during|of)\s+(?:fiscal\s+(?:year\s+)?|full[\s-]year\s+)?"
    r"(?P<year>20\d\d)\b|\b(?P<lead>20\d\d)\s+(?:capital\s+expenditures|capex|investments?)\b|\bnext\s+quarter\b"
)
_NEAR = 160
_LAST_PART = re.compile(r",|;|\band\b")
_AND_THEN = re.compile(r"\b(?:and|while)\s*$")  # "up 8% sequentially and 39% year over year"


class KpiReader:
    """Read KPI candidates line by line and table by table, knowing which section a line is in."""

    def __init__(self, definitions: Sequence[KpiDefinition], period: str | None) -> None:
        self.definitions = tuple(definitions)
        self.period = period
        self.outlook = False
        self.currencies: list[str] = []

    def blocks(self, blocks: Sequence[Block]) -> list[Candidate]:
        """Return the candidates of a whole release (paragraphs first, then tables)."""
        found: list[Candidate] = []
        recent: list[str] = []
        tables: list[tuple[Table, list[str]]] = []
        for block in blocks:
            if isinstance(block, TextLine):
                found.extend(self.line(block.text))
                recent = [*recent[-3:], block.text]
            else:
                tables.append((block, recent))
        counted = Counter(self.currencies).most_common(1)
        currency = counted[0][0] if counted else None
        for table, context in tables:
            found.extend(self.table(table, context, currency))
        return found

    def line(self, line: str) -> list[Candidate]:
        """Return the candidates of one paragraph, heading or bullet."""
        if _is_heading(line):
            self.outlook = bool(OUTLOOK_WORD.search(line))
            return []
        if line.rstrip().endswith(":") and OUTLOOK_WORD.search(line):
            self.outlook = True  # "Outlook for the first quarter of fiscal 2026:" and its bullets
        found: list[Candidate] = []
        for sentence in (s.strip() for s in _SENTENCE_END.split(line.lstrip("• ")) if s and s.strip()):
            self.currencies.extend(amount.currency for amount in money_amounts(sentence))
            if self.outlook or _GUIDANCE_CUE.search(sentence):
                found.extend(self._guidance(sentence))
                continue
            for clause in _CLAUSE_END.split(sentence):
                if clause.strip() and not is_annual(clause):
                    found.extend(self._actuals(clause, sentence))
        return found

    def table(self, table: Table, context: list[str], currency: str | None) -> list[Candidate]:
        """Return the amounts of the KPIs' table rows in the current-quarter column."""
        rows = [d for d in self.definitions if d.table_rows and d.unit is not KpiUnit.PERCENT_GROWTH]
        if not rows:
            return []
        found: list[Candidate] = []
        values = current_rows(table, context, default_currency=currency)
        for definition in rows:
            for wanted in definition.table_rows:
                found.extend(
                    Candidate(definition.metric, Basis.GAAP, definition.figure_unit, value.currency, value.value,
                              value.step, value.text, self.period)
                    for value in values
                    if _same_label(value.label, wanted.label)
                    and (wanted.heading is None or _same_label(value.heading, wanted.heading))
                )
        return found

    def _actuals(self, clause: str, sentence: str) -> list[Candidate]:
        found: list[Candidate] = []
        for definition in self.definitions:
            for phrase in definition.phrases:
                candidate = _actual(definition, clause, phrase, sentence, self.period)
                if candidate is not None:
                    found.append(candidate)
                    break
        return found

    def _guidance(self, sentence: str) -> list[Candidate]:
        found: list[Candidate] = []
        for definition in self.definitions:
            if definition.unit is KpiUnit.PERCENT_GROWTH:
                continue
            for phrase in definition.guidance_phrases:
                candidate = _guided(definition, sentence, phrase)
                if candidate is not None:
                    found.append(candidate)
                    break
        return found


def kpi_candidates(
    blocks: Sequence[Block], definitions: Sequence[KpiDefinition], period: str | None
) -> list[Candidate]:
    """Return every reading of the company's KPIs in a release (see press_release.extract_kpis)."""
    if not definitions:
        return []
    return KpiReader(definitions, period).blocks(blocks)


@cache
def phrase_pattern(phrase: str) -> re.Pattern[str]:
    """Return the pattern of a definition's phrase: any case and spacing; " ... " a few words."""
    parts = [r"\s+".join(re.escape(word) for word in part.split()) for part in phrase.split("...")]
    return re.compile(r"[^.;]{1,120}?".join(parts), re.I)


def _actual(
    definition: KpiDefinition, clause: str, phrase: str, sentence: str, period: str | None
) -> Candidate | None:
    for match in phrase_pattern(phrase).finditer(clause):
        if definition.unit is KpiUnit.PERCENT_GROWTH:
            growth = year_over_year(clause, match.start(), match.end(), sentence)
            if growth is not None:
                value, step = growth
                return Candidate(definition.metric, Basis.GAAP, Unit.PERCENT, "", value, step, sentence, period)
            continue
        amount = _level(definition, clause, match.end())
        if amount is not None:
            return Candidate(
                definition.metric, Basis.GAAP, definition.figure_unit, amount.currency, amount.value,
                amount.step, sentence, period,
            )
    return None


def _level(definition: KpiDefinition, clause: str, end: int) -> Amount | None:
    if definition.unit is KpiUnit.MONEY:
        return first_amount(clause, end, money=True)
    for match in _COUNT.finditer(clause, end, end + _NEAR):
        if OTHER_METRIC.search(clause[end : match.start()]) or money_amounts(clause[end : match.end()]):
            return None
        value, step = to_decimal(match["number"])
        factor = SCALES[match["scale"].lower()]
        return Amount(value * factor, step * factor, "", True, factor, match.start(), match.end(), match.group(0))
    return None


def year_over_year(text: str, start: int, end: int, sentence: str) -> tuple[Decimal, Decimal] | None:
    """Return the year-over-year change (in percent, with its step) stated after text[start:end].

    Each percentage after the name is looked at in turn: a sequential or constant-currency one is
    passed over ("up 16% from Q3 and up 93% from a year ago", "8% sequentially and 39% year over
    year"); another metric named in between, or a percentage that is not a change, ends the search.
    """
    percents = list(_PERCENT.finditer(text, end, end + 2 * _NEAR))
    previous, word = end, None
    for index, match in enumerate(percents):
        between = text[previous : match.start()]
        if OTHER_METRIC.search(between):
            return None
        change = _CHANGE_BEFORE.search(text[max(start, match.start() - 60) : match.start()])
        if change is None and not (word and len(between) <= 40 and _AND_THEN.search(between)):
            return None
        word = change["word"].lower() if change else word
        following = text[match.end() : percents[index + 1].start() if index + 1 < len(percents) else match.end() + 60]
        around = f"{_LAST_PART.split(between)[-1]} {following}"
        previous = match.end()
        if _CONSTANT_CURRENCY.search(following) or _SEQUENTIAL.search(around):
            continue
        if not _YEAR_OVER_YEAR.search(around) and _SEQUENTIAL.search(sentence):
            return None  # the sentence speaks of the prior quarter: this rate may be sequential too
        value, step = to_decimal(match["number"])
        return (-value if word in _FALLING else value), step
    return None


def _guided(definition: KpiDefinition, sentence: str, phrase: str) -> Candidate | None:
    for match in phrase_pattern(phrase).finditer(sentence):
        value = _guided_amount(sentence, match.start(), match.end())
        if value is None:
            continue
        amount, low, high = value
        period = _guided_period(sentence, amount.start, amount.end)
        if period is None:
            return None
        return Candidate(
            definition.guidance_metric, Basis.GAAP, definition.figure_unit, amount.currency, amount.value,
            amount.step, sentence, period, low=low, high=high,
        )
    return None


def _guided_period(sentence: str, start: int, end: int) -> str | None:
    """Return the period named nearest the guided amount: "2025", "next three years", a quarter."""
    matches = list(_GUIDED_PERIOD.finditer(sentence))
    if not matches:
        return quarter_phrase(sentence)
    match = min(matches, key=lambda m: m.start() - end if m.start() >= end else start - m.end() + 1)
    if match["years"]:
        return f"next {match['years'].lower()} years"
    return match["year"] or match["lead"] or "next quarter"


def _guided_amount(
    sentence: str, start: int, end: int
) -> tuple[Amount, Decimal | None, Decimal | None] | None:
    """Return the amount nearest the phrase (a range's midpoint), with its bounds when stated."""
    for match in _RANGE.finditer(sentence):
        if _near(match.start(), match.end(), start, end):
            factor = SCALES[match["scale"].lower()]
            low, step = to_decimal(match["low"])
            high, _ = to_decimal(match["high"])
            middle = Amount((low + high) / 2 * factor, step * factor, CURRENCIES[match["currency"]], True, factor,
                            match.start(), match.end(), match.group(0))
            return middle, low * factor, high * factor
    amounts = [a for a in money_amounts(sentence) if a.scaled and _near(a.start, a.end, start, end)]
    if not amounts:
        return None
    amount = min(amounts, key=lambda a: min(abs(a.start - end), abs(start - a.end)))
    if _AT_LEAST.search(sentence[: amount.start]):
        return amount, amount.value, None
    return amount, None, None


def _near(amount_start: int, amount_end: int, start: int, end: int) -> bool:
    return (0 <= amount_start - end <= _NEAR) or (0 <= start - amount_end <= _NEAR)


def _same_label(label: str, wanted: str) -> bool:
    def norm(text: str) -> str:
        return " ".join(re.sub(r"[:(),]", " ", text).lower().split())
    return norm(label) == norm(wanted)


def _is_heading(line: str) -> bool:
    words = line.split()
    return (
        0 < len(words) <= 10 and not line.startswith("•") and not line.rstrip().endswith((".", ":"))
        and not money_amounts(line) and bool(re.search(r"[A-Za-z]", line)) and not _PERCENT.search(line)
    )
