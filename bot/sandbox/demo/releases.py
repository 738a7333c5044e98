"""Press releases for the replay, written from the reported figures in the data file, in the plain
style of an EX-99.1 exhibit, so the demo reads them with the same extractor as live filings."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from html import escape

from bot.domain.figures import Basis, Figure, Metric, Unit

_MILLION = Decimal(1_000_000)
_BILLION = Decimal(1_000_000_000)


def _millions(value: Decimal) -> str:
    return f"${value / _MILLION:,.0f} million"


def release_html(company: str, quarter_name: str, period_end: date, figures: tuple[Figure, ...],
                 next_quarter: str | None = None) -> str:
    """Return an EX-99.1-style HTML release stating the figures."""
    ended = f"{period_end:%B} {period_end.day}, {period_end.year}"
    paragraphs = [f"<p><b>{escape(company)} Reports Results for the {escape(quarter_name.title())}</b></p>"]
    segments, outlook = [], []
    for figure in figures:
        if figure.currency != "USD" or figure.unit not in (Unit.MONEY, Unit.PER_SHARE):
            continue
        if figure.metric == Metric.REVENUE:
            paragraphs.append(f"<p>{escape(company)} today reported revenue for the {escape(quarter_name)} "
                              f"ended {ended}, of {_millions(figure.value)}.</p>")
        elif figure.metric == Metric.EPS:
            label = "GAAP" if figure.basis is Basis.GAAP else "Non-GAAP"
            paragraphs.append(f"<p>{label} earnings per diluted share for the quarter were ${figure.value}.</p>")
        elif figure.metric == Metric.NET_INCOME and figure.basis is Basis.GAAP:
            paragraphs.append(f"<p>GAAP net income for the quarter was {_millions(figure.value)}.</p>")
        elif figure.metric.startswith("kpi:") and figure.metric.endswith("_revenue"):
            heading = figure.metric.removeprefix("kpi:").removesuffix("_revenue").replace("_", " ").title()
            segments.append(f"<p><b>{escape(heading)}</b></p><ul><li>Quarterly revenue was "
                            f"{_millions(figure.value)}.</li></ul>")
        elif figure.metric == Metric.REVENUE_GUIDANCE and next_quarter:
            outlook.append(f"<p><b>Outlook</b></p><p>For the {escape(next_quarter)}, revenue is expected to be "
                           f"${figure.value / _BILLION:.1f} billion, plus or minus 2%.</p>")
    return "<html><body>\n" + "\n".join(paragraphs + segments + outlook) + "\n</body></html>\n"
