"""Outlook against the next quarter's consensus (ranges by their midpoint, a full year never against a
quarter), year-over-year growth in the same terms only, and the run of beats a result extends."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from bot.domain.comparability import Scope, Span
from bot.domain.figures import Basis, Expectation, Figure, Metric, Unit
from bot.domain.outlook import Outlook, actual_metric_of, compare_outlook
from bot.domain.periods import FiscalPeriod
from bot.domain.track_record import HISTORY_QUARTERS, ordinal, streak, year_over_year
from bot.domain.verdicts import Verdict

AS_OF = datetime(2025, 2, 20, tzinfo=UTC)
B = Decimal(10) ** 9
QUARTER = Scope(Span.QUARTER)


def money(metric: str, billions: str, currency: str = "USD") -> Figure:
    return Figure(metric, Basis.GAAP, Unit.MONEY, currency, Decimal(billions) * B)


def consensus(metric: str, billions: str, currency: str = "USD") -> Expectation:
    return Expectation(money(metric, billions, currency), "finnhub", AS_OF, 30)


NVDA_OUTLOOK = Outlook(money(Metric.REVENUE_GUIDANCE, "43.0"), QUARTER, Decimal("42.14") * B, Decimal("43.86") * B,
                       "Q1 FY2026")


def test_plus_or_minus_two_percent_is_compared_by_its_midpoint_with_the_quarters_consensus() -> None:
    compared = compare_outlook(NVDA_OUTLOOK, consensus(Metric.REVENUE, "41.8"), QUARTER)
    assert NVDA_OUTLOOK.plus_minus_percent == Decimal(2)
    assert compared.percent is not None and round(compared.percent, 1) == Decimal("2.9")
    assert compared.by_midpoint and compared.consensus is not None


def test_an_asymmetric_range_is_not_plus_or_minus_but_still_its_midpoint() -> None:
    outlook = Outlook(money(Metric.REVENUE_GUIDANCE, "21.0"), QUARTER, Decimal("20.5") * B, Decimal("21.5") * B)
    assert outlook.plus_minus_percent == Decimal("2.4")  # symmetric: 0.5 of 21.0
    lopsided = Outlook(money(Metric.REVENUE_GUIDANCE, "21.2"), QUARTER, Decimal("20.5") * B, Decimal("21.5") * B)
    assert lopsided.plus_minus_percent is None and lopsided.is_range
    single = Outlook(money(Metric.REVENUE_GUIDANCE, "21.0"), QUARTER)
    compared = compare_outlook(single, consensus(Metric.REVENUE, "20.0"), QUARTER)
    assert not compared.by_midpoint and compared.percent == Decimal(5)


def test_a_full_year_plan_is_never_compared_with_a_quarters_consensus() -> None:
    capex_2025 = Outlook(money("kpi:capex_guidance", "105"), Scope(Span.YEAR, FiscalPeriod(2025)), period_label="2025")
    compared = compare_outlook(capex_2025, consensus("kpi:capex", "26"), QUARTER)
    assert compared.percent is None and compared.consensus is None
    three_years = Outlook(money("kpi:capex_guidance", "53"), Scope(Span.YEARS))
    assert compare_outlook(three_years, consensus("kpi:capex", "26"), QUARTER).percent is None
    # the same plan for a quarter is compared: the span, not the metric, refused it
    next_quarter = Outlook(money("kpi:capex_guidance", "26"), QUARTER)
    assert compare_outlook(next_quarter, consensus("kpi:capex", "25"), QUARTER).percent == Decimal(4)


@pytest.mark.parametrize("against", [
    consensus(Metric.REVENUE, "41.8", currency="CNY"),  # RMB never with US$
    consensus("kpi:capex", "41.8"),  # another figure
    Expectation(Figure(Metric.REVENUE, Basis.GAAP, Unit.PERCENT, None, Decimal(12)), "finnhub", AS_OF),  # growth
])
def test_guidance_in_other_terms_gets_no_percentage(against: Expectation) -> None:
    compared = compare_outlook(NVDA_OUTLOOK, against, QUARTER)
    assert compared.percent is None and compared.consensus is None


def test_no_consensus_leaves_the_outlook_alone() -> None:
    compared = compare_outlook(NVDA_OUTLOOK, None, QUARTER)
    assert compared.percent is None and compared.outlook is NVDA_OUTLOOK


def test_each_guidance_metric_names_the_figure_it_guides() -> None:
    assert actual_metric_of("revenue_guidance") == "revenue"
    assert actual_metric_of("kpi:capex_guidance") == "kpi:capex"


def eps(value: str, basis: Basis = Basis.ADJUSTED, currency: str = "USD") -> Figure:
    return Figure(Metric.EPS, basis, Unit.PER_SHARE, currency, Decimal(value))


def test_growth_is_the_same_figure_a_year_earlier_in_the_same_terms() -> None:
    growth = year_over_year(money(Metric.REVENUE, "39.331"), money(Metric.REVENUE, "22.103"))
    assert growth is not None and round(growth) == 78
    assert year_over_year(eps("0.89"), eps("0.52")) is not None
    assert year_over_year(eps("0.89"), eps("0.49", Basis.GAAP)) is None  # adjusted never against GAAP
    assert year_over_year(eps("0.89"), eps("0.49", currency="CNY")) is None
    assert year_over_year(money(Metric.REVENUE, "1"), money("kpi:data_center_revenue", "1")) is None


@pytest.mark.parametrize("year_ago", ["0", "-0.11"])
def test_a_year_ago_loss_or_zero_gives_no_percentage(year_ago: str) -> None:
    assert year_over_year(eps("0.20"), eps(year_ago)) is None


BEAT, MISS, IN_LINE = Verdict.BEAT, Verdict.MISS, Verdict.IN_LINE


def test_the_streak_counts_the_same_verdict_back_from_this_quarter() -> None:
    found = streak([BEAT, BEAT, BEAT, BEAT, MISS, BEAT])
    assert found is not None and (found.verdict, found.quarters) == (BEAT, 4)
    misses = streak([MISS, MISS, BEAT])
    assert misses is not None and (misses.verdict, misses.quarters) == (MISS, 2)


@pytest.mark.parametrize("verdicts", [
    [BEAT],  # one quarter is no streak
    [BEAT, MISS, BEAT],
    [BEAT, None, BEAT, BEAT],  # a quarter with no known verdict ends the run
    [IN_LINE, IN_LINE, IN_LINE],
    [Verdict.NOT_COMPARABLE, BEAT, BEAT],
    [],
])
def test_no_streak(verdicts: list[Verdict | None]) -> None:
    assert streak(verdicts) is None


def test_the_streak_looks_back_eight_quarters_at_most() -> None:
    found = streak([BEAT] * 12)
    assert found is not None and found.quarters == HISTORY_QUARTERS == 8


@pytest.mark.parametrize(("number", "text"), [(1, "1st"), (2, "2nd"), (3, "3rd"), (4, "4th"), (11, "11th"),
                                              (12, "12th"), (13, "13th"), (21, "21st"), (22, "22nd"), (101, "101st")])
def test_ordinals(number: int, text: str) -> None:
    assert ordinal(number) == text
