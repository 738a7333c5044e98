"""Comparable or nothing, for KPIs and periods: why a reported figure can't be judged against an
expectation, before any arithmetic (docs/decisions/001 and 012).

    why_not_comparable(actual, Scope(), expected, Scope.of(FiscalPeriod(2025)))  # Mismatch.YEAR_VS_QUARTER
    judge(actual, Scope(), expectation, Scope())  # a Comparison; NOT_COMPARABLE when a Mismatch exists

A growth rate is never compared with an amount, a figure in RMB never with one in US$, guidance
never with an actual, a full year never with a quarter, and one quarter never with another.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from bot.domain.figures import BASIS_NEUTRAL_METRICS, Expectation, Figure, Unit
from bot.domain.kpis import KPI_PREFIX, is_guidance_metric
from bot.domain.periods import FiscalPeriod
from bot.domain.verdicts import Comparison, InlineBand, Verdict, compare


class Span(StrEnum):
    """How long the period a figure covers is."""

    QUARTER = "quarter"
    YEAR = "year"
    YEARS = "years"  # "over the next three years"


@dataclass(frozen=True, slots=True)
class Scope:
    """The period a figure is for; the default is the quarter being reported."""

    span: Span = Span.QUARTER
    period: FiscalPeriod | None = None

    @classmethod
    def of(cls, period: FiscalPeriod | None) -> Scope:
        """Return the scope of a period a user named ("Q4 FY2025", "FY2025"), or the reported quarter."""
        if period is None:
            return cls()
        return cls(Span.YEAR if period.is_full_year else Span.QUARTER, period)


class Mismatch(StrEnum):
    """Why two figures can't be compared, as the alert says it."""

    GUIDANCE_VS_ACTUAL = "guidance against an actual"
    GROWTH_VS_AMOUNT = "a growth rate against an amount"
    UNIT = "a different unit"
    CURRENCY = "a different currency"
    METRIC = "a different figure"
    BASIS = "a different basis"
    SPAN = "a different length of period"
    PERIOD = "a different period"


def why_not_comparable(actual: Figure, actual_scope: Scope, expected: Figure, expected_scope: Scope) -> Mismatch | None:
    """Return why the two figures can't be compared, or None when they can."""
    if is_guidance_metric(actual.metric) != is_guidance_metric(expected.metric):
        return Mismatch.GUIDANCE_VS_ACTUAL
    if (actual.unit is Unit.PERCENT) != (expected.unit is Unit.PERCENT):
        return Mismatch.GROWTH_VS_AMOUNT
    if actual.unit != expected.unit:
        return Mismatch.UNIT
    if (actual.currency or "").upper() != (expected.currency or "").upper():
        return Mismatch.CURRENCY
    if actual.metric != expected.metric:
        return Mismatch.METRIC
    if actual.basis != expected.basis and not _basis_neutral(actual.metric):
        return Mismatch.BASIS
    return _scope_mismatch(actual_scope, expected_scope)


def _basis_neutral(metric: str) -> bool:
    return metric in BASIS_NEUTRAL_METRICS or metric.startswith(KPI_PREFIX)


def _scope_mismatch(actual: Scope, expected: Scope) -> Mismatch | None:
    if actual.span != expected.span:
        return Mismatch.SPAN
    if actual.period is not None and expected.period is not None and actual.period != expected.period:
        return Mismatch.PERIOD
    return None


def judge(
    actual: Figure, actual_scope: Scope, expectation: Expectation, expected_scope: Scope,
    band: InlineBand | None = None,
) -> Comparison:
    """Compare a reported figure with an expectation when their terms and periods agree; else no verdict."""
    if why_not_comparable(actual, actual_scope, expectation.figure, expected_scope) is not None:
        return Comparison(actual, expectation, Verdict.NOT_COMPARABLE, None, None)
    return compare(actual, expectation, band)
