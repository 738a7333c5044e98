"""Sentence traps in press releases: each one used to give a wrong figure (a false beat or miss alert)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from bot.sources.edgar.amounts import money_amounts
from bot.sources.edgar.press_release import ExtractedRelease, extract_figures

TITLE = "<p>NVIDIA Reports Fourth Quarter Fiscal 2025 Results</p>"


def _release(*paragraphs: str) -> ExtractedRelease:
    return extract_figures("<html><body>" + TITLE + "".join(f"<p>{p}</p>" for p in paragraphs) + "</body></html>")


def _value(release: ExtractedRelease, metric: str, basis: str = "gaap") -> Decimal | None:
    figure = release.figure(metric, basis=basis)
    return None if figure is None else figure.value


@pytest.mark.parametrize(("sentence", "metric", "basis", "value"), [
    ("Fourth quarter revenue increased $1.2 billion to $39.3 billion.", "revenue", "gaap", "39300000000"),
    ("Diluted earnings per share rose $0.12, or 14%, to $0.98.", "eps", "gaap", "0.98"),
    ("Adjusted diluted EPS grew $0.15 to $1.20.", "eps", "adjusted", "1.20"),
    ("Net sales grew 12%, or $1.2 billion, to $11.2 billion.", "revenue", "gaap", "11200000000"),
    ("Revenue decreased $0.3 billion to $4.1 billion.", "revenue", "gaap", "4100000000"),
    ("Net income improved $50 million to $300 million.", "net_income", "gaap", "300000000"),
    ("Revenue increased by $1.2 billion, or 5%, to a record $25.0 billion.", "revenue", "gaap", "25000000000"),
])
def test_a_change_amount_is_not_the_level_but_the_amount_after_to_is(
    sentence: str, metric: str, basis: str, value: str
) -> None:
    assert _value(_release(sentence), metric, basis) == Decimal(value)


@pytest.mark.parametrize("sentence", [
    "Fourth quarter revenue increased $1.2 billion.",
    "Net income improved $50 million compared with the prior year.",
    "Diluted earnings per share rose $0.12, or 14%.",
    "Net income increased $5 million, or $0.10 per diluted share.",
])
def test_a_change_amount_without_a_level_gives_no_figure(sentence: str) -> None:
    assert _release(sentence).figures == ()


@pytest.mark.parametrize("amount", ["-$0.11", "$-0.11", "−$0.11", "–$0.11", "$ -0.11"])
def test_a_minus_sign_before_the_amount_makes_eps_negative(amount: str) -> None:
    release = _release(f"GAAP diluted EPS for the quarter was {amount}.")

    assert _value(release, "eps") == Decimal("-0.11")


def test_a_minus_sign_on_a_loss_per_share_keeps_it_a_loss() -> None:
    release = _release("Net loss was $5.0 million, or -$0.11 per diluted share.")

    assert _value(release, "eps") == Decimal("-0.11")
    assert _value(release, "net_income") == Decimal("-5000000")


@pytest.mark.parametrize("text", ["$1.0–$1.2 billion", "$1.0-$1.2 billion", "$1.0 – $1.2 billion", "pre-$1.2 billion"])
def test_a_range_dash_or_a_hyphen_is_no_minus(text: str) -> None:
    assert all(amount.value > 0 for amount in money_amounts(text))


def test_a_guidance_range_written_with_a_dash_stays_positive() -> None:
    release = _release("Outlook", "For the first quarter of fiscal 2026, revenue is expected to be in the range "
                       "of $1.0-$1.2 billion.")

    guide = release.figure("revenue_guidance")
    assert guide is not None and (guide.low, guide.high) == (Decimal("1000000000"), Decimal("1200000000"))


@pytest.mark.parametrize("sentence", [
    "Fourth quarter adjusted results exclude restructuring charges of $0.25 per diluted share.",
    "Results include a tax benefit of $0.10 per diluted share.",
    "The board declared a quarterly dividend of $0.25 per diluted share.",
    "Net loss included a loss on extinguishment of debt of $0.05 per diluted share.",
])
def test_a_per_diluted_share_amount_that_is_not_earnings_is_no_eps(sentence: str) -> None:
    release = _release(sentence)

    assert _value(release, "eps") is None and _value(release, "eps", "adjusted") is None


def test_an_item_per_diluted_share_after_the_eps_is_not_read_as_eps() -> None:
    release = _release("Net income was $22.1 billion, or $0.89 per diluted share, which included a charge "
                       "of $0.05 per diluted share.")

    assert _value(release, "eps") == Decimal("0.89")
    assert release.conflicts == ()


@pytest.mark.parametrize("sentence", [
    "Revenue for the first half of 2025 was $2.4 billion.",
    "H1 2025 revenue was $2.4 billion.",
    "Revenue for 1H25 was $2.4 billion.",
    "Revenue for the half year to June 30 was $2.4 billion.",
    "Revenue for the second half was $2.4 billion.",
    "Revenue for the six-month period was $2.4 billion.",
    "For the 40 weeks ended May 4, 2025, total sales were $112.4 billion and diluted EPS was $3.10.",
    "For the forty weeks ended May 4, 2025, total sales were $112.4 billion and diluted EPS was $3.10.",
    "For the 24 weeks ended May 4, 2025, total sales were $112.4 billion and diluted EPS was $3.10.",
])
def test_a_half_year_or_a_run_of_weeks_is_not_the_quarter(sentence: str) -> None:
    release = _release(sentence)

    assert _value(release, "revenue") is None and _value(release, "eps") is None


def test_a_13_week_quarter_and_product_names_like_h200_stay_the_quarter() -> None:
    release = _release("Revenue for the 13 weeks ended January 26, 2025 was $39.3 billion.",
                       "Data Center revenue was a record $35.6 billion, driven by H200 and H100 sales.")

    assert _value(release, "revenue") == Decimal("39300000000")
    assert _value(release, "kpi:data_center_revenue") == Decimal("35600000000")


@pytest.mark.parametrize("sentence", [
    "Non-GAAP and GAAP earnings per diluted share were $1.87 and $2.39.",
    "GAAP and non-GAAP earnings per diluted share were $2.39 and $1.87.",
])
def test_a_pair_of_eps_bases_is_read_in_its_order(sentence: str) -> None:
    release = _release(sentence)

    assert _value(release, "eps") == Decimal("2.39")
    assert _value(release, "eps", "adjusted") == Decimal("1.87")


@pytest.mark.parametrize("sentence", [
    "Excluding special items, diluted earnings per share were $1.87.",
    "Diluted EPS on an adjusted basis was $1.87.",
    "Diluted EPS was $1.87 on a non-GAAP basis.",
    "Excluding special items, net income was $22.1 billion, or $1.87 per diluted share.",
])
def test_an_eps_stated_excluding_items_or_on_an_adjusted_basis_is_adjusted(sentence: str) -> None:
    release = _release(sentence)

    assert _value(release, "eps", "adjusted") == Decimal("1.87")
    assert _value(release, "eps") is None


def test_an_excluding_cue_that_belongs_to_another_amount_keeps_the_basis() -> None:
    release = _release("Diluted EPS was $1.87, or $2.10 excluding special items.",
                       "Operating expenses excluding stock-based compensation were $1.2 billion and revenue was "
                       "$39.3 billion.")

    assert _value(release, "eps") == Decimal("1.87")
    assert _value(release, "revenue") == Decimal("39300000000")


def test_a_gaap_name_with_an_adjusted_cue_is_left_out() -> None:
    release = _release("GAAP diluted EPS, excluding special items, was $1.87.")

    assert release.figure("eps") is None and release.figure("eps", basis="adjusted") is None


def test_garbled_exhibits_give_no_figures_and_no_errors() -> None:
    huge = extract_figures(
        "<html><body><p>AAA Reports Fourth Quarter 2024 Results</p>"
        "<p>Revenue for the fourth quarter was $99999999999999999999999999999999999 billion.</p></body></html>"
    )
    assert huge.figure("revenue") is None
    odd_charset = extract_figures(
        b'<html><head><meta charset="none"></head><body><p>AAA Reports Fourth Quarter 2024 Results</p>'
        b"<p>Revenue for the fourth quarter was $39.3 billion.</p></body></html>"
    )
    revenue = odd_charset.figure("revenue")
    assert revenue is not None and revenue.value == 39_300_000_000
