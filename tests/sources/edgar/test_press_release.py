"""Figures read from press releases: exactly what each release states, and nothing invented."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

import pytest

from bot.domain.figures import Basis, Unit
from bot.sources.edgar.press_release import extract_figures
from bot.sources.edgar.release_parts import quarter_number
from tests.sources.edgar.sec_server import RELEASES

CASES = sorted(p.stem for p in RELEASES.glob("*.htm"))


def _key(figure: dict[str, str]) -> tuple[str, str, str, str]:
    return figure["metric"], figure["basis"], figure["unit"], figure["currency"]


def test_the_extraction_set_covers_at_least_eight_releases() -> None:
    assert len(CASES) >= 8
    assert all((RELEASES / f"{name}.json").is_file() for name in CASES)


@pytest.mark.parametrize("name", CASES)
def test_release_figures_are_exactly_the_stated_ones(name: str) -> None:
    expected = json.loads((RELEASES / f"{name}.json").read_text())

    release = extract_figures((RELEASES / f"{name}.htm").read_bytes())

    found = {(f.metric, str(f.basis), str(f.unit), f.currency): f for f in release.figures}
    wanted = {_key(figure): figure for figure in expected["figures"]}
    assert sorted(found) == sorted(wanted), f"conflicts: {release.conflicts}"
    for key, figure in wanted.items():
        got = found[key]
        assert got.value == Decimal(figure["value"]), key
        if "low" in figure:
            assert (got.low, got.high) == (Decimal(figure["low"]), Decimal(figure["high"])), key
        assert got.period, key
        assert got.evidence, key
    assert release.conflicts == ()
    assert release.period_end == date.fromisoformat(expected["period_end"])
    assert release.fiscal_quarter == expected["fiscal_quarter"]
    assert release.company == expected["company"]


def test_text_only_rounded_figure_is_kept_when_no_table_states_it_more_precisely() -> None:
    release = extract_figures("<html><body><p>Acme Corp today reported results for the third quarter "
                              "ended September 30, 2024.</p><p>Revenue was $1.2 billion, up 5% from a year ago."
                              "</p></body></html>")

    revenue = release.figure("revenue")
    assert revenue is not None and revenue.value == Decimal("1200000000")
    assert revenue.unit == Unit.MONEY and revenue.currency == "USD" and revenue.basis == Basis.GAAP


def test_disagreeing_statements_of_one_figure_leave_it_out() -> None:
    release = extract_figures("<html><body><p>Revenue was $1.2 billion for the third quarter.</p>"
                              "<p>Total revenue of $1.5 billion was a record.</p></body></html>")

    assert release.figure("revenue") is None
    assert release.conflicts and release.conflicts[0].startswith("revenue gaap money USD")


def test_prior_period_amounts_after_compared_with_are_not_taken() -> None:
    release = extract_figures("<p>Net income was $10.0 million, or $0.50 per diluted share, compared with "
                              "net income of $8.0 million, or $0.40 per diluted share, a year ago.</p>")

    assert release.figure("net_income").value == Decimal("10000000")  # type: ignore[union-attr]
    assert release.figure("eps").value == Decimal("0.50")  # type: ignore[union-attr]


def test_basic_per_share_amounts_are_not_diluted_eps() -> None:
    release = extract_figures("<p>Net income for the quarter was $44.2 million, or $0.89 per share ($0.88 per "
                              "share on a diluted basis).</p><p>The board declared a dividend of $0.35 per share.</p>")

    assert [(f.metric, f.value) for f in release.figures] == [
        ("net_income", Decimal("44200000")), ("eps", Decimal("0.88")),
    ]


def test_gaap_and_non_gaap_in_one_sentence_are_told_apart() -> None:
    release = extract_figures("<p>For the first quarter, GAAP and non-GAAP earnings per diluted share were "
                              "$2.39 and $1.87, respectively.</p>")

    assert release.figure("eps", "gaap").value == Decimal("2.39")  # type: ignore[union-attr]
    assert release.figure("eps", "adjusted").value == Decimal("1.87")  # type: ignore[union-attr]


def test_full_year_paragraphs_and_outlook_sentences_are_not_quarterly_actuals() -> None:
    release = extract_figures(
        "<p>For fiscal 2025, revenue was $130.5 billion, up 114%. GAAP earnings per diluted share were $2.94.</p>"
        "<p>Revenue for the fiscal year is expected to be $200.0 billion.</p>"
    )

    assert release.figures == ()


def test_an_amount_without_scale_in_a_table_without_a_scale_statement_is_left_out() -> None:
    release = extract_figures(
        "<table><tr><td></td><td>Three Months Ended</td></tr>"
        "<tr><td>Revenue</td><td>$</td><td>12,345</td></tr>"
        "<tr><td>Diluted earnings per share</td><td>$</td><td>0.42</td></tr></table>"
    )

    assert [(f.metric, f.value) for f in release.figures] == [("eps", Decimal("0.42"))]


def test_quarter_columns_in_ascending_order_take_the_latest_quarter() -> None:
    release = extract_figures(
        "<table><tr><td>($ in millions, except percentages and per share data)</td><td>Q4-2023</td>"
        "<td>Q1-2024</td><td>Q2-2024</td><td>Q3-2024</td><td>Q4-2024</td><td>YoY</td></tr>"
        "<tr><td>Total revenues</td><td>25,167</td><td>21,301</td><td>25,500</td><td>25,182</td><td>25,707</td><td>2%</td></tr>"
        "<tr><td>EPS attributable to common stockholders (diluted) (GAAP)</td><td>2.27</td><td>0.34</td><td>0.42</td>"
        "<td>0.62</td><td>0.66</td><td>-71%</td></tr>"
        "<tr><td>EPS attributable to common stockholders (diluted) (non-GAAP)</td><td>0.71</td><td>0.45</td><td>0.52</td>"
        "<td>0.72</td><td>0.73</td><td>3%</td></tr></table>"
    )

    assert sorted((f.metric, str(f.basis), f.currency, f.value) for f in release.figures) == [
        ("eps", "adjusted", "USD", Decimal("0.73")),
        ("eps", "gaap", "USD", Decimal("0.66")),
        ("revenue", "gaap", "USD", Decimal("25707000000")),
    ]


def test_a_quarter_after_revenue_in_is_not_a_segment() -> None:
    release = extract_figures("<p>Revenue in Q4 was $2.1 billion. Revenue in Intelligent Cloud was $0.9 billion.</p>")

    assert release.figure("revenue").value == Decimal("2100000000")  # type: ignore[union-attr]
    assert release.figure("kpi:intelligent_cloud_revenue").value == Decimal("900000000")  # type: ignore[union-attr]


def test_plain_text_releases_are_read_too() -> None:
    text = ("Acme Corp Reports Fourth Quarter Results\n\nNet sales for the fourth quarter ended December 31, "
            "2024 increased 4% to $310.5 million.\n\nDiluted earnings per share was $1.02.\n")

    release = extract_figures(text)

    assert release.title == "Acme Corp Reports Fourth Quarter Results"
    assert release.company == "Acme Corp"
    assert release.figure("revenue").value == Decimal("310500000")  # type: ignore[union-attr]
    assert release.figure("eps").value == Decimal("1.02")  # type: ignore[union-attr]


def test_figures_serialise_as_exact_decimal_strings() -> None:
    release = extract_figures((RELEASES / "kestrel_q3_2024_ex99-1.htm").read_bytes())

    data = release.to_json()

    eps = next(f for f in data["figures"] if f["metric"] == "eps" and f["basis"] == "gaap")  # type: ignore[union-attr,index]
    assert eps["value"] == "-0.11" and eps["unit"] == "per_share" and eps["currency"] == "USD"
    guide = next(f for f in data["figures"] if f["metric"] == "revenue_guidance")  # type: ignore[union-attr,index]
    assert (guide["value"], guide["low"], guide["high"]) == ("13000000", "12800000", "13200000")
    json.dumps(data)


def test_domain_figures_carry_metric_basis_unit_and_currency() -> None:
    release = extract_figures((RELEASES / "baba_dec_q_2024_ex99-1.htm").read_bytes())

    figure = release.figure("eps", "adjusted", unit="per_ads")
    assert figure is not None
    domain = figure.as_figure()
    assert (domain.metric, domain.basis, domain.unit, domain.currency, domain.value) == (
        "eps", Basis.ADJUSTED, Unit.PER_ADS, "CNY", Decimal("21.39"),
    )


def test_bytes_and_text_give_the_same_figures() -> None:
    body = (RELEASES / "nvda_q4_fy2025_ex99-1.htm").read_bytes()
    assert extract_figures(body).figures == extract_figures(body.decode("utf-8")).figures


@pytest.mark.parametrize(("text", "quarter"), [
    ("fourth quarter ended January 26, 2025", 4),
    ("fiscal 2025 first quarter ended December 28, 2024", 1),
    ("Microsoft Cloud and AI Strength Drives Second Quarter Results", 2),
    ("Q4 FY25", 4),
    ("4Q24 results", 4),
    ("quarter ended December 31, 2024", None),
    # a dividend is not the quarter reported; two quarters named tell nothing
    ("Reports Results for the Quarter Ended September 30, 2024 and Announces First Quarter Dividend", None),
    ("Third Quarter Results and Fourth Quarter Outlook", None),
])
def test_the_fiscal_quarter_a_release_names_is_read_only_when_it_names_one(text: str, quarter: int | None) -> None:
    assert quarter_number(text) == quarter
