"""Figures: one reported or expected value with the metric, basis, unit and currency it is in."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum


class Metric(StrEnum):
    """Headline metrics; segment KPIs use free names prefixed with ``kpi:``."""

    EPS = "eps"
    REVENUE = "revenue"
    NET_INCOME = "net_income"
    REVENUE_GUIDANCE = "revenue_guidance"


class Basis(StrEnum):
    """Accounting basis: GAAP or the company's adjusted (non-GAAP) measure."""

    GAAP = "gaap"
    ADJUSTED = "adjusted"


class Unit(StrEnum):
    """What one unit of value is: money, money per share / per ADS, a percentage, or a count."""

    MONEY = "money"
    PER_SHARE = "per_share"
    PER_ADS = "per_ads"
    PERCENT = "percent"
    COUNT = "count"  # people, devices, subscribers: no currency


HEADLINE_METRICS = (Metric.EPS, Metric.REVENUE)

# Revenue has one basis in practice: GAAP revenue is what vendors estimate, whatever they call it.
BASIS_NEUTRAL_METRICS = frozenset({Metric.REVENUE, Metric.REVENUE_GUIDANCE})


@dataclass(frozen=True, slots=True)
class Figure:
    """One value: ``Figure("eps", "adjusted", "per_share", "USD", Decimal("0.89"))``.

    Money values are whole currency units (39.331 billion dollars is ``Decimal("39331000000")``).
    """

    metric: str
    basis: Basis
    unit: Unit
    currency: str | None
    value: Decimal

    def comparable_with(self, other: Figure) -> bool:
        """Return True when both values measure the same thing in the same terms."""
        # A KPI ("kpi:azure_growth") has one basis, as revenue has: the figure the company states.
        same_basis = (
            self.basis == other.basis or self.metric in BASIS_NEUTRAL_METRICS or self.metric.startswith("kpi:")
        )
        return (
            self.metric == other.metric
            and same_basis
            and self.unit == other.unit
            and (self.currency or "").upper() == (other.currency or "").upper()
        )


@dataclass(frozen=True, slots=True)
class Expectation:
    """An expected figure and who expects it: a vendor, ``chat:<id>`` or ``admin``."""

    figure: Figure
    source: str
    as_of: datetime
    estimates: int | None = None

    @property
    def is_consensus(self) -> bool:
        """Return True for vendor consensus (not a user's own number)."""
        return not self.source.startswith(("chat:", "admin"))


@dataclass(frozen=True, slots=True)
class Reported:
    """A reported figure and where it came from (a vendor, or an SEC accession)."""

    figure: Figure
    source: str
    reported_at: datetime | None = None
