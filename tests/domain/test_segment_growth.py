"""A segment's growth KPI computed from its amount and the same segment a year earlier: the growth
KPI of '<segment>_revenue' is '<segment>_growth'; only the same unit and currency; a year-ago amount
at or below zero gives nothing."""

from __future__ import annotations

from decimal import Decimal

from bot.domain.figures import Basis, Figure, Unit
from bot.domain.kpis import growth_metric_of, segment_growth


def cloud(value: str, currency: str | None = "CNY", unit: Unit = Unit.MONEY,
          metric: str = "kpi:cloud_revenue") -> Figure:
    return Figure(metric, Basis.GAAP, unit, currency, Decimal(value))


def test_the_growth_kpi_of_a_segment_amount_shares_its_stem() -> None:
    assert growth_metric_of("kpi:cloud_revenue") == "kpi:cloud_growth"
    assert growth_metric_of("kpi:data_center_revenue") == "kpi:data_center_growth"
    assert growth_metric_of("kpi:capex") is None
    assert growth_metric_of("revenue") is None  # the headline's growth is the track record's "+78% YoY"
    assert growth_metric_of("kpi:_revenue") is None


def test_growth_is_computed_from_the_amount_a_year_earlier() -> None:
    growth = segment_growth(cloud("31742000000"), cloud("28066000000"))
    assert growth is not None
    assert (growth.metric, growth.unit, growth.currency) == ("kpi:cloud_growth", Unit.PERCENT, None)
    assert round(growth.value, 2) == Decimal("13.10")


def test_a_decline_is_a_negative_growth() -> None:
    growth = segment_growth(cloud("90"), cloud("100"))
    assert growth is not None and growth.value == Decimal("-10")


def test_nothing_across_currencies_units_or_segments_or_from_a_non_positive_year() -> None:
    assert segment_growth(cloud("31742000000"), cloud("3860000000", "USD")) is None
    assert segment_growth(cloud("31742000000"), cloud("28066000000", None, Unit.COUNT)) is None
    assert segment_growth(cloud("31742000000"), cloud("28066000000", metric="kpi:other_revenue")) is None
    assert segment_growth(cloud("31742000000"), cloud("0")) is None
    assert segment_growth(cloud("13", None, Unit.PERCENT), cloud("10", None, Unit.PERCENT)) is None
