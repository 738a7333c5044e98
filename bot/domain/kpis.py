"""Company KPIs: the figures beyond revenue and EPS that move a stock (Data Center revenue, Azure
growth, capex), what each one is and where its actual value is found.

The definitions are data (config/kpis.toml, read by bot/kpis.py); this module only says what a
definition holds. A KPI's figure is named ``kpi:<key>``; a statement about a future period (a
capex plan for the year) is the separate figure ``kpi:<key>_guidance``, never the quarter's actual.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from bot.domain.expected_values import ValueKind
from bot.domain.figures import Basis, Figure, Unit
from bot.domain.track_record import year_over_year

KPI_PREFIX = "kpi:"
GUIDANCE_SUFFIX = "_guidance"
# A segment's growth KPI and its amount KPI share a stem: "cloud_growth" is the change of "cloud_revenue".
GROWTH_SUFFIX = "_growth"
AMOUNT_SUFFIX = "_revenue"


class KpiUnit(StrEnum):
    """What a KPI's value is: an amount, a growth rate in percent (year over year), or a count."""

    MONEY = "money"
    PERCENT_GROWTH = "percent_growth"
    COUNT = "count"


_FIGURE_UNITS = {KpiUnit.MONEY: Unit.MONEY, KpiUnit.PERCENT_GROWTH: Unit.PERCENT, KpiUnit.COUNT: Unit.COUNT}
_VALUE_KINDS = {
    KpiUnit.MONEY: ValueKind.MONEY, KpiUnit.PERCENT_GROWTH: ValueKind.PERCENT, KpiUnit.COUNT: ValueKind.COUNT,
}


@dataclass(frozen=True, slots=True)
class TableRow:
    """A row of a release's tables: its label, under a heading row when one is given."""

    label: str
    heading: str | None = None


@dataclass(frozen=True, slots=True)
class KpiDefinition:
    """One KPI of one company and the places its actual value is read from.

    phrases: how the release's sentences name it ("Data Center revenue"; " ... " stands for a few
    words in between); guidance_phrases: how its outlook is named, when the release gives one;
    table_rows: rows of the release's tables; xbrl: us-gaap concepts, first the one in use now;
    provider: a data provider's field for it.
    """

    ticker: str
    key: str
    name: str
    unit: KpiUnit
    phrases: tuple[str, ...] = ()
    guidance_phrases: tuple[str, ...] = ()
    table_rows: tuple[TableRow, ...] = ()
    xbrl: tuple[str, ...] = ()
    provider: str | None = None

    @property
    def metric(self) -> str:
        """Return the figure's metric name: 'kpi:data_center_revenue'."""
        return f"{KPI_PREFIX}{self.key}"

    @property
    def guidance_metric(self) -> str:
        """Return the metric of the KPI's outlook: 'kpi:capex_guidance'."""
        return f"{KPI_PREFIX}{self.key}{GUIDANCE_SUFFIX}"

    @property
    def figure_unit(self) -> Unit:
        """Return the unit of the KPI's figures (a growth rate is a percentage)."""
        return _FIGURE_UNITS[self.unit]

    @property
    def value_kind(self) -> ValueKind:
        """Return what an expected value of this KPI is, for reading a user's /expect."""
        return _VALUE_KINDS[self.unit]


def growth_metric_of(amount_metric: str) -> str | None:
    """Return the growth KPI of a segment amount ('kpi:cloud_revenue' -> 'kpi:cloud_growth'), or None."""
    if not (amount_metric.startswith(KPI_PREFIX) and amount_metric.endswith(AMOUNT_SUFFIX)):
        return None
    stem = amount_metric.removeprefix(KPI_PREFIX).removesuffix(AMOUNT_SUFFIX)
    return f"{KPI_PREFIX}{stem}{GROWTH_SUFFIX}" if stem else None


def segment_growth(amount: Figure, year_ago: Figure) -> Figure | None:
    """Return the growth KPI computed from a segment amount and the same segment's amount in the same
    fiscal quarter a year earlier (the caller picks that quarter: never the one before).

    None when the amount has no growth KPI, or the two are not in the same terms (unit, currency),
    or the year-ago amount is not positive."""
    metric = growth_metric_of(amount.metric)
    if metric is None or amount.unit not in (Unit.MONEY, Unit.COUNT):
        return None
    percent = year_over_year(amount, year_ago)
    return None if percent is None else Figure(metric, Basis.GAAP, Unit.PERCENT, None, percent)


def is_guidance_metric(metric: str) -> bool:
    """Return True for a KPI outlook figure ('kpi:capex_guidance') or the revenue guidance."""
    return metric == "revenue_guidance" or (metric.startswith(KPI_PREFIX) and metric.endswith(GUIDANCE_SUFFIX))
