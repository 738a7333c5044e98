"""Typed bands and minimum surprises, the band a setting means, and which results are small."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from bot.domain.figures import Basis, Expectation, Figure, Unit
from bot.domain.thresholds import (
    BandSetting,
    band_of,
    is_small_surprise,
    parse_band,
    parse_min_surprise,
    parse_percent_bp,
    percent_text,
)
from bot.domain.verdicts import InlineBand, Verdict, compare

DEFAULT = InlineBand(Decimal("0.5"), Decimal("0.0"), Decimal("0.0"))


@pytest.mark.parametrize(("typed", "bp"), [
    ("1%", 100), ("1", 100), ("1.5%", 150), ("0,5 %", 50), ("±2%", 200), (" 2.25% ", 225), ("0%", 0), ("10%", 1000),
])
def test_percentages_are_read_as_basis_points(typed: str, bp: int) -> None:
    assert parse_percent_bp(typed) == bp


@pytest.mark.parametrize("typed", ["", "abc", "1.234%", "-1%", "1e2", "%", "100%", "1%%", "½%", "١%"])
def test_anything_else_is_not_a_percentage(typed: str) -> None:
    assert parse_percent_bp(typed) is None


def test_a_band_is_a_percentage_up_to_ten_or_the_default() -> None:
    assert parse_band("2%") == BandSetting(200)
    assert parse_band("Default") == BandSetting(None)
    assert parse_band("11%") is None and parse_band("huge") is None


def test_a_minimum_surprise_is_a_percentage_up_to_fifty_or_off() -> None:
    assert parse_min_surprise("2%") == 200
    assert parse_min_surprise("off") == 0 and parse_min_surprise("0") == 0
    assert parse_min_surprise("51%") is None and parse_min_surprise("loud") is None


def test_percent_text_is_what_a_user_types() -> None:
    assert [percent_text(bp) for bp in (100, 150, 25, 1000, 0)] == ["1%", "1.5%", "0.25%", "10%", "0%"]


def eps_comparison(actual: str, expected: str, band: InlineBand) -> Verdict:
    at = datetime(2025, 2, 26, tzinfo=UTC)
    expectation = Expectation(Figure("eps", Basis.ADJUSTED, Unit.PER_SHARE, "USD", Decimal(expected)), "nasdaq", at)
    return compare(Figure("eps", Basis.ADJUSTED, Unit.PER_SHARE, "USD", Decimal(actual)), expectation, band).verdict


def test_the_default_setting_keeps_the_default_band_and_a_percent_widens_money_and_eps() -> None:
    assert band_of(None, DEFAULT) is DEFAULT
    wide = band_of(200, DEFAULT)
    assert (wide.money_percent, wide.per_share_percent, wide.percent_points) == (Decimal(2), Decimal(2), Decimal(0))
    assert eps_comparison("0.85", "0.84", DEFAULT) is Verdict.BEAT  # EPS exact to the cent by default
    assert eps_comparison("0.85", "0.84", wide) is Verdict.IN_LINE  # +1.2% is inside ±2%
    assert eps_comparison("0.86", "0.84", wide) is Verdict.BEAT  # +2.4% is not


def revenue_comparison(actual: str, expected: str = "100") -> object:
    at = datetime(2025, 2, 26, tzinfo=UTC)
    expectation = Expectation(Figure("revenue", Basis.GAAP, Unit.MONEY, "USD", Decimal(expected)), "nasdaq", at)
    return compare(Figure("revenue", Basis.GAAP, Unit.MONEY, "USD", Decimal(actual)), expectation, DEFAULT)


def test_a_result_is_small_only_when_every_judged_surprise_is_under_the_minimum() -> None:
    small, big = revenue_comparison("101.5"), revenue_comparison("97")
    assert is_small_surprise([small], 200)
    assert not is_small_surprise([small, big], 200)  # -3% is not under 2%
    assert not is_small_surprise([revenue_comparison("102")], 200)  # exactly 2% is not under it
    assert not is_small_surprise([small], 0)  # off
    assert not is_small_surprise([], 200)  # nothing compared: never taken for a small result
    assert not is_small_surprise([revenue_comparison("300")], 200)  # not judged: no surprise to trust


def test_a_surprise_is_measured_as_the_alert_shows_it() -> None:
    shown_as_six = revenue_comparison("105.95")  # +5.95%, shown "+6.0%"
    assert not is_small_surprise([shown_as_six], 600)
    assert is_small_surprise([revenue_comparison("105.94")], 600)  # shown "+5.9%"
