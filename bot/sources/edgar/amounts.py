"""Amounts as press releases write them: "$39.3 billion", "RMB280,154 million", "$(0.11)", "293,618".

Every amount remembers its precision (``step``): "$39.3 billion" is only good to 0.1 billion, so a
table's 39,331 (in millions) is the same figure written more precisely.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

# Currency marks, longest first so that "US$" wins over "$".
CURRENCIES = {
    "US$": "USD", "U.S.$": "USD", "HK$": "HKD", "NT$": "TWD", "C$": "CAD", "A$": "AUD",
    "$": "USD", "USD": "USD", "RMB": "CNY", "CNY": "CNY", "EUR": "EUR", "€": "EUR",
    "£": "GBP", "GBP": "GBP", "JPY": "JPY", "CHF": "CHF",
}
_CURRENCY_ALTERNATIVES = "|".join(
    re.escape(mark) for mark in sorted(CURRENCIES, key=len, reverse=True)
)
SCALES = {
    "thousand": Decimal(10) ** 3, "thousands": Decimal(10) ** 3,
    "million": Decimal(10) ** 6, "millions": Decimal(10) ** 6, "mn": Decimal(10) ** 6, "m": Decimal(10) ** 6,
    "billion": Decimal(10) ** 9, "billions": Decimal(10) ** 9, "bn": Decimal(10) ** 9, "b": Decimal(10) ** 9,
    "trillion": Decimal(10) ** 12,
}
_NUMBER = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?"

# "$39.3 billion", "RMB280,154 million", "($0.11)", "$(0.11)", "US$ 2.79", "€1.2bn", "-$0.11", "$-0.11".
# A minus counts only when attached to the amount and not to a word or number before it, so the dash
# of a range ("$1.0–$1.2") or of a hyphenated word is no minus.
MONEY = re.compile(
    rf"(?P<open>\(\s*)?(?P<minus>(?<![^\s(])[-−–])?(?P<currency>{_CURRENCY_ALTERNATIVES})\s?(?P<inner>\(\s*)?"
    rf"(?P<minus2>[-−–])?(?P<number>{_NUMBER})(?P<close>\s*\))?"
    rf"(?:\s?(?P<scale>(?i:trillion|billion|million|thousand))\b|(?P<abbreviation>bn|mn|B|M)\b)?"
)

_CELL = re.compile(
    rf"^(?P<currency>{_CURRENCY_ALTERNATIVES})?\s*(?P<minus>[-−–])?\s*(?P<open>\()?\s*"
    rf"(?P<currency2>{_CURRENCY_ALTERNATIVES})?\s*(?P<number>{_NUMBER})\s*(?P<close>\))?\s*(?P<percent>%)?$"
)
_PLACEHOLDERS = {"—", "–", "-", "−", "— ", "n/a", "n/m", "nm", "na", "*", "**", "—%", "-%"}
# "(in millions, except per share data)", "$ in thousands", "(Amounts in Thousands ...)",
# "(in millions of RMB, except per share data)", "RMB in millions"
SCALE_STATEMENT = re.compile(
    r"(?i)\bin\s+(?:(?:U\.S\.|US|RMB|HK)?\$?\s*|(?:U\.S\.\s+)?dollars\s+|RMB\s+)?"
    r"(thousands|millions|billions)\b|\((?:\$|RMB|US\$)?\s*(thousands|millions|billions|000s|000's)\b"
)
_STATEMENT_CURRENCY = re.compile(
    r"(?i)(?<![\w$])(RMB|US\$|HK\$|EUR|€|£|\$)(?=\s*in\s+(?:thousands|millions|billions)\b)"
    r"|\bin\s+\w+\s+of\s+(RMB|US\$|U\.S\. dollars|dollars)\b"
)

# "shares", "share amounts", "number of shares" -- but not "per share"
_SHARE_WORD = re.compile(r"(?i)(?<!per\s)\bshares?\b")
_MONEY_WORD = re.compile(r"(?i)\bdollars\b|\$|\bRMB\b|€|£|\beuros?\b|(?<!share\s)\bamounts\b")


@dataclass(frozen=True, slots=True)
class Amount:
    """A number found in the text: value in whole units, its precision, currency when written."""

    value: Decimal
    step: Decimal
    currency: str
    scaled: bool
    factor: Decimal = Decimal(1)
    start: int = 0
    end: int = 0
    text: str = ""


@dataclass(frozen=True, slots=True)
class CellValue:
    """A table cell read as a number (value None for a dash), or a percentage."""

    value: Decimal | None
    step: Decimal
    currency: str | None
    percent: bool
    has_decimals: bool
    text: str


def to_decimal(number: str) -> tuple[Decimal, Decimal]:
    """Return the value of "39,331.5" and its step (0.1); raise ValueError for junk."""
    digits = number.replace(",", "")
    try:
        value = Decimal(digits)
    except InvalidOperation as exc:
        raise ValueError(f"not a number: {number!r}") from exc
    decimals = len(digits.split(".", 1)[1]) if "." in digits else 0
    return value, Decimal(1).scaleb(-decimals)


def whole(value: Decimal) -> Decimal:
    """Return value without a needless fractional part (39300000000.0 -> 39300000000)."""
    try:
        if value == value.to_integral_value():
            return value.quantize(Decimal(1))
    except InvalidOperation:  # more digits than any real amount: left as is, and dropped later
        pass
    return value


def money_amounts(text: str) -> list[Amount]:
    """Return every currency amount in a sentence, scaled to whole units, in order."""
    amounts = []
    for match in MONEY.finditer(text):
        value, step = to_decimal(match["number"])
        negative = bool((match["open"] or match["inner"]) and match["close"] or match["minus"] or match["minus2"])
        scale_word = match["scale"] or (match["abbreviation"] or "").lower()
        factor = SCALES.get(scale_word.lower(), Decimal(1)) if scale_word else Decimal(1)
        if negative:
            value = -value
        amounts.append(Amount(
            value=whole(value * factor), step=step * factor,
            currency=CURRENCIES[match["currency"]], scaled=bool(scale_word), factor=factor,
            start=match.start(), end=match.end(), text=match.group(0),
        ))
    return amounts


def read_cell(text: str) -> CellValue | None:
    """Read a table cell: a number, a percentage or a dash placeholder; None for words."""
    cleaned = text.strip()
    if re.sub(rf"^(?:{_CURRENCY_ALTERNATIVES})\s*", "", cleaned).lower() in _PLACEHOLDERS:
        return CellValue(None, Decimal(1), None, False, False, cleaned)
    match = _CELL.match(cleaned)
    if not match or (match["open"] and not match["close"]) or (match["close"] and not match["open"]):
        return None
    value, step = to_decimal(match["number"])
    if match["open"] or match["minus"]:
        value = -value
    mark = match["currency"] or match["currency2"]
    return CellValue(
        value=value, step=step, currency=CURRENCIES[mark] if mark else None,
        percent=bool(match["percent"]), has_decimals="." in match["number"], text=cleaned,
    )


def scale_of(text: str) -> Decimal | None:
    """Return the factor a "(in millions, except per share data)" statement sets, or None.

    A scale for share counts ("Shares in thousands; dollars in millions", "except shares in
    thousands") is not the scale of the amounts, so the first scale not tied to shares is taken.
    """
    for match in SCALE_STATEMENT.finditer(text):
        if _scales_shares(text[:match.start()]):
            continue
        word = (match.group(1) or match.group(2)).lower()
        return Decimal(1000) if word.startswith("000") else SCALES[word]
    return None


def _scales_shares(before: str) -> bool:
    """Return True when the words just before a scale name shares ("share amounts", "except shares,")."""
    clauses = re.split(r"[;()\[\]]|,", before[-80:])
    clause = clauses[-1]
    if not clause.strip() and len(clauses) >= 2:
        clause = clauses[-2]  # "except shares, in thousands"
    # "Dollars and shares in millions" scales the dollars too
    return bool(_SHARE_WORD.search(clause)) and not _MONEY_WORD.search(clause)


def statement_currency(text: str) -> str | None:
    """Return the currency a scale statement names ("RMB in millions" -> CNY), if any."""
    match = _STATEMENT_CURRENCY.search(text)
    if not match:
        return None
    mark = (match.group(1) or match.group(2) or "").strip()
    if mark.lower().endswith("dollars"):
        return "USD"
    return CURRENCIES.get(mark)


def is_currency_mark(text: str) -> bool:
    """Return True for a cell holding only a currency mark ("$", "RMB", "US$")."""
    return text.strip() in CURRENCIES
