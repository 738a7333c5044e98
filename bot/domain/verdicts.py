"""Surprise and verdict: compare a reported figure with an expectation, or say it can't be.

Semantics (docs/decisions/verdicts.md):
- surprise = (actual - expected) / |expected|; with expected 0 there is no percentage, only the
  absolute difference.
- per-share values are compared at cent precision (half-up), so 0.8449 vs 0.84 is in line;
- money and percentage values are in line when |surprise| is within the in-line band;
- figures of different metric, basis, unit or currency are not comparable: no verdict;
- a figure implausibly far from its estimate (revenue or a KPI amount off by half or double, a per-share value 4
  times the other, 20 times near zero) is far more likely a misread scale, unit or period than a surprise: no verdict,
  both figures shown.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

from bot.domain.figures import Expectation, Figure, Metric, Unit

CENT = Decimal("0.01")
HUNDRED = Decimal(100)


class Verdict(StrEnum):
    """Outcome of one comparison."""

    BEAT = "beat"
    IN_LINE = "in line"
    MISS = "miss"
    NOT_COMPARABLE = "not comparable"
    IMPLAUSIBLE = "not judged"  # comparable, but too far apart to trust either figure


NO_VERDICT = frozenset({Verdict.NOT_COMPARABLE, Verdict.IMPLAUSIBLE})
# Revenue beats and misses are a few percent; a release read as half or double the consensus was
# read wrong (thousands for millions, a year for a quarter) or the consensus is for something else.
REVENUE_PLAUSIBLE = (Decimal("0.5"), Decimal("2"))
# Per-share values: cents read as dollars is 100x, one ADS of 8 shares 8x. Large ratios are real
# only near zero: from 5 cents a 20x gap, from 25 cents a 4x gap is taken for a misreading.
PER_SHARE_IMPLAUSIBLE = ((Decimal("0.25"), Decimal(4)), (Decimal("0.05"), Decimal(20)))


class EventVerdict(StrEnum):
    """Outcome over the headline metrics of one report."""

    BEAT = "beat"
    MISS = "miss"
    MIXED = "mixed"
    IN_LINE = "in line"
    REPORTED = "reported"  # nothing comparable: facts only, never a guess


@dataclass(frozen=True, slots=True)
class InlineBand:
    """How close counts as "in line", in percent of the expectation, per kind of unit."""

    money_percent: Decimal = Decimal("0.5")
    percent_points: Decimal = Decimal("0.0")
    per_share_percent: Decimal = Decimal("0.0")


@dataclass(frozen=True, slots=True)
class Comparison:
    """A reported figure against one expectation."""

    actual: Figure
    expectation: Expectation
    verdict: Verdict
    surprise_percent: Decimal | None
    difference: Decimal | None


def surprise_percent(actual: Decimal, expected: Decimal) -> Decimal | None:
    """Return (actual - expected) / |expected| in percent, or None when expected is 0."""
    if expected == 0:
        return None
    return (actual - expected) / abs(expected) * HUNDRED


def _cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def compare(actual: Figure, expectation: Expectation, band: InlineBand | None = None) -> Comparison:
    """Compare one reported figure with one expectation."""
    band = band or InlineBand()
    expected = expectation.figure
    if not actual.comparable_with(expected):
        return Comparison(actual, expectation, Verdict.NOT_COMPARABLE, None, None)
    a, e = actual.value, expected.value
    if actual.unit in (Unit.PER_SHARE, Unit.PER_ADS):
        a, e = _cents(a), _cents(e)
    difference = a - e
    surprise = surprise_percent(a, e)
    if _implausible(actual, a, e):
        return Comparison(actual, expectation, Verdict.IMPLAUSIBLE, surprise, difference)
    verdict = _verdict(actual.unit, difference, surprise, band)
    return Comparison(actual, expectation, verdict, surprise, difference)


def _implausible(actual: Figure, a: Decimal, e: Decimal) -> bool:
    """Return True when a and e are too far apart to be the same figure read right."""
    if actual.unit in (Unit.MONEY, Unit.COUNT) and ("revenue" in actual.metric or actual.metric.startswith("kpi:")):
        low, high = REVENUE_PLAUSIBLE
        return e > 0 and not (e * low <= a <= e * high)
    if actual.unit in (Unit.PER_SHARE, Unit.PER_ADS):
        small, big = sorted((abs(a), abs(e)))
        return any(small >= floor and big >= small * ratio for floor, ratio in PER_SHARE_IMPLAUSIBLE)
    return False


def _verdict(unit: Unit, difference: Decimal, surprise: Decimal | None, band: InlineBand) -> Verdict:
    if difference == 0:
        return Verdict.IN_LINE
    if unit is Unit.PERCENT:
        within = abs(difference) <= band.percent_points
    else:
        limit = band.money_percent if unit in (Unit.MONEY, Unit.COUNT) else band.per_share_percent
        within = surprise is not None and abs(surprise) <= limit
    if within:
        return Verdict.IN_LINE
    return Verdict.BEAT if difference > 0 else Verdict.MISS


def event_verdict(headline: Iterable[Comparison]) -> EventVerdict:
    """Combine the headline comparisons (one per metric) into one verdict for the report."""
    verdicts = {c.verdict for c in headline if c.verdict not in NO_VERDICT}
    if not verdicts:
        return EventVerdict.REPORTED
    if Verdict.BEAT in verdicts and Verdict.MISS in verdicts:
        return EventVerdict.MIXED
    if Verdict.BEAT in verdicts:
        return EventVerdict.BEAT
    if Verdict.MISS in verdicts:
        return EventVerdict.MISS
    return EventVerdict.IN_LINE


def headline_comparisons(comparisons: Iterable[Comparison]) -> list[Comparison]:
    """Pick, per headline metric, the comparison against the best consensus expectation.

    Best means comparable, then most estimates, then most recent. User numbers never make the
    headline; they are shown on their own lines.
    """
    best: dict[str, Comparison] = {}
    for c in comparisons:
        if c.actual.metric not in (Metric.EPS, Metric.REVENUE) or not c.expectation.is_consensus:
            continue
        current = best.get(c.actual.metric)
        if current is None or _rank(c) > _rank(current):
            best[c.actual.metric] = c
    return [best[m] for m in (Metric.EPS, Metric.REVENUE) if m in best]


def _rank(c: Comparison) -> tuple[bool, int, float]:
    return (
        c.verdict not in NO_VERDICT,
        c.expectation.estimates or 0,
        c.expectation.as_of.timestamp(),
    )
