"""Surprise and verdict: properties that must hold for any numbers, and the demo's real cases."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from bot.domain.figures import Basis, Expectation, Figure, Metric, Unit
from bot.domain.verdicts import (
    EventVerdict,
    InlineBand,
    Verdict,
    compare,
    event_verdict,
    headline_comparisons,
    surprise_percent,
)

AS_OF = datetime(2025, 2, 25, tzinfo=UTC)
NO_BAND = InlineBand(money_percent=Decimal(0), per_share_percent=Decimal(0))
eps_values = st.decimals(min_value=-50, max_value=50, places=2, allow_nan=False, allow_infinity=False)
money = st.decimals(min_value=-10**12, max_value=10**12, places=0, allow_nan=False, allow_infinity=False)


def eps(value: Decimal | str, basis: Basis = Basis.ADJUSTED, currency: str = "USD",
        unit: Unit = Unit.PER_SHARE) -> Figure:
    return Figure(Metric.EPS, basis, unit, currency, Decimal(value))


def revenue(value: Decimal | str, currency: str = "USD") -> Figure:
    return Figure(Metric.REVENUE, Basis.GAAP, Unit.MONEY, currency, Decimal(value))


def expect(figure: Figure, source: str = "nasdaq", estimates: int | None = 10) -> Expectation:
    return Expectation(figure, source, AS_OF, estimates)


@given(actual=eps_values, expected=eps_values)
def test_verdict_sign_follows_the_difference_for_any_eps(actual: Decimal, expected: Decimal) -> None:
    result = compare(eps(actual), expect(eps(expected)), NO_BAND)
    small, big = sorted((abs(actual), abs(expected)))
    if (small >= Decimal("0.05") and big >= 20 * small) or (small >= Decimal("0.25") and big >= 4 * small):
        assert result.verdict is Verdict.IMPLAUSIBLE  # a misread scale, never a beat or a miss
    elif actual > expected:
        assert result.verdict is Verdict.BEAT
    elif actual < expected:
        assert result.verdict is Verdict.MISS
    else:
        assert result.verdict is Verdict.IN_LINE
    assert result.difference == actual - expected


@given(actual=money, expected=money)
def test_surprise_is_relative_to_the_absolute_expectation(actual: Decimal, expected: Decimal) -> None:
    result = surprise_percent(actual, expected)
    if expected == 0:
        assert result is None
    else:
        assert result is not None
        # a positive surprise always means more than expected, also for negative expectations
        assert (result > 0) == (actual > expected)
        assert (result < 0) == (actual < expected)


def test_narrower_loss_than_expected_is_a_beat() -> None:
    result = compare(eps("-0.05"), expect(eps("-0.10")))
    assert result.verdict is Verdict.BEAT
    assert result.surprise_percent == Decimal(50)


def test_wider_loss_than_expected_is_a_miss() -> None:
    result = compare(eps("-0.15"), expect(eps("-0.10")))
    assert result.verdict is Verdict.MISS
    assert result.surprise_percent == Decimal(-50)


def test_zero_expectation_gives_no_percentage_but_the_difference() -> None:
    result = compare(eps("0.03"), expect(eps("0")))
    assert result.verdict is Verdict.BEAT
    assert result.surprise_percent is None
    assert result.difference == Decimal("0.03")


def test_eps_is_compared_at_cent_precision() -> None:
    result = compare(eps("0.84"), expect(eps("0.8449")))
    assert result.verdict is Verdict.IN_LINE
    assert compare(eps("0.85"), expect(eps("0.8449"))).verdict is Verdict.BEAT


def test_revenue_within_the_band_is_in_line() -> None:
    assert compare(revenue("124300000000"), expect(revenue("124000000000"))).verdict is Verdict.IN_LINE
    assert compare(revenue("39331000000"), expect(revenue("37720000000"))).verdict is Verdict.BEAT


@given(actual=eps_values, expected=eps_values)
def test_different_basis_is_never_a_verdict(actual: Decimal, expected: Decimal) -> None:
    result = compare(eps(actual, Basis.GAAP), expect(eps(expected, Basis.ADJUSTED)))
    assert result.verdict is Verdict.NOT_COMPARABLE
    assert result.surprise_percent is None


@given(actual=money, expected=money)
def test_different_currency_is_never_a_verdict(actual: Decimal, expected: Decimal) -> None:
    result = compare(revenue(actual, "CNY"), expect(revenue(expected, "USD")))
    assert result.verdict is Verdict.NOT_COMPARABLE


def test_per_ads_and_per_share_are_not_comparable() -> None:
    result = compare(eps("20.39", unit=Unit.PER_ADS, currency="CNY"), expect(eps("2.63")))
    assert result.verdict is Verdict.NOT_COMPARABLE


def test_revenue_ignores_the_label_a_vendor_gives_its_basis() -> None:
    adjusted_revenue = Figure(Metric.REVENUE, Basis.ADJUSTED, Unit.MONEY, "USD", Decimal("68780000000"))
    result = compare(revenue("69632000000"), expect(adjusted_revenue))
    assert result.verdict is Verdict.BEAT


def test_event_verdict_over_headline_metrics() -> None:
    beat = compare(eps("0.89"), expect(eps("0.84")))
    miss = compare(revenue("96469000000"), expect(revenue("96620000000")), NO_BAND)
    inline = compare(revenue("124300000000"), expect(revenue("124000000000")))
    not_comparable = compare(eps("0.89", Basis.GAAP), expect(eps("0.84")))
    assert event_verdict([beat, beat]) is EventVerdict.BEAT
    assert event_verdict([beat, miss]) is EventVerdict.MIXED
    assert event_verdict([miss, inline]) is EventVerdict.MISS
    assert event_verdict([inline]) is EventVerdict.IN_LINE
    assert event_verdict([not_comparable]) is EventVerdict.REPORTED
    assert event_verdict([]) is EventVerdict.REPORTED


def test_headline_prefers_comparable_consensus_with_most_estimates() -> None:
    actual = eps("0.89")
    few = compare(actual, expect(eps("0.85"), "factset", 3))
    many = compare(actual, expect(eps("0.84"), "nasdaq", 14))
    own = compare(actual, expect(eps("0.95"), "chat:42", None))
    wrong_basis = compare(actual, expect(eps("0.80", Basis.GAAP), "x", 40))
    assert headline_comparisons([few, own, wrong_basis, many]) == [many]


def test_a_figure_read_at_the_wrong_scale_gets_no_verdict() -> None:
    cases = [
        (revenue("1200000000"), revenue("37720000000")),  # a change read as the level
        (revenue("39331000"), revenue("37720000000")),  # thousands read as millions
        (revenue("130497000000"), revenue("37720000000")),  # the year read as the quarter
        (eps("150.20"), eps("1.50")),  # US cents read as dollars
        (eps("0.35", unit=Unit.PER_ADS), eps("2.79", unit=Unit.PER_ADS)),  # per share against per ADS (1:8)
    ]
    for actual, expected in cases:
        result = compare(actual, expect(expected))
        assert result.verdict is Verdict.IMPLAUSIBLE, actual
        assert event_verdict([result]) is EventVerdict.REPORTED


def test_real_surprises_are_still_judged() -> None:
    assert compare(revenue("45000000000"), expect(revenue("37720000000"))).verdict is Verdict.BEAT  # +19%
    assert compare(revenue("20000000000"), expect(revenue("37720000000"))).verdict is Verdict.MISS  # -47%
    assert compare(eps("0.15"), expect(eps("0.01"))).verdict is Verdict.BEAT  # 15x, near zero
    assert compare(eps("-0.40"), expect(eps("0.05"))).verdict is Verdict.MISS
    assert compare(eps("0.30"), expect(eps("1.00"))).verdict is Verdict.MISS  # a 70% miss
    assert compare(eps("-1.20"), expect(eps("-0.45"))).verdict is Verdict.MISS  # a much wider loss
    assert compare(eps("0.89"), expect(eps("0.84"))).verdict is Verdict.BEAT
