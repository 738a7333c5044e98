"""Comparable or nothing for KPIs: a growth rate is never judged against an amount, RMB never
against US$, guidance never against an actual, a full year never against a quarter."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from bot.domain.comparability import Mismatch, Scope, Span, judge, why_not_comparable
from bot.domain.figures import Basis, Expectation, Figure, Unit
from bot.domain.periods import FiscalPeriod
from bot.domain.verdicts import Verdict

AS_OF = datetime(2025, 1, 20, tzinfo=UTC)
QUARTER = Scope()
values = st.decimals(min_value=-10**12, max_value=10**12, places=2, allow_nan=False, allow_infinity=False)


def kpi(key: str, value: Decimal | str, unit: Unit = Unit.MONEY, currency: str | None = "USD",
        basis: Basis = Basis.GAAP) -> Figure:
    return Figure(f"kpi:{key}", basis, unit, currency, Decimal(value))


def mine(figure: Figure) -> Expectation:
    return Expectation(figure, "chat:42", AS_OF)


def test_azure_growth_against_a_users_growth_gets_a_verdict() -> None:
    actual = kpi("azure_growth", "31", Unit.PERCENT, None)
    beat = judge(actual, QUARTER, mine(kpi("azure_growth", "30", Unit.PERCENT, None)), QUARTER)
    assert beat.verdict is Verdict.BEAT and beat.difference == 1
    # a KPI has one basis: a user's number is not "adjusted" or "GAAP"
    adjusted = kpi("azure_growth", "31", Unit.PERCENT, None, basis=Basis.ADJUSTED)
    assert judge(actual, QUARTER, mine(adjusted), QUARTER).verdict is Verdict.IN_LINE


@given(values, values)
def test_a_growth_rate_is_never_judged_against_an_amount(rate: Decimal, amount: Decimal) -> None:
    growth = kpi("cloud_growth", rate, Unit.PERCENT, None)
    level = kpi("cloud_growth", amount, Unit.MONEY, "CNY")
    assert why_not_comparable(growth, QUARTER, level, QUARTER) is Mismatch.GROWTH_VS_AMOUNT
    assert why_not_comparable(level, QUARTER, growth, QUARTER) is Mismatch.GROWTH_VS_AMOUNT
    assert judge(growth, QUARTER, mine(level), QUARTER).verdict is Verdict.NOT_COMPARABLE


@given(values)
def test_rmb_is_never_judged_against_us_dollars(amount: Decimal) -> None:
    rmb = kpi("cloud_revenue", amount, currency="CNY")
    dollars = kpi("cloud_revenue", amount, currency="USD")
    comparison = judge(rmb, QUARTER, mine(dollars), QUARTER)
    assert comparison.verdict is Verdict.NOT_COMPARABLE and comparison.surprise_percent is None
    assert why_not_comparable(rmb, QUARTER, dollars, QUARTER) is Mismatch.CURRENCY


def test_a_full_year_is_never_judged_against_a_quarter() -> None:
    quarter_capex = kpi("capex", "14840000000")
    year_capex = kpi("capex", "65000000000")
    fy2025 = Scope.of(FiscalPeriod(2025))
    assert fy2025.span is Span.YEAR
    assert why_not_comparable(quarter_capex, QUARTER, year_capex, fy2025) is Mismatch.SPAN
    assert judge(quarter_capex, QUARTER, mine(year_capex), fy2025).verdict is Verdict.NOT_COMPARABLE
    assert why_not_comparable(year_capex, fy2025, year_capex, fy2025) is None


def test_guidance_is_never_judged_against_an_actual() -> None:
    guide = kpi("capex_guidance", "62500000000")
    actual = kpi("capex", "14840000000")
    assert why_not_comparable(actual, QUARTER, guide, Scope(Span.YEAR)) is Mismatch.GUIDANCE_VS_ACTUAL
    assert why_not_comparable(guide, Scope(Span.YEAR), kpi("capex", "65e9"), Scope(Span.YEAR)) is Mismatch.GUIDANCE_VS_ACTUAL
    plan = kpi("capex_guidance", "65000000000")
    assert judge(guide, Scope(Span.YEAR), mine(plan), Scope(Span.YEAR)).verdict is Verdict.MISS


def test_one_quarter_is_never_judged_against_another() -> None:
    q4, q1 = Scope.of(FiscalPeriod(2025, 4)), Scope.of(FiscalPeriod(2026, 1))
    dc = kpi("data_center_revenue", "35600000000")
    assert why_not_comparable(dc, q4, dc, q1) is Mismatch.PERIOD
    assert why_not_comparable(dc, q4, dc, q4) is None
    assert why_not_comparable(dc, QUARTER, dc, q4) is None  # the reported quarter is the one expected


def test_other_mismatches_are_named() -> None:
    dap = Figure("kpi:family_daily_active_people", Basis.GAAP, Unit.COUNT, None, Decimal("3.35e9"))
    assert why_not_comparable(dap, QUARTER, kpi("family_daily_active_people", "3.3e9"), QUARTER) is Mismatch.UNIT
    assert why_not_comparable(kpi("aws_revenue", 1), QUARTER, kpi("google_cloud_revenue", 1), QUARTER) is Mismatch.METRIC
    eps = Figure("eps", Basis.GAAP, Unit.PER_SHARE, "USD", Decimal("0.89"))
    assert why_not_comparable(eps, QUARTER, Figure("eps", Basis.ADJUSTED, Unit.PER_SHARE, "USD", Decimal("0.89")),
                              QUARTER) is Mismatch.BASIS


def test_a_kpi_amount_far_from_its_expectation_is_not_judged() -> None:
    actual = kpi("capex", "14840000000")
    assert judge(actual, QUARTER, mine(kpi("capex", "1484000000")), QUARTER).verdict is Verdict.IMPLAUSIBLE
    people = Figure("kpi:family_daily_active_people", Basis.GAAP, Unit.COUNT, None, Decimal("3.35e9"))
    expected = Figure("kpi:family_daily_active_people", Basis.GAAP, Unit.COUNT, None, Decimal("3.3e9"))
    assert judge(people, QUARTER, mine(expected), QUARTER).verdict is Verdict.BEAT
