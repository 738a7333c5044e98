"""/expect values: every spelling users write is read exactly, an ambiguous one is never guessed,
a percentage is never money, and nonsense gets a message naming it with a valid example."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.domain.expected_values import (
    CURRENCY_CODES,
    WHOLE_NUMBER_FROM,
    Ambiguous,
    ExpectedValue,
    InvalidValue,
    ValueKind,
    format_value,
    read_value,
    read_value_and_period,
)
from bot.domain.figures import Unit
from bot.domain.periods import FiscalPeriod, parse_period

MONEY, PER_SHARE, PERCENT, COUNT = ValueKind.MONEY, ValueKind.PER_SHARE, ValueKind.PERCENT, ValueKind.COUNT
BILLION = Decimal(10) ** 9


def read(text: str, kind: ValueKind, currency: str = "USD") -> ExpectedValue:
    reading = read_value(text, kind, currency)
    assert isinstance(reading, ExpectedValue), reading
    return reading


@pytest.mark.parametrize(("text", "value", "currency"), [
    ("0.9", "0.9", "USD"), ("$0.90", "0.90", "USD"), ("-0.11", "-0.11", "USD"), ("(0.11)", "-0.11", "USD"),
    ("$(0.11)", "-0.11", "USD"), ("-$0.11", "-0.11", "USD"), ("US$2.79", "2.79", "USD"),
    ("USD 2.79", "2.79", "USD"), ("HK$ 5.20", "5.20", "HKD"), ("€1.05", "1.05", "EUR"), ("1.05 EUR", "1.05", "EUR"),
])
def test_per_share_values_in_every_usual_spelling(text: str, value: str, currency: str) -> None:
    assert read(text, PER_SHARE) == ExpectedValue(Decimal(value), Unit.PER_SHARE, currency)


def test_per_share_values_are_in_the_reporting_currency_unless_stated() -> None:
    assert read("21.4", PER_SHARE, "CNY") == ExpectedValue(Decimal("21.4"), Unit.PER_SHARE, "CNY")
    assert read("RMB 21.4", PER_SHARE, "USD").currency == "CNY"
    assert read("¥21.4", PER_SHARE, "CNY").currency == "CNY"
    assert read("¥150", PER_SHARE, "JPY").currency == "JPY"
    assert read("$2.79", PER_SHARE, "CNY").currency == "USD"  # stated: the ADS price in dollars
    assert read("2.79/ADS", PER_SHARE, "CNY").unit is Unit.PER_ADS
    assert read("RMB 21.4 per ADS", PER_SHARE, "USD") == ExpectedValue(Decimal("21.4"), Unit.PER_ADS, "CNY")


def test_a_bare_yen_sign_for_a_company_reporting_in_neither_is_asked() -> None:
    reading = read_value("¥21.4", PER_SHARE, "USD")
    assert isinstance(reading, Ambiguous)
    assert [r.currency for r in reading.readings] == ["CNY", "JPY"]


@pytest.mark.parametrize(("text", "value"), [
    ("40B", 40 * BILLION), ("40b", 40 * BILLION), ("$40B", 40 * BILLION), ("40 billion", 40 * BILLION),
    ("40bn", 40 * BILLION), ("40,000M", 40 * BILLION), ("40000m", 40 * BILLION), ("40000000000", 40 * BILLION),
    ("40,000,000,000", 40 * BILLION), ("$39.331B", Decimal("39331000000")), ("1.2T", Decimal("1.2e12")),
    ("(1.5B)", Decimal("-1.5e9")), ("-250M", Decimal("-2.5e8")), ("750K", Decimal(750000)),
])
def test_money_values_with_a_scale_or_in_whole_units(text: str, value: Decimal) -> None:
    assert read(text, MONEY) == ExpectedValue(value, Unit.MONEY, "USD")


def test_money_in_another_currency() -> None:
    assert read("RMB 280.2B", MONEY, "CNY") == ExpectedValue(Decimal("280200000000"), Unit.MONEY, "CNY")
    assert read("280.2B", MONEY, "CNY").currency == "CNY"
    assert read("€1.2bn", MONEY, "USD").currency == "EUR"


@pytest.mark.parametrize(("text", "readings"), [
    ("40", [Decimal("40e6"), Decimal("40e9")]),
    ("39.3", [Decimal("39.3e6"), Decimal("39.3e9")]),
    ("$40", [Decimal("40e6"), Decimal("40e9")]),
    ("40,000", [Decimal("40e6"), Decimal("40e9")]),
    ("280154", [Decimal("280154e3"), Decimal("280154e6")]),
])
def test_an_amount_without_a_scale_is_asked_never_guessed(text: str, readings: list[Decimal]) -> None:
    reading = read_value(text, MONEY, "USD")
    assert isinstance(reading, Ambiguous)
    assert [r.value for r in reading.readings] == readings
    assert {format_value(r) for r in reading.readings} == {format_value(ExpectedValue(v, Unit.MONEY, "USD")) for v in readings}


def test_percentages() -> None:
    assert read("15%", PERCENT) == ExpectedValue(Decimal(15), Unit.PERCENT, None)
    assert read("31 percent", PERCENT).value == 31
    assert read("-2.5%", PERCENT).value == Decimal("-2.5")
    assert read("13", PERCENT).value == 13  # a growth of 13 can only be 13%
    ambiguous = read_value("0.13", PERCENT, "USD")
    assert isinstance(ambiguous, Ambiguous) and [r.value for r in ambiguous.readings] == [Decimal("0.13"), 13]


def test_counts_have_no_currency_and_need_a_scale_when_small() -> None:
    assert read("3.35B", COUNT) == ExpectedValue(Decimal("3.35e9"), Unit.COUNT, None)
    assert isinstance(read_value("3.35", COUNT, "USD"), Ambiguous)
    assert isinstance(read_value("$3B", COUNT, "USD"), InvalidValue)


@pytest.mark.parametrize(("text", "kind", "named"), [
    ("abc", MONEY, "'abc' is not a value"),
    ("1,5", PER_SHARE, "'1,5' is not a value"),
    ("", MONEY, "nothing is not a value"),
    ("(0.11", PER_SHARE, "unbalanced brackets"),
    ("-(0.11)", PER_SHARE, "bracketed and signed"),
    ("15%", MONEY, "'15%' is a percentage"),
    ("15%", PER_SHARE, "'15%' is a percentage"),
    ("$15%", PERCENT, "percentage with a currency"),
    ("$40B", PERCENT, "'$40B' is an amount"),
    ("0.9B", PER_SHARE, "has a scale"),
    ("$1 USD", MONEY, "currency twice"),
    ("0.90/share", MONEY, "is per share"),
    ("9" * 40, MONEY, "too large"),
])
def test_nonsense_is_named_with_a_valid_example(text: str, kind: ValueKind, named: str) -> None:
    reading = read_value(text, kind, "USD")
    assert isinstance(reading, InvalidValue)
    assert named in reading.message
    assert " like " in reading.message
    example = reading.message.split(" like ", 1)[1].split(",")[0].split(" or ")[0]
    assert isinstance(read_value(example, kind, "USD"), ExpectedValue)  # the example itself is valid


@pytest.mark.parametrize(("text", "period"), [
    ("Q4FY2025", FiscalPeriod(2025, 4)), ("Q4 FY2025", FiscalPeriod(2025, 4)), ("q4 fy25", FiscalPeriod(2025, 4)),
    ("4Q25", FiscalPeriod(2025, 4)), ("Q1'26", FiscalPeriod(2026, 1)), ("FY2025", FiscalPeriod(2025)),
    ("FY25", FiscalPeriod(2025)), ("2025Q3", FiscalPeriod(2025, 3)), ("FY2025 Q2", FiscalPeriod(2025, 2)),
    ("2025", None), ("Q5 FY2025", None), ("Q4", None), ("FY1850", None), ("next year", None),
])
def test_periods(text: str, period: FiscalPeriod | None) -> None:
    assert parse_period(text) == period


def test_value_and_period_are_split_where_the_period_starts() -> None:
    both = read_value_and_period("RMB 21.4 Q4 FY2025", PER_SHARE, "CNY")
    assert both.reading == ExpectedValue(Decimal("21.4"), Unit.PER_SHARE, "CNY")
    assert both.period == FiscalPeriod(2025, 4) and both.period.label == "Q4 FY2025"
    assert read_value_and_period("65B FY2025", MONEY, "USD").period == FiscalPeriod(2025)
    assert read_value_and_period("0.90", PER_SHARE, "USD").period is None
    missing_year = read_value_and_period("0.90 Q4", PER_SHARE, "USD")
    assert isinstance(missing_year.reading, InvalidValue) and "Q4FY2025" in missing_year.reading.message


# -- properties --------------------------------------------------------------------------------

currencies = st.sampled_from(sorted(CURRENCY_CODES))
money_values = st.builds(
    lambda digits, power: Decimal(digits).scaleb(power),
    st.integers(min_value=-10**6, max_value=10**6), st.integers(min_value=0, max_value=8),
)
per_share_values = st.decimals(min_value=-500, max_value=500, places=2, allow_nan=False, allow_infinity=False)
percent_values = st.decimals(min_value=-1000, max_value=1000, places=1, allow_nan=False, allow_infinity=False)


@given(money_values, currencies)
def test_every_money_value_round_trips(value: Decimal, currency: str) -> None:
    reading = ExpectedValue(value, Unit.MONEY, currency)
    assert read_value(format_value(reading), MONEY, currency) == read_value(format_value(reading), MONEY, "USD")
    assert read(format_value(reading), MONEY, currency).value == value
    assert read(format_value(reading), MONEY, currency).currency == currency


@given(per_share_values, currencies, st.sampled_from([Unit.PER_SHARE, Unit.PER_ADS]))
def test_every_per_share_value_round_trips(value: Decimal, currency: str, unit: Unit) -> None:
    reading = ExpectedValue(value, unit, currency)
    assert read(format_value(reading), PER_SHARE, "USD") == ExpectedValue(value, unit, currency)


@given(percent_values)
def test_every_percentage_round_trips(value: Decimal) -> None:
    assert read(format_value(ExpectedValue(value, Unit.PERCENT, None)), PERCENT).value == value


def spellings(value: Decimal) -> list[str]:
    """Ways users write a whole-dollar amount: in billions, millions with commas, whole, bracketed."""
    magnitude, negative = abs(value), value < 0
    out = [f"{format(magnitude.scaleb(-9).normalize(), 'f')}B", f"{format(magnitude.scaleb(-6).normalize(), 'f')} million",
           f"{int(magnitude.scaleb(-6)):,}M" if magnitude % 10**6 == 0 else f"{magnitude.scaleb(-6)}M"]
    if magnitude >= WHOLE_NUMBER_FROM:
        out += [f"{int(magnitude)}", f"{int(magnitude):,}"]
    return [f"({s})" if negative else s for s in out] + [f"-${s}" for s in out if negative]


@given(st.integers(min_value=-10**13, max_value=10**13).filter(lambda n: n != 0))
def test_every_spelling_of_a_money_value_reads_as_that_value(dollars: int) -> None:
    value = Decimal(dollars)
    for spelling in spellings(value):
        assert read(spelling, MONEY).value == value, spelling


@given(st.decimals(min_value=Decimal("0.01"), max_value=WHOLE_NUMBER_FROM - 1, places=2,
                   allow_nan=False, allow_infinity=False), st.sampled_from([MONEY, COUNT]), st.booleans())
def test_nothing_ambiguous_is_accepted_silently(number: Decimal, kind: ValueKind, negative: bool) -> None:
    text = f"{'-' if negative else ''}{number}"
    reading = read_value(text, kind, "USD")
    assert isinstance(reading, Ambiguous)
    assert len({r.value for r in reading.readings}) == len(reading.readings) >= 2


@given(st.text(alphabet="0123456789.,$-()%BMK RMBUS€¥ ", max_size=14))
def test_an_accepted_amount_without_a_scale_is_whole_units(text: str) -> None:
    reading = read_value(text, MONEY, "USD")
    if isinstance(reading, ExpectedValue) and not any(c in text.upper() for c in "BMK"):
        assert reading.value == 0 or abs(reading.value) >= WHOLE_NUMBER_FROM


@given(st.decimals(min_value=-10**6, max_value=10**6, allow_nan=False, allow_infinity=False),
       st.sampled_from(["", "$", "RMB ", "US$", "€"]), st.sampled_from(["%", " percent", "pct"]),
       st.sampled_from([MONEY, PER_SHARE, COUNT]))
def test_a_percentage_never_reads_as_money(number: Decimal, mark: str, percent: str, kind: ValueKind) -> None:
    assert isinstance(read_value(f"{mark}{format(number, 'f')}{percent}", kind, "USD"), InvalidValue)


@given(st.text(max_size=20), st.sampled_from(list(ValueKind)), st.sampled_from(["USD", "CNY", "EUR"]))
def test_any_text_gets_an_answer_never_an_exception(text: str, kind: ValueKind, currency: str) -> None:
    reading = read_value_and_period(text, kind, currency).reading
    if isinstance(reading, ExpectedValue):
        assert reading.unit is not Unit.PERCENT or kind is PERCENT
        assert (reading.currency is None) == (kind in (PERCENT, COUNT))
    elif isinstance(reading, InvalidValue):
        assert reading.message and "\n" not in reading.message


@given(money_values)
def test_every_count_round_trips(value: Decimal) -> None:
    reading = ExpectedValue(value, Unit.COUNT, None)
    assert read(format_value(reading), COUNT) == reading


@given(st.decimals(min_value=Decimal("-999999.99"), max_value=Decimal("999999.99"), places=2,
                   allow_nan=False, allow_infinity=False).filter(lambda d: d != 0),
       st.sampled_from([MONEY, COUNT, PERCENT]), st.sampled_from(["", "¥"]))
def test_each_reading_offered_is_written_so_that_it_reads_back_alone(number: Decimal, kind: ValueKind, mark: str) -> None:
    text = f"{mark if kind is MONEY else ''}{format(number, 'f')}"
    reading = read_value(text, kind, "USD")
    if isinstance(reading, Ambiguous):
        for offered in reading.readings:
            assert read_value(format_value(offered), kind, "USD") == offered
