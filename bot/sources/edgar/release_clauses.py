"""What the readers of release sentences share between metrics.

The words just before a metric's name (its qualifier), the first amount after the name that states
a level rather than a change, and the basis (GAAP or adjusted) the clause states for an amount.
"""

from __future__ import annotations

import re

from bot.domain.figures import Basis
from bot.sources.edgar.amounts import Amount, money_amounts

# A basis stated apart from the metric's name, before it or right after its amount: "Excluding
# special items, diluted EPS was $1.87", "Diluted EPS was $1.87 on an adjusted basis".
_BASIS_WORDS = (
    r"(?P<adjusted>\b(?:excluding|exclusive\s+of)\b|\bon\s+an?\s+(?:adjusted|non-gaap|comparable|underlying|core)\s+basis\b)"
    r"|(?P<gaap>\bon\s+an?\s+(?:gaap|reported|u\.s\.\s+gaap)\s+basis\b)"
)
_BASIS_CUE = re.compile(f"(?i){_BASIS_WORDS}")
_BASIS_NEXT = re.compile(rf"(?i)\s*,?\s*(?:{_BASIS_WORDS})")
# "increased $1.2 billion", "rose by $0.12", "an increase of $5 million", "grew 12%, or $1.2 billion":
# the amount is a change, not a level.
_CHANGE_VERB = (
    r"\b(?:increased|decreased|rose|fell|grew|declined|improved|jumped|climbed|dropped|gained|expanded|"
    r"contracted|up|down)"
)
CHANGE_BEFORE = re.compile(
    rf"(?i)(?:\bby|\b(?:increase|decrease|growth|decline|improvement|change)\s+of|{_CHANGE_VERB}"
    rf"|{_CHANGE_VERB}\b(?:(?!\bto\b)[^,;]){{0,60}},?\s+or)\s*$"
)
# After a change, the level follows "to": "increased $1.2 billion, or 3%, to a record $39.3 billion".
_TO_LEVEL = re.compile(r"(?i)\bto(?:\s+(?:a|an|the))?(?:\s+(?:record|new|all-time|quarterly|high|of))*\s*$")
OTHER_METRIC = re.compile(
    r"(?i)\b(?:revenues?|sales|income|earnings|loss|eps|margins?|profit|expenses?|cash|ebitda|"
    r"bookings|backlog|dividends?|buybacks?|repurchases?|costs?)\b"
)
_GENERIC_BEFORE = frozenset("""
    the a an its their our total net consolidated quarterly quarter record reported gaap non-gaap
    adjusted today company company's fiscal all-time strong and with of in on that to was were for
    said announced posted delivered achieved generated reports reported also while as both whose
    first-quarter second-quarter third-quarter fourth-quarter q1 q2 q3 q4 year-over-year high new
    highest better higher lower group's overall combined worldwide global
""".split())


def words_before(text: str, index: int, width: int = 300) -> str:
    """Return the words just before index: enough to qualify a metric, without copying a long clause."""
    if index <= width:
        return text[:index]
    window = text[index - width : index]
    return window[window.find(" ") + 1 :]  # without the word cut in half


def qualifier_words(prefix: str) -> list[str]:
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


def first_amount(
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
        if OTHER_METRIC.search(between):
            return None
        if CHANGE_BEFORE.search(between):
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


def stated_basis(current: str, metric: int, start: int, end: int) -> Basis | None:
    """Return the basis the clause states for the amount at start:end of the metric named at metric.

    The cue must be right after the amount, or the last one before it and not followed by another
    amount before the metric ("Operating expenses excluding ... were $X and revenue was $Y").
    """
    cue = _BASIS_NEXT.match(current, end, end + 80)
    if cue is None:
        window = max(0, min(metric, start) - 300)
        cue = last_match(_BASIS_CUE, current[window:start])
        if cue is None or money_amounts(current[window + cue.end() : max(metric, window + cue.end())]):
            return None
    return Basis.ADJUSTED if cue["adjusted"] else Basis.GAAP


def with_stated(named: Basis | None, stated: Basis | None) -> Basis | None:
    """Return the figure's basis from its name and the clause; None when the two disagree."""
    if named is None:
        return stated if stated is not None else Basis.GAAP
    return named if stated is None or named == stated else None


def last_match(pattern: re.Pattern[str], text: str) -> re.Match[str] | None:
    matches = list(pattern.finditer(text))
    return matches[-1] if matches else None


def basis_word(word: str) -> Basis:
    return Basis.GAAP if word == "gaap" else Basis.ADJUSTED
