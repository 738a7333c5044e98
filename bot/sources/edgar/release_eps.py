"""Read earnings per diluted share from the clauses of a press release.

Two shapes: the metric named before its amount ("GAAP earnings per diluted share were $0.89",
"GAAP and non-GAAP EPS were $0.89 and $1.02"), and the amount before the unit with the subject
earlier in the clause ("net income ... or $0.50 per diluted share"); a loss reads negative.
"""

from __future__ import annotations

import re

from bot.domain.figures import Basis, Unit
from bot.sources.edgar.amounts import Amount, money_amounts
from bot.sources.edgar.release_clauses import (
    CHANGE_BEFORE,
    basis_word,
    first_amount,
    last_match,
    qualifier_words,
    stated_basis,
    with_stated,
    words_before,
)
from bot.sources.edgar.release_parts import Candidate

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
_EPS_AFTER_AMOUNT = re.compile(
    r"(?i)^\s*(?:of\s+)?(?:"
    r"per\s+(?:basic\s+and\s+)?diluted\s+(?:common\s+|ordinary\s+)?(?P<u1>share|ads)\b"
    r"|per\s+(?P<u2>share|ads)\s*\(?\s*,?\s*(?:on\s+a\s+)?(?:basic\s+and\s+)?diluted(?:\s+basis)?"
    r"|in\s+diluted\s+(?:earnings|eps)\s+per\s+(?P<u3>share|ads)"
    r"|diluted\s+(?:eps|earnings\s+per\s+(?P<u4>share|ads)))"
)


def read_eps(current: str, sentence: str, period: str | None) -> list[Candidate]:
    """Return the EPS candidates of one clause (current: the clause up to any comparison)."""
    found: list[Candidate] = []
    for match in _EPS_PHRASE.finditer(current):
        found.extend(_eps_after_phrase(current, sentence, period, match))
    for amount in money_amounts(current):
        candidate = _eps_before_unit(current, sentence, period, amount)
        if candidate is not None:
            found.append(candidate)
    return found


def _eps_after_phrase(
    current: str, sentence: str, period: str | None, match: re.Match[str]
) -> list[Candidate]:
    """Return the EPS read after a named metric: "GAAP earnings per diluted share were $0.89"."""
    phrase = match["phrase"].lower()
    if "diluted" not in phrase or qualifier_words(words_before(current, match.start())):
        return []
    unit = Unit.PER_ADS if re.search(r"\bads\b|american", phrase) else Unit.PER_SHARE
    loss = "loss" in phrase and not re.search(r"income|earnings", phrase)
    first = first_amount(current, match.end(), money=False, limit=120)
    if first is None or first.step >= 1:
        return []
    stated = stated_basis(current, match.start(), match.end() + first.start, match.end() + first.end)
    return [
        Candidate("eps", basis, unit, amount.currency, -abs(amount.value) if loss else amount.value,
                  amount.step, sentence, period)
        for amount, basis in _eps_readings(current, match, first, stated)
    ]


def _eps_before_unit(
    current: str, sentence: str, period: str | None, amount: Amount
) -> Candidate | None:
    """Return the EPS an amount before "per diluted share" states, when its subject is earnings."""
    follows = _EPS_AFTER_AMOUNT.match(current[amount.end : amount.end + 80])
    if not follows or amount.step >= 1:
        return None
    before = current[max(0, amount.start - 300) : amount.start]
    subject = last_match(_EPS_SUBJECT, before)
    if subject is None or _NOT_EPS_BETWEEN.search(before[subject.end() :]) or CHANGE_BEFORE.search(before):
        return None  # "restructuring charges of $0.25 per diluted share", "a dividend of ..."
    unit_word = next(u for u in follows.groups() if u)
    unit = Unit.PER_ADS if unit_word.lower() == "ads" else Unit.PER_SHARE
    subject_at = amount.start - len(before) + subject.start()
    basis = with_stated(_named_basis(before), stated_basis(current, subject_at, amount.start, amount.end))
    if basis is None:
        return None
    value = -abs(amount.value) if _is_loss(subject.group(0)) else amount.value
    return Candidate("eps", basis, unit, amount.currency, value, amount.step, sentence, period)


def _named_basis(before: str) -> Basis | None:
    """Return the basis the last "GAAP" / "non-GAAP" / "adjusted" before the amount names, if any."""
    basis_words = re.findall(r"(?i)\b(non-gaap|adjusted|gaap)\b", before)
    return basis_word(basis_words[-1].lower()) if basis_words else None


def _is_loss(subject: str) -> bool:
    """Whether the subject is a loss ("net loss"), not "net income (loss)"."""
    return bool(re.search(r"(?i)loss", subject)) and not re.search(r"(?i)income|earnings", subject)


def _eps_readings(
    current: str, match: re.Match[str], first: Amount, stated: Basis | None
) -> list[tuple[Amount, Basis]]:
    """Return the EPS amounts after a phrase with their basis; two for "GAAP and non-GAAP EPS were $X and $Y"."""
    qualifier = (match["q"] or "").strip().lower()
    if " and " not in qualifier:
        basis = with_stated(basis_word(qualifier) if qualifier else None, stated)
        return [(first, basis)] if basis is not None else []
    bases = [basis_word(word.strip()) for word in qualifier.split(" and ")]
    if bases[0] == bases[1] or stated is not None:
        return []
    rest = current[match.end() + first.end : match.end() + first.end + 40]
    second = money_amounts(rest)
    if not second or not re.fullmatch(r"\s*,?\s*and\s*", rest[: second[0].start]):
        return []
    return [(first, bases[0]), (second[0], bases[1])]
