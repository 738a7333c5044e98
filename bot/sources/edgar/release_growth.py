"""Year-over-year growth a press release states for its headline revenue and EPS.

    stated_growth(html, figures)  # [Figure("yoy:revenue", gaap, percent, None, Decimal("78"))]

Only a growth stated beside the very amount the release reports ("Record quarterly revenue of $39.3
billion, up 12% from Q3 and up 78% from a year ago"; "Net sales increased 10% to $187.8 billion";
"Revenue was RMB280,154 million ..., an increase of 8% year-over-year") counts: the amount must be
the headline figure within the sentence's rounding, so a segment's growth is never taken for the
company's. Quarter-over-quarter growth ("up 12% from Q3") is never read as year over year.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from decimal import Decimal

from bot.domain.figures import Basis, Figure, Metric, Unit
from bot.domain.track_record import growth_figure
from bot.sources.edgar.amounts import money_amounts
from bot.sources.edgar.document_text import TextLine, read_document
from bot.sources.edgar.release_parts import is_annual

_NAME = re.compile(
    r"(?i)\b(?P<eps>(?:diluted\s+)?earnings\s+per\s+(?:diluted\s+)?share|\bEPS\b)|\b(?P<revenue>revenues?|net\s+sales)\b"
)
_YEAR_AGO = (r"(?:from\s+(?:a|the)\s+year\s+(?:ago|earlier)|year[\s-]over[\s-]year|year[\s-]on[\s-]year|"
             r"from\s+the\s+(?:same|prior[\s-]year|year[\s-]ago)\s+(?:quarter|period)(?:\s+last\s+year)?|"
             r"compared\s+(?:with|to)\s+(?:the\s+)?(?:first|second|third|fourth)\s+quarter\s+(?:of\s+)?(?:fiscal\s+)?20\d\d)")
_PERCENT = r"(?P<pct>\d{1,4}(?:\.\d+)?)\s*(?:%|percent)"
# "up 78% from a year ago", "an increase of 8% year-over-year", "up 4 percent year over year"
_AFTER = re.compile(rf"(?i)\b(?:up|increased?|rose|grew|growth\s+of|an\s+increase\s+of|down|decreased?|declined?|"
                    rf"a\s+decrease\s+of)\s+(?:by\s+)?{_PERCENT}\s+{_YEAR_AGO}")
# "increased 10% to $187.8 billion ..., compared with $170.0 billion in fourth quarter 2023"
_BEFORE = re.compile(rf"(?i)\b(?:increased|rose|grew|decreased|declined)\s+{_PERCENT}\s+to\s*$")
_COMPARED_WITH_QUARTER = re.compile(
    r"(?i)compared\s+(?:with|to)\b.{0,40}?\b(?:first|second|third|fourth)\s+quarter\s+(?:of\s+)?(?:fiscal\s+)?20\d\d"
)
_FALLING = re.compile(r"(?i)\b(?:down|decrease|decreased|declined?)\b")
_SENTENCE_END = re.compile(r"(?<=[.;•])\s+|\s+•\s+")
_NEAR = 140


def stated_growth(content: str | bytes, figures: Sequence[Figure]) -> list[Figure]:
    """Return the year-over-year growth the release states for its reported revenue and EPS."""
    found: dict[tuple[str, Basis], Figure] = {}
    for block in read_document(content):
        if not isinstance(block, TextLine):
            continue
        for sentence in _SENTENCE_END.split(block.text):
            for figure, percent in _readings(sentence, figures):
                found.setdefault((figure.metric, figure.basis), growth_figure(figure, percent))
    return list(found.values())


def _readings(sentence: str, figures: Sequence[Figure]) -> list[tuple[Figure, Decimal]]:
    readings = []
    amounts = money_amounts(sentence)
    for name in _NAME.finditer(sentence):
        metric = Metric.EPS if name["eps"] else Metric.REVENUE
        following = [a for a in amounts if 0 <= a.start - name.end() <= 60]
        if not following:
            continue
        amount = following[0]
        lead = sentence[max(0, name.start() - 60): name.start()]
        if is_annual(lead + sentence[name.start(): amount.start]):
            continue  # "full-year revenue of $130.5 billion, up 114%"
        percent = _percent_after(sentence, amount.end) or _percent_before(sentence, amount.start)
        if percent is None:
            continue
        for figure in _matching(figures, metric, amount.value, amount.step, amount.currency, sentence):
            readings.append((figure, percent))
    return readings


def _percent_after(sentence: str, end: int) -> Decimal | None:
    window = sentence[end: end + _NEAR]
    translated = re.match(r"\s*\([^()]{0,40}\)", window)  # "RMB280,154 million (US$38,381 million)"
    following = money_amounts(window[translated.end():] if translated else window)
    offset = translated.end() if translated else 0
    match = _AFTER.search(window)
    if match is None or any(a.start + offset < match.start() for a in following if a.scaled):
        return None  # another amount (a segment's) stands between
    return _signed(match)


def _percent_before(sentence: str, start: int) -> Decimal | None:
    match = _BEFORE.search(sentence[max(0, start - 60): start])
    rest = sentence[start: start + 200]
    if match is None or not (re.search(rf"(?i){_YEAR_AGO}", rest) or _COMPARED_WITH_QUARTER.search(rest)):
        return None
    return _signed(match)


def _signed(match: re.Match[str]) -> Decimal:
    value = Decimal(match["pct"])
    return -value if _FALLING.search(match.group(0)) else value


def _matching(figures: Sequence[Figure], metric: str, value: Decimal, step: Decimal, currency: str,
              sentence: str) -> list[Figure]:
    tolerance = step / 2 + step / 1000
    candidates = [f for f in figures if f.metric == metric and (f.currency or "").upper() == currency.upper()
                  and f.unit in (Unit.MONEY, Unit.PER_SHARE, Unit.PER_ADS) and abs(f.value - value) <= tolerance]
    if metric != Metric.EPS or len({f.basis for f in candidates}) < 2:
        return candidates[:1] if metric == Metric.REVENUE else candidates
    if re.search(r"(?i)\bnon[\s-]?GAAP\b|\badjusted\b", sentence):
        return [f for f in candidates if f.basis is Basis.ADJUSTED]
    if re.search(r"\bGAAP\b", sentence):
        return [f for f in candidates if f.basis is Basis.GAAP]
    return []  # both bases state this value and the sentence names neither: not taken
