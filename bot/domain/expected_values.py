"""The value of `/expect TICKER METRIC VALUE [PERIOD]`: what a user typed, read exactly or not at all.

    read_value("$0.90", ValueKind.PER_SHARE, "USD")   # ExpectedValue(Decimal("0.90"), per_share, "USD")
    read_value("40B", ValueKind.MONEY, "USD")         # ExpectedValue(Decimal("40000000000"), money, "USD")
    read_value("40", ValueKind.MONEY, "USD")          # Ambiguous: $40M or $40B, the user picks
    read_value("15%", ValueKind.MONEY, "USD")         # InvalidValue: a percentage is not an amount

A value is read one way or it is not accepted: a bare "40" for revenue could be millions or
billions, so every reading is returned for the user to choose (docs/decisions/012). A percentage
is never an amount, an amount never a percentage. Without a currency mark a value is in the
company's reporting currency. format_value() writes the spelling read_value() reads back.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from enum import StrEnum

from bot.domain.figures import Unit
from bot.domain.periods import FiscalPeriod, parse_period


class ValueKind(StrEnum):
    """What the metric's value is: an amount, an amount per share, a percentage or a count."""

    MONEY = "money"
    PER_SHARE = "per_share"
    PERCENT = "percent"
    COUNT = "count"


@dataclass(frozen=True, slots=True)
class ExpectedValue:
    """One reading of a typed value: ``value`` in whole units (money, count) or as written."""

    value: Decimal
    unit: Unit
    currency: str | None


@dataclass(frozen=True, slots=True)
class Ambiguous:
    """A value that could mean two or more things: the readings, for the user to pick from."""

    text: str
    readings: tuple[ExpectedValue, ...]


@dataclass(frozen=True, slots=True)
class InvalidValue:
    """A value that can't be read: the message names it and shows a valid example."""

    text: str
    message: str


ValueReading = ExpectedValue | Ambiguous | InvalidValue

# Marks and codes a user may type; "¥" alone is yen or yuan and is resolved by the company.
CURRENCY_MARKS = {
    "US$": "USD", "U.S.$": "USD", "$": "USD", "HK$": "HKD", "NT$": "TWD", "C$": "CAD", "CA$": "CAD",
    "A$": "AUD", "AU$": "AUD", "S$": "SGD", "R$": "BRL", "MX$": "MXN", "CN¥": "CNY", "JP¥": "JPY",
    "RMB": "CNY", "€": "EUR", "£": "GBP", "₹": "INR", "₩": "KRW", "₪": "ILS", "¥": "¥",
}
CURRENCY_CODES = frozenset({
    "USD", "CNY", "EUR", "GBP", "HKD", "JPY", "TWD", "CAD", "AUD", "CHF", "INR", "KRW", "SEK",
    "DKK", "NOK", "BRL", "MXN", "SGD", "ILS", "ZAR",
})
YEN_OR_YUAN = ("CNY", "JPY")
# How format_value writes a currency; every other code is written before the number ("CHF 1.2B").
_CANONICAL_MARK = {"USD": "$", "EUR": "€", "GBP": "£", "HKD": "HK$", "CNY": "RMB "}
_SCALES = {
    "k": 3, "thousand": 3, "m": 6, "mm": 6, "mn": 6, "mln": 6, "million": 6, "b": 9, "bn": 9,
    "bln": 9, "billion": 9, "t": 12, "tn": 12, "trillion": 12,
}
_SUFFIX = {12: "T", 9: "B", 6: "M", 3: "K"}
_MARK = "|".join(re.escape(m) for m in sorted([*CURRENCY_MARKS, *CURRENCY_CODES], key=len, reverse=True))
_SCALE = "|".join(sorted(_SCALES, key=len, reverse=True))
_VALUE = re.compile(
    rf"^(?P<open>\()?(?P<sign>[-+])?(?P<pre>{_MARK})?\s?(?P<inner>\()?(?P<sign2>[-+])?"
    rf"(?P<number>\d{{1,3}}(?:,\d{{3}})+(?:\.\d+)?|\d+(?:\.\d+)?|\.\d+)(?P<close>\))?"
    rf"\s?(?:(?P<percent>%|percent|pct)|(?P<scale>{_SCALE})(?![a-z]))?(?P<close2>\))?"
    rf"\s?(?P<post>{_MARK})?(?P<per>\s?(?:/|per\s)\s?(?:share|sh|ads))?$",
    re.IGNORECASE,
)
WHOLE_NUMBER_FROM = Decimal(10) ** 6  # a bare amount this large is in whole units: "40000000000"
_MOST = Decimal(10) ** 15
_EXAMPLES = {
    ValueKind.MONEY: "40B, $40,000M or 40000000000",
    ValueKind.PER_SHARE: "0.90, $0.90 or (0.11) for a loss",
    ValueKind.PERCENT: "15%",
    ValueKind.COUNT: "3.35B or 3350M",
}
_NAMES = {
    ValueKind.MONEY: "an amount", ValueKind.PER_SHARE: "an amount per share",
    ValueKind.PERCENT: "a percentage", ValueKind.COUNT: "a number of people or things",
}


def example(kind: ValueKind) -> str:
    """Return valid spellings of a value of this kind, for messages."""
    return _EXAMPLES[kind]


def read_value(text: str, kind: ValueKind, reporting_currency: str) -> ValueReading:
    """Read what a user typed as a value of `kind`: one reading, every reading, or why not."""
    typed = " ".join(text.replace("−", "-").replace("–", "-").replace("\u00a0", " ").split())
    match = _VALUE.match(typed)
    if match is None:
        return _invalid(typed, kind, "is not a value")
    problem = _shape_problem(match, kind)
    if problem:
        return _invalid(typed, kind, problem)
    try:
        number = Decimal(match["number"].replace(",", ""))
    except InvalidOperation:  # pragma: no cover - the pattern admits only digits
        return _invalid(typed, kind, "is not a value")
    if _negative(match):
        number = -number
    currencies = _currencies(match, kind, reporting_currency)
    if isinstance(currencies, str):
        return _invalid(typed, kind, currencies)
    readings = _readings(match, kind, number, currencies)
    if not readings:
        return _invalid(typed, kind, "is too large to be a value")
    if len(readings) == 1:
        return readings[0]
    return Ambiguous(typed, readings)


def _invalid(typed: str, kind: ValueKind, problem: str) -> InvalidValue:
    shown = repr(typed) if typed else "nothing"
    return InvalidValue(typed, f"{shown} {problem}: write {_NAMES[kind]} like {_EXAMPLES[kind]}")


def _shape_problem(match: re.Match[str], kind: ValueKind) -> str | None:
    """Return why a well-formed value does not fit the metric, or None when it does."""
    marked = bool(match["pre"] or match["post"])
    opened = bool(match["open"] or match["inner"])
    closed = bool(match["close"] or match["close2"])
    if opened != closed or (match["open"] and match["inner"]):
        return "has unbalanced brackets"
    if opened and (match["sign"] or match["sign2"]):
        return "is both bracketed and signed"
    if match["sign"] and match["sign2"]:
        return "has two signs"
    if match["pre"] and match["post"]:
        return "names its currency twice"
    if match["percent"]:
        if kind is not ValueKind.PERCENT:
            return f"is a percentage, and this metric is {_NAMES[kind]}"
        return "is a percentage with a currency" if marked or match["per"] else None
    return _amount_problem(match, kind, marked)


def _amount_problem(match: re.Match[str], kind: ValueKind, marked: bool) -> str | None:
    if kind is ValueKind.PERCENT and (marked or match["scale"] or match["per"]):
        return "is an amount, and this metric is a percentage"
    if kind is ValueKind.COUNT and (marked or match["per"]):
        return "has a currency, and this metric is a count"
    if kind is ValueKind.PER_SHARE and match["scale"]:
        return "has a scale (K, M, B), and this metric is per share"
    if kind is ValueKind.MONEY and match["per"]:
        return "is per share, and this metric is a total amount"
    return None


def _negative(match: re.Match[str]) -> bool:
    return bool(match["open"] or match["inner"]) or "-" in (match["sign"] or "", match["sign2"] or "")


def _currencies(match: re.Match[str], kind: ValueKind, reporting: str) -> tuple[str | None, ...] | str:
    """Return the currencies the value may be in (two for a bare "¥"), or why none."""
    if kind in (ValueKind.PERCENT, ValueKind.COUNT):
        return (None,)
    mark = match["pre"] or match["post"]
    if mark is None:
        return (reporting.upper(),)
    code = CURRENCY_MARKS.get(mark) or CURRENCY_MARKS.get(mark.upper()) or mark.upper()
    if code == "¥":
        return (reporting.upper(),) if reporting.upper() in YEN_OR_YUAN else YEN_OR_YUAN
    return (code,)


def _readings(
    match: re.Match[str], kind: ValueKind, number: Decimal, currencies: tuple[str | None, ...]
) -> tuple[ExpectedValue, ...]:
    unit = _unit(match, kind)
    values = [number]
    if kind is ValueKind.PERCENT and not match["percent"] and number != 0 and abs(number) < 1:
        values = [number, number * 100]  # "0.13": 0.13% or 13%?
    elif kind in (ValueKind.MONEY, ValueKind.COUNT):
        values = _scaled(match["scale"], number)
    readings: list[ExpectedValue] = []
    for currency in currencies:
        for value in values:
            reading = ExpectedValue(_plain(value), unit, currency) if abs(value) < _MOST else None
            if reading is not None and reading not in readings:
                readings.append(reading)
    return tuple(readings)


def _unit(match: re.Match[str], kind: ValueKind) -> Unit:
    if kind is ValueKind.PER_SHARE:
        return Unit.PER_ADS if re.search(r"(?i)ads", match["per"] or "") else Unit.PER_SHARE
    return {ValueKind.MONEY: Unit.MONEY, ValueKind.PERCENT: Unit.PERCENT, ValueKind.COUNT: Unit.COUNT}[kind]


def _scaled(scale: str | None, number: Decimal) -> list[Decimal]:
    """Return every whole-unit value a number may stand for: one with a scale, two without."""
    if scale:
        return [number.scaleb(_SCALES[scale.lower()])]
    if number == 0 or abs(number) >= WHOLE_NUMBER_FROM:
        return [number]
    if abs(number) >= 1000:  # "40,000": a table's thousands or millions
        return [number.scaleb(3), number.scaleb(6)]
    return [number.scaleb(6), number.scaleb(9)]  # "40": millions or billions


def _plain(value: Decimal) -> Decimal:
    """Return value without an exponent or trailing zeros beyond its written precision."""
    if value == value.to_integral_value():
        return value.quantize(Decimal(1))
    return value.normalize()


def format_value(reading: ExpectedValue) -> str:
    """Return the canonical spelling of a reading: '$40B', 'RMB 21.4B', '-$0.11', '15%'."""
    number = reading.value
    sign = "-" if number < 0 else ""
    magnitude = abs(number)
    if reading.unit is Unit.PERCENT:
        return f"{sign}{_digits(magnitude)}%"
    mark = _mark(reading.currency)
    if reading.unit in (Unit.PER_SHARE, Unit.PER_ADS):
        per = "/ADS" if reading.unit is Unit.PER_ADS else ""
        return f"{sign}{mark}{_digits(magnitude)}{per}"
    if magnitude == 0:
        return f"{mark}0"
    power = next((p for p in sorted(_SUFFIX, reverse=True) if magnitude >= Decimal(10) ** p), 3)
    return f"{sign}{mark}{_digits(magnitude.scaleb(-power))}{_SUFFIX[power]}"


def _mark(currency: str | None) -> str:
    if currency is None:
        return ""
    return _CANONICAL_MARK.get(currency, f"{currency} ")


def _digits(value: Decimal) -> str:
    return format(_plain(value), "f")


@dataclass(frozen=True, slots=True)
class ValueAndPeriod:
    """The VALUE [PERIOD] part of /expect: the value's reading and the period, if one was named."""

    reading: ValueReading
    period: FiscalPeriod | None


def read_value_and_period(text: str, kind: ValueKind, reporting_currency: str) -> ValueAndPeriod:
    """Split "RMB 21.4 Q4 FY2025" into its value and period and read both.

    The period is the last word or two when they name one ("Q4FY2025", "Q4 FY2025", "FY2025").
    """
    words = text.split()
    for size in (2, 1):
        if len(words) > size and (period := parse_period(" ".join(words[-size:]))) is not None:
            value = " ".join(words[:-size])
            return ValueAndPeriod(read_value(value, kind, reporting_currency), period)
    if words and re.fullmatch(r"(?i)Q[1-4]|FY", words[-1]) and len(words) > 1:
        value = " ".join(words[:-1])
        message = f"{words[-1]!r} is not a period: name its fiscal year, like Q4FY2025, Q4 FY2025 or FY2025"
        return ValueAndPeriod(InvalidValue(value, message), None)
    return ValueAndPeriod(read_value(text, kind, reporting_currency), None)
