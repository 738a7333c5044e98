"""Outlook: what a company guides for a coming period, against the consensus for that period.

    outlook = Outlook(Figure("revenue_guidance", ...43.0B), Scope.of(FiscalPeriod(2026, 1)), low, high)
    compare_outlook(outlook, consensus, Scope.of(FiscalPeriod(2026, 1)))  # +2.9% against the consensus

A range ("$43.0 billion, plus or minus 2%", "between $20.5 and $21.5 billion") is compared by its
midpoint, and says so. Guidance is compared only with a consensus of the same figure for the same
span and period: a full-year plan is never set against a quarter's consensus (comparable or nothing,
bot.domain.comparability).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from bot.domain.comparability import Scope, why_not_comparable
from bot.domain.figures import Expectation, Figure, Metric
from bot.domain.kpis import GUIDANCE_SUFFIX
from bot.domain.verdicts import surprise_percent


@dataclass(frozen=True, slots=True)
class Outlook:
    """One guidance statement: the figure (its value the midpoint of a range), the period it is for,
    and the range when one is stated."""

    figure: Figure
    scope: Scope
    low: Decimal | None = None
    high: Decimal | None = None
    period_label: str = ""  # as users read it: "Q1 FY2026", "2025", "the next three years"

    @property
    def is_range(self) -> bool:
        """Return True when a range was stated (compared by its midpoint)."""
        return self.low is not None and self.high is not None and self.low != self.high

    @property
    def plus_minus_percent(self) -> Decimal | None:
        """Return 2 for "$43.0 billion, plus or minus 2%": a range symmetric around its value."""
        if not self.is_range or self.figure.value == 0:
            return None
        assert self.low is not None and self.high is not None
        half = (self.high - self.low) / 2
        if abs((self.low + self.high) / 2 - self.figure.value) > abs(self.figure.value) / 1000:
            return None
        return (half / abs(self.figure.value) * 100).quantize(Decimal("0.1")).normalize()


@dataclass(frozen=True, slots=True)
class OutlookComparison:
    """The outlook against the consensus for its period; percent is None when none is comparable."""

    outlook: Outlook
    consensus: Expectation | None
    percent: Decimal | None
    by_midpoint: bool


def actual_metric_of(guidance_metric: str) -> str:
    """Return the figure a guidance metric is the outlook of: revenue_guidance -> revenue,
    kpi:capex_guidance -> kpi:capex."""
    if guidance_metric == Metric.REVENUE_GUIDANCE:
        return Metric.REVENUE
    return guidance_metric.removesuffix(GUIDANCE_SUFFIX)


def compare_outlook(outlook: Outlook, consensus: Expectation | None, consensus_scope: Scope) -> OutlookComparison:
    """Compare guidance with a consensus of the same figure and period; anything else gives no
    percentage (the outlook is still shown)."""
    by_midpoint = outlook.is_range
    if consensus is None or consensus.figure.metric != actual_metric_of(outlook.figure.metric):
        return OutlookComparison(outlook, None, None, by_midpoint)
    # The guidance stands for its period's actual: the same terms, then the same span and period.
    as_actual = Figure(consensus.figure.metric, outlook.figure.basis, outlook.figure.unit, outlook.figure.currency,
                       outlook.figure.value)
    if why_not_comparable(as_actual, outlook.scope, consensus.figure, consensus_scope) is not None:
        return OutlookComparison(outlook, None, None, by_midpoint)
    return OutlookComparison(outlook, consensus, surprise_percent(outlook.figure.value, consensus.figure.value),
                             by_midpoint)
