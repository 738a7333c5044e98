"""Track record: year-over-year growth and the run of beats (or misses) a result extends.

    year_over_year(Figure(revenue 39.33B), Figure(revenue 22.10B))  # Decimal('77.97...')
    streak([Verdict.BEAT, Verdict.BEAT, Verdict.MISS])  # Streak(Verdict.BEAT, 2): newest first

Growth is the same figure one fiscal year earlier, in the same terms (basis, unit, currency): never
the quarter before, never GAAP EPS against adjusted. A year-ago value at or below zero gives no
percentage (a loss turning into a profit is not "+250%").
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from bot.domain.figures import Basis, Figure, Unit
from bot.domain.verdicts import Verdict

GROWTH_PREFIX = "yoy:"  # a growth the release states: reported figure "yoy:revenue", unit percent
HISTORY_QUARTERS = 8  # a streak is counted over the last eight reported quarters at most
STREAK_VERDICTS = frozenset({Verdict.BEAT, Verdict.MISS})


def year_over_year(actual: Figure, year_ago: Figure) -> Decimal | None:
    """Return the growth in percent from the same quarter a year earlier, or None when the two are
    not the same figure in the same terms or the year-ago value is not positive."""
    if not actual.comparable_with(year_ago) or year_ago.value <= 0:
        return None
    return (actual.value - year_ago.value) / year_ago.value * 100


@dataclass(frozen=True, slots=True)
class Growth:
    """A headline figure's year-over-year growth, as stated by the release or computed from history."""

    metric: str
    basis: Basis
    percent: Decimal
    stated: bool  # the release said it; else computed from the quarter a year earlier


@dataclass(frozen=True, slots=True)
class PastResult:
    """One past quarter as a source records it: the reported figure and, when known, the estimate
    it was measured against. fiscal_period is the quarter's end-month key ("2024-01")."""

    fiscal_period: str
    figure: Figure
    estimate: Decimal | None = None


@dataclass(frozen=True, slots=True)
class Streak:
    """How many reported quarters in a row, ending with this one, had the same verdict."""

    verdict: Verdict
    quarters: int


def streak(verdicts_newest_first: Sequence[Verdict | None]) -> Streak | None:
    """Return the run of beats or misses that the newest verdict ends, over at most HISTORY_QUARTERS
    quarters; None when the newest quarter is neither or the run is a single quarter. A quarter
    with no known verdict (None) ends the run: it is never counted as either."""
    recent = list(verdicts_newest_first[:HISTORY_QUARTERS])
    if not recent or recent[0] not in STREAK_VERDICTS:
        return None
    first = recent[0]
    count = 0
    for verdict in recent:
        if verdict != first:
            break
        count += 1
    return Streak(first, count) if count >= 2 else None


def ordinal(number: int) -> str:
    """Return '1st', '2nd', '3rd', '4th', '11th', '22nd'."""
    if 10 <= number % 100 <= 20:
        suffix = "th"
    else:
        suffix = {1: "st", 2: "nd", 3: "rd"}.get(number % 10, "th")
    return f"{number}{suffix}"


def is_growth_metric(metric: str) -> bool:
    """Return True for a stated year-over-year growth figure ("yoy:revenue")."""
    return metric.startswith(GROWTH_PREFIX)


def growth_figure(actual: Figure, percent: Decimal) -> Figure:
    """Return the figure that holds a release's stated year-over-year growth of `actual`."""
    return Figure(GROWTH_PREFIX + actual.metric, actual.basis, Unit.PERCENT, None, percent)
