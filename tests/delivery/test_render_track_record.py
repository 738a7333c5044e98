"""How growth, streak and outlook read in a result alert: the outlook with its range and period,
"vs consensus" only when one is comparable, growth year over year with the EPS basis named."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from bot.delivery.render import growth_text, outlook_line, render_result, streak_text
from bot.domain.comparability import Scope, Span
from bot.domain.figures import Basis, Expectation, Figure, Metric, Unit
from bot.domain.market_time import Timing
from bot.domain.outlook import Outlook, compare_outlook
from bot.domain.periods import FiscalPeriod
from bot.domain.track_record import Growth, Streak
from bot.domain.verdicts import EventVerdict, Verdict
from bot.engine.alerts import ResultReport

B = Decimal(10) ** 9
QUARTER = Scope(Span.QUARTER)


def guided(metric: str, billions: str, low: str | None = None, high: str | None = None, *,
           scope: Scope = QUARTER, label: str = "Q1 FY2026", currency: str = "USD") -> Outlook:
    return Outlook(Figure(metric, Basis.GAAP, Unit.MONEY, currency, Decimal(billions) * B), scope,
                   Decimal(low) * B if low else None, Decimal(high) * B if high else None, label)


def consensus(billions: str) -> Expectation:
    return Expectation(Figure(Metric.REVENUE, Basis.GAAP, Unit.MONEY, "USD", Decimal(billions) * B), "finnhub",
                       datetime(2025, 2, 20, tzinfo=UTC), 30)


def test_outlook_lines() -> None:
    nvda = guided(Metric.REVENUE_GUIDANCE, "43.0", "42.14", "43.86")
    assert outlook_line(compare_outlook(nvda, consensus("41.8"), QUARTER)) == (
        "Outlook: revenue $43.0B ±2% vs $41.8B consensus (+2.9%) · Q1 FY2026, midpoint of the range")
    between = guided(Metric.REVENUE_GUIDANCE, "21.2", "20.5", "22.0")
    assert outlook_line(compare_outlook(between, consensus("21.0"), QUARTER)) == (
        "Outlook: revenue $20.5B–$22.0B vs $21.0B consensus (+1.0%) · Q1 FY2026, midpoint of the range")
    single = guided(Metric.REVENUE_GUIDANCE, "9.9")
    assert outlook_line(compare_outlook(single, consensus("10.0"), QUARTER)) == (
        "Outlook: revenue $9.9B vs $10.0B consensus (-1.0%) · Q1 FY2026")
    assert outlook_line(compare_outlook(single, None, QUARTER)) == "Outlook: revenue $9.9B · Q1 FY2026, no consensus stored"
    capex = guided("kpi:capex_guidance", "105", scope=Scope(Span.YEAR, FiscalPeriod(2025)), label="2025")
    assert outlook_line(compare_outlook(capex, None, QUARTER)) == "Outlook: capex $105.0B · 2025, full-year plan"
    at_least = Outlook(Figure("kpi:capex_guidance", Basis.GAAP, Unit.MONEY, "CNY", Decimal(380) * B),
                       Scope(Span.YEARS), Decimal(380) * B, None, "the next three years")
    assert outlook_line(compare_outlook(at_least, None, QUARTER)) == (
        "Outlook: capex at least RMB380.0B · the next three years, multi-year plan")


def test_growth_and_streak_texts() -> None:
    assert growth_text(Growth(Metric.REVENUE, Basis.GAAP, Decimal("77.95"), stated=False)) == "Revenue +78% YoY"
    assert growth_text(Growth(Metric.EPS, Basis.ADJUSTED, Decimal("4.04"), stated=True)) == "adjusted EPS +4.0% YoY"
    assert growth_text(Growth(Metric.EPS, Basis.GAAP, Decimal(-12), stated=True)) == "GAAP EPS -12% YoY"
    assert streak_text(Streak(Verdict.BEAT, 4)) == "🔁 4th straight EPS beat"
    assert streak_text(Streak(Verdict.MISS, 2)) == "🔁 2nd straight EPS miss"


def test_the_lines_follow_the_headline_and_are_escaped() -> None:
    report = ResultReport(
        ticker="NVDA", company_name="A <b>&</b> Co", period_label="Q4 FY2025", timing=Timing.AMC,
        verdict=EventVerdict.REPORTED, headline=[], others=[], reported=[],
        growth=[Growth(Metric.REVENUE, Basis.GAAP, Decimal(78), stated=True)], streak=Streak(Verdict.BEAT, 3),
        outlook=[compare_outlook(guided(Metric.REVENUE_GUIDANCE, "43.0", label="Q1 <FY2026>"), None, QUARTER)],
    )
    lines = render_result(report).splitlines()
    assert lines[2:5] == ["Revenue +78% YoY", "🔁 3rd straight EPS beat",
                          "Outlook: revenue $43.0B · Q1 &lt;FY2026&gt;, no consensus stored"]
