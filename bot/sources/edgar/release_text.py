"""Read figures from the sentences of a press release.

A figure is taken from a sentence only when the sentence says which figure it is, for the quarter
being reported: "Revenue for the fourth quarter ... of $39.3 billion", "GAAP earnings per diluted
share were $0.89", "Net income ... was $44.2 million, or $0.89 per share ($0.88 per share on a
diluted basis)". Amounts after "compared with" / "from $..." belong to the prior period and are not
read; sentences and paragraphs about a year, a year-to-date or the outlook are kept apart.
"""

from __future__ import annotations

import re
from decimal import Decimal

from bot.domain.figures import Basis, Unit
from bot.sources.edgar.amounts import Amount, money_amounts
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
_EPS_PHRASE = re.compile(
    r"(?ix)(?P<q>(?:non-gaap|gaap|adjusted)(?:\s+and\s+(?:non-gaap|gaap|adjusted))?\s+)?"
    r"(?P<phrase>"
    r"(?:(?:basic\s+and\s+)?diluted\s+)?(?:net\s+)?"
    r"(?:income\s+\(loss\)|earnings\s+\(loss\)|\(loss\)\s+income|\(loss\)\s+earnings|earnings|income|loss)"
    r"\s+per\s+(?:(?:basic\s+and\s+)?diluted\s+)?(?:common\s+|ordinary\s+|class\s+[a-c]\s+)?"
    r"(?:share|ads|american\s+depositary\s+share)\b(?:\s*,?\s*\(?(?:basic\s+and\s+)?diluted\b\)?)?"
    r"|(?:basic\s+and\s+)?diluted\s+eps\b|\beps\s*,?\s*\(?diluted\b\)?)"
)
# What a "$X per diluted share" amount is of: "net income ... $0.50 per diluted share" is EPS,
# "restructuring charges of $0.25 per diluted share" or "a dividend of ..." is not.
_EPS_SUBJECT = re.compile(
    r"(?i)\bnet\s+(?:\(loss\)\s+|\(income\)\s+)?(?:income|earnings|loss|profit)\b|\bearnings\b|\beps\b"
    r"|\b(?:income|earnings)\s+\(loss\)|\(loss\)\s+(?:income|earnings)"
)
_NOT_EPS_BETWEEN = re.compile(
    r"(?i)\b(?:charges?|benefits?|impacts?|items?|gains?|dividends?|expenses?|costs?|tax(?:es)?|includ\w*)\b"
)
# A basis stated apart from the metric's name, before it or right after its amount: "Excluding
# special items, diluted EPS was $1.87", "Diluted EPS was $1.87 on an adjusted basis".
_BASIS_WORDS = (
    r"(?P<adjusted>\b(?:excluding|exclusive\s+of)\b|\bon\s+an?\s+(?:adjusted|non-gaap|comparable|underlying|core)\s+basis\b)"
    r"|(?P<gaap>\bon\s+an?\s+(?:gaap|reported|u\.s\.\s+gaap)\s+basis\b)"
)
_BASIS_CUE = re.compile(f"(?i){_BASIS_WORDS}")
_BASIS_NEXT = re.compile(rf"(?i)\s*,?\s*(?:{_BASIS_WORDS})")
_EPS_AFTER_AMOUNT = re.compile(
    r"(?i)^\s*(?:of\s+)?(?:"
    r"per\s+(?:basic\s+and\s+)?diluted\s+(?:common\s+|ordinary\s+)?(?P<u1>share|ads)\b"
    r"|per\s+(?P<u2>share|ads)\s*\(?\s*,?\s*(?:on\s+a\s+)?(?:basic\s+and\s+)?diluted(?:\s+basis)?"
    r"|in\s+diluted\s+(?:earnings|eps)\s+per\s+(?P<u3>share|ads)"
    r"|diluted\s+(?:eps|earnings\s+per\s+(?P<u4>share|ads)))"
)
# "increased $1.2 billion", "rose by $0.12", "an increase of $5 million", "grew 12%, or $1.2 billion":
# the amount is a change, not a level.
_CHANGE_VERB = (
    r"\b(?:increased|decreased|rose|fell|grew|declined|improved|jumped|climbed|dropped|gained|expanded|"
    r"contracted|up|down)"
)
_CHANGE_BEFORE = re.compile(
    rf"(?i)(?:\bby|\b(?:increase|decrease|growth|decline|improvement|change)\s+of|{_CHANGE_VERB}"
    rf"|{_CHANGE_VERB}\b(?:(?!\bto\b)[^,;]){{0,60}},?\s+or)\s*$"
)
# After a change, the level follows "to": "increased $1.2 billion, or 3%, to a record $39.3 billion".
_TO_LEVEL = re.compile(r"(?i)\bto(?:\s+(?:a|an|the))?(?:\s+(?:record|new|all-time|quarterly|high|of))*\s*$")
_OTHER_METRIC = re.compile(
    r"(?i)\b(?:revenues?|sales|income|earnings|loss|eps|margins?|profit|expenses?|cash|ebitda|"
    r"bookings|backlog|dividends?|buybacks?|repurchases?|costs?)\b"
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
_GENERIC_BEFORE = frozenset("""
    the a an its their our total net consolidated quarterly quarter record reported gaap non-gaap
    adjusted today company company's fiscal all-time strong and with of in on that to was were for
    said announced posted delivered achieved generated reports reported also while as both whose
    first-quarter second-quarter third-quarter fourth-quarter q1 q2 q3 q4 year-over-year high new
    highest better higher lower group's overall combined worldwide global
""".split())
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
            found.extend(_eps(current, sentence, period))
        return found

    def _guidance(self, current: str, sentence: str) -> list[Candidate]:
        period = quarter_phrase(current) or self.outlook_period
        if period is None and not re.search(r"(?i)\b(?:next|the|this)\s+quarter\b", current):
            return []
        for match in _REVENUE.finditer(current):
            prefix = _before(current, match.start())
            if _qualifier(prefix) or _REJECT_AFTER.match(current[match.end() : match.end() + 200]):
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


def _before(text: str, index: int, width: int = 300) -> str:
    """Return the words just before index: enough to qualify a metric, without copying a long clause."""
    if index <= width:
        return text[:index]
    window = text[index - width : index]
    return window[window.find(" ") + 1 :]  # without the word cut in half


def _qualifier(prefix: str) -> list[str]:
    """Return the words that narrow a metric ("Data Center" in "Data Center revenue")."""
    words = re.findall(r"[\w$&.'-]+|[,;:()\"•]", prefix)
    qualifier: list[str] = []
    for word in reversed(words[-8:]):
        low = word.lower()
        if word in ",;:()\"•" or low in _GENERIC_BEFORE or low.endswith(("'s", "s'")) or re.fullmatch(r"[\d.,$]+", word):
            break
        qualifier.append(word)
    qualifier.reverse()
    return qualifier


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


def _first_amount(
    text: str, start: int, *, money: bool, limit: int = 160
) -> Amount | None:
    """Return the first amount after start that states a level (not a change), or None.

    A change ("increased $1.2 billion") is skipped; the level is then only the amount after "to"
    ("... to $39.3 billion"), and without one there is none.
    """
    changed_at: int | None = None
    for amount in money_amounts(text[start : start + limit + 60]):
        if amount.start > limit:
            return None
        between = text[start : start + amount.start]
        if _OTHER_METRIC.search(between):
            return None
        if _CHANGE_BEFORE.search(between):
            changed_at = amount.end
            continue
        if changed_at is not None and not _TO_LEVEL.search(text[start + changed_at : start + amount.start]):
            return None
        follows = text[start + amount.end : start + amount.end + 40]
        if money and re.match(r"(?i)\s*(?:per\b|in\s+diluted)", follows):
            return None
        if money and not amount.scaled and abs(amount.value) < 1000:
            return None
        return amount
    return None


def _revenue(current: str, sentence: str, period: str | None, segment: str | None) -> list[Candidate]:
    found = []
    for match in _REVENUE.finditer(current):
        prefix, after = _before(current, match.start()), current[match.end() : match.end() + 200]
        if _REJECT_BEFORE.search(prefix) or _REJECT_AFTER.match(after):
            continue
        kpi_from = _KPI_FROM.match(after)
        if kpi_from and _NOT_A_SEGMENT.search(kpi_from["name"]):
            kpi_from = None  # "Revenue in Q4 was ...", "revenue in Fiscal 2025"
        qualifier = _qualifier(prefix)
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
        amount = _first_amount(current, end, money=True)
        if amount is None:
            continue
        metric = f"kpi:{snake(name)}_revenue" if name else "revenue"
        named = Basis.ADJUSTED if re.search(r"(?i)\b(?:non-gaap|adjusted)\s*$", prefix[-40:]) else None
        basis = _with_stated(named, _stated_basis(current, match.start(), end + amount.start, end + amount.end))
        if basis is None:
            continue
        found.append(Candidate(metric, basis, Unit.MONEY, amount.currency, amount.value, amount.step, sentence, period))
    return found


def _net_income(current: str, sentence: str, period: str | None) -> list[Candidate]:
    found = []
    for match in _NET_INCOME.finditer(current):
        prefix, after = _before(current, match.start()), current[match.end() : match.end() + 200]
        if _qualifier(prefix) or re.match(r"(?i)\s*(?:per\b|margin|before|from\s+continuing|attributable\s+to\s+(?:non-?controlling|minority))", after):
            continue
        attributable = re.match(r"(?i)\s*attributable\s+to\s+[^,;]{1,60}?(?=\s+(?:was|were|of|totaled|increased|decreased|rose|fell|grew|declined|amounted|reached)\b)", after)
        end = match.end() + (attributable.end() if attributable else 0)
        amount = _first_amount(current, end, money=True)
        if amount is None:
            continue
        value = amount.value
        if match["kind"].lower() == "loss" and not match["either"]:
            value = -abs(value)
        named = _basis_word(match["q"].strip().lower()) if match["q"] else None
        basis = _with_stated(named, _stated_basis(current, match.start(), end + amount.start, end + amount.end))
        if basis is None:
            continue
        found.append(Candidate(
            "net_income", basis, Unit.MONEY, amount.currency, value, amount.step, sentence, period,
            rank=1 if attributable else 0,
        ))
    return found


def _eps(current: str, sentence: str, period: str | None) -> list[Candidate]:
    found: list[Candidate] = []
    for match in _EPS_PHRASE.finditer(current):
        phrase = match["phrase"].lower()
        if "diluted" not in phrase or _qualifier(_before(current, match.start())):
            continue
        unit = Unit.PER_ADS if re.search(r"\bads\b|american", phrase) else Unit.PER_SHARE
        loss = "loss" in phrase and not re.search(r"income|earnings", phrase)
        first = _first_amount(current, match.end(), money=False, limit=120)
        if first is None or first.step >= 1:
            continue
        stated = _stated_basis(current, match.start(), match.end() + first.start, match.end() + first.end)
        readings = _eps_readings(current, match, first, stated)
        for amount, basis in readings:
            value = -abs(amount.value) if loss else amount.value
            found.append(Candidate("eps", basis, unit, amount.currency, value, amount.step, sentence, period))
    for amount in money_amounts(current):
        follows = _EPS_AFTER_AMOUNT.match(current[amount.end : amount.end + 80])
        if not follows or amount.step >= 1:
            continue
        before = current[max(0, amount.start - 300) : amount.start]
        subject = _last(_EPS_SUBJECT, before)
        if subject is None or _NOT_EPS_BETWEEN.search(before[subject.end() :]) or _CHANGE_BEFORE.search(before):
            continue  # "restructuring charges of $0.25 per diluted share", "a dividend of ..."
        unit_word = next(u for u in follows.groups() if u)
        unit = Unit.PER_ADS if unit_word.lower() == "ads" else Unit.PER_SHARE
        basis_words = re.findall(r"(?i)\b(non-gaap|adjusted|gaap)\b", before)
        named = _basis_word(basis_words[-1].lower()) if basis_words else None
        subject_at = amount.start - len(before) + subject.start()
        subject_basis = _with_stated(named, _stated_basis(current, subject_at, amount.start, amount.end))
        if subject_basis is None:
            continue
        value = amount.value
        if re.search(r"(?i)loss", subject.group(0)) and not re.search(r"(?i)income|earnings", subject.group(0)):
            value = -abs(value)
        found.append(Candidate("eps", subject_basis, unit, amount.currency, value, amount.step, sentence, period))
    return found


def _eps_readings(
    current: str, match: re.Match[str], first: Amount, stated: Basis | None
) -> list[tuple[Amount, Basis]]:
    """Return the EPS amounts after a phrase with their basis; two for "GAAP and non-GAAP EPS were $X and $Y"."""
    qualifier = (match["q"] or "").strip().lower()
    if " and " not in qualifier:
        basis = _with_stated(_basis_word(qualifier) if qualifier else None, stated)
        return [(first, basis)] if basis is not None else []
    bases = [_basis_word(word.strip()) for word in qualifier.split(" and ")]
    if bases[0] == bases[1] or stated is not None:
        return []
    rest = current[match.end() + first.end : match.end() + first.end + 40]
    second = money_amounts(rest)
    if not second or not re.fullmatch(r"\s*,?\s*and\s*", rest[: second[0].start]):
        return []
    return [(first, bases[0]), (second[0], bases[1])]


def _stated_basis(current: str, metric: int, start: int, end: int) -> Basis | None:
    """Return the basis the clause states for the amount at start:end of the metric named at metric.

    The cue must be right after the amount, or the last one before it and not followed by another
    amount before the metric ("Operating expenses excluding ... were $X and revenue was $Y").
    """
    cue = _BASIS_NEXT.match(current, end, end + 80)
    if cue is None:
        window = max(0, min(metric, start) - 300)
        cue = _last(_BASIS_CUE, current[window:start])
        if cue is None or money_amounts(current[window + cue.end() : max(metric, window + cue.end())]):
            return None
    return Basis.ADJUSTED if cue["adjusted"] else Basis.GAAP


def _with_stated(named: Basis | None, stated: Basis | None) -> Basis | None:
    """Return the figure's basis from its name and the clause; None when the two disagree."""
    if named is None:
        return stated if stated is not None else Basis.GAAP
    return named if stated is None or named == stated else None


def _last(pattern: re.Pattern[str], text: str) -> re.Match[str] | None:
    matches = list(pattern.finditer(text))
    return matches[-1] if matches else None


def _basis_word(word: str) -> Basis:
    return Basis.GAAP if word == "gaap" else Basis.ADJUSTED


def _guidance_value(
    current: str, start: int
) -> tuple[Decimal, Decimal, str, Decimal | None, Decimal | None] | None:
    amounts = [a for a in money_amounts(current[start : start + 220]) if a.start <= 160]
    if not amounts:
        return None
    first = amounts[0]
    between = current[start : start + first.start]
    if _OTHER_METRIC.search(between) or _CHANGE_BEFORE.search(between):
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
