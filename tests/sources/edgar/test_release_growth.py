"""Year-over-year growth as a release states it for its headline revenue and EPS: only beside the very
amount reported (never a segment's), never a sequential or full-year rate, each EPS basis its own."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from bot.domain.figures import Basis, Figure, Metric, Unit
from bot.sources.edgar.press_release import extract_figures
from bot.sources.edgar.release_growth import stated_growth

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "press_releases"
B = Decimal(10) ** 9


def read(name: str) -> dict[tuple[str, str], Decimal]:
    content = (FIXTURES / name).read_bytes()
    figures = [f.as_figure() for f in extract_figures(content).figures]
    return {(g.metric, g.basis.value): g.value for g in stated_growth(content, figures)}


@pytest.mark.parametrize(("name", "expected"), [
    # "Record quarterly revenue of $39.3 billion, up 12% from Q3 and up 78% from a year ago";
    # "GAAP earnings per diluted share ... $0.89, up 14% from Q3 and up 82% from a year ago"; non-GAAP up 71%
    ("nvda_q4_fy2025_ex99-1.htm", {("yoy:revenue", "gaap"): Decimal(78), ("yoy:eps", "gaap"): Decimal(82),
                                   ("yoy:eps", "adjusted"): Decimal(71)}),
    # "posted all-time record revenue of $124.3 billion, up 4 percent year over year, and ... diluted EPS of $2.40, up 10 percent"
    ("aapl_q1_fy2025_ex99-1.htm", {("yoy:revenue", "gaap"): Decimal(4), ("yoy:eps", "gaap"): Decimal(10)}),
    # "Net sales increased 10% to $187.8 billion in the fourth quarter, compared with $170.0 billion in fourth quarter 2023"
    ("amzn_q4_2024_ex99-1.htm", {("yoy:revenue", "gaap"): Decimal(10)}),
    # "Revenue was RMB280,154 million (US$38,381 million), an increase of 8% year-over-year"
    ("baba_dec_q_2024_ex99-1.htm", {("yoy:revenue", "gaap"): Decimal(8)}),
])
def test_the_growth_each_company_states_beside_its_headline_figure(name: str, expected: dict) -> None:
    assert read(name) == expected


def revenue(billions: str) -> Figure:
    return Figure(Metric.REVENUE, Basis.GAAP, Unit.MONEY, "USD", Decimal(billions) * B)


def eps(value: str, basis: Basis) -> Figure:
    return Figure(Metric.EPS, basis, Unit.PER_SHARE, "USD", Decimal(value))


def page(*sentences: str) -> str:
    return "<html><body>" + "".join(f"<p>{s}</p>" for s in sentences) + "</body></html>"


@pytest.mark.parametrize("sentence", [
    "Data Center revenue of $35.6 billion, up 16% from Q3 and up 93% from a year ago.",  # a segment's amount
    "Revenue of $39.3 billion, up 12% from Q3.",  # sequential only
    "Record full-year revenue of $130.5 billion, up 114% from a year ago.",  # the year
    "Revenue of $39.3 billion. Gaming revenue was $2.5 billion, up 11% from a year ago.",
])
def test_what_is_not_the_quarters_year_over_year_growth_is_not_read(sentence: str) -> None:
    assert stated_growth(page(sentence), [revenue("39.331")]) == []


def test_a_value_both_eps_bases_share_needs_the_sentence_to_name_its_basis() -> None:
    both = [eps("0.89", Basis.GAAP), eps("0.89", Basis.ADJUSTED)]
    assert stated_growth(page("Earnings per share were $0.89, up 82% from a year ago."), both) == []
    [named] = stated_growth(page("Non-GAAP earnings per diluted share were $0.89, up 71% from a year ago."), both)
    assert (named.metric, named.basis, named.value, named.unit) == ("yoy:eps", Basis.ADJUSTED, Decimal(71), Unit.PERCENT)


def test_a_decline_is_negative() -> None:
    [growth] = stated_growth(page("Revenue was $9.8 billion, down 4% year-over-year."), [revenue("9.81")])
    assert growth.value == Decimal(-4)
