"""KPIs read from releases written the way each company writes them: levels after their names,
growth as stated year over year (never a sequential rate), table rows, and guidance kept apart
from the quarter's actual with the period it names."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.domain.figures import Unit
from bot.domain.kpis import KpiDefinition, KpiUnit
from bot.kpis import load_kpis
from bot.sources.edgar.press_release import ExtractedFigure, extract_figures, extract_kpis

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "press_releases"
KPIS = load_kpis()
B = Decimal(10) ** 9


def release(title: str, *paragraphs: str) -> str:
    body = "".join(p if p.startswith("<table") else f"<p>{p}</p>" for p in paragraphs)
    return f"<html><body><p>{title}</p>{body}</body></html>"


def read(ticker: str, html: str | bytes, *extra: KpiDefinition) -> dict[str, ExtractedFigure]:
    figures = extract_kpis(html, (*KPIS.for_company(ticker), *extra))
    return {f.metric: f for f in figures}


def values(figures: dict[str, ExtractedFigure]) -> dict[str, tuple[Decimal, Unit, str]]:
    return {m: (f.value, f.unit, f.currency) for m, f in figures.items()}


NVDA = release(
    "NVIDIA Announces Financial Results for Fourth Quarter and Fiscal 2025",
    "NVIDIA today reported revenue for the fourth quarter ended January 26, 2025, of $39.3 billion, up 12% "
    "from the previous quarter and up 78% from a year ago.",
    "For fiscal 2025, revenue was a record $130.5 billion, up 114% from a year ago, and Data Center revenue "
    "was a record $115.2 billion.",
    "Data Center",
    "• Record quarterly Data Center revenue of $35.6 billion, up 16% from Q3 and up 93% from a year ago.",
    "Outlook",
    "NVIDIA's outlook for the first quarter of fiscal 2026 is as follows:",
    "• Revenue is expected to be $43.0 billion, plus or minus 2%.",
)
DATA_CENTER_GROWTH = KpiDefinition("NVDA", "data_center_growth", "Data Center growth", KpiUnit.PERCENT_GROWTH,
                                   phrases=("Data Center revenue",))


def test_nvidia_data_center_revenue_is_the_quarter_never_the_fiscal_year() -> None:
    figures = read("NVDA", NVDA, DATA_CENTER_GROWTH)
    assert values(figures) == {
        "kpi:data_center_revenue": (Decimal("35.6") * B, Unit.MONEY, "USD"),
        # "up 16% from Q3" is sequential: the year-over-year growth is the 93%
        "kpi:data_center_growth": (Decimal(93), Unit.PERCENT, ""),
    }
    assert figures["kpi:data_center_revenue"].period == "fourth quarter ended January 26, 2025"
    assert figures["kpi:data_center_revenue"].as_figure().metric == "kpi:data_center_revenue"


MSFT = release(
    "Microsoft Cloud and AI strength drives second quarter results",
    "REDMOND, Wash. — January 29, 2025 — Microsoft Corp. today announced the following results for the "
    "quarter ended December 31, 2024, as compared to the corresponding period of last fiscal year:",
    "• Revenue was $69.6 billion and increased 12%",
    "Revenue in Intelligent Cloud was $25.5 billion and increased 19% (up 20% in constant currency), with the "
    "following business highlights:",
    "• Server products and cloud services revenue increased 21% driven by Azure and other cloud services "
    "revenue growth of 31%",
)


def test_microsoft_intelligent_cloud_revenue_and_azure_growth() -> None:
    assert values(read("MSFT", MSFT)) == {
        "kpi:intelligent_cloud_revenue": (Decimal("25.5") * B, Unit.MONEY, "USD"),
        "kpi:azure_growth": (Decimal(31), Unit.PERCENT, ""),  # not the 21% of server products
    }


@pytest.mark.parametrize(("sentence", "growth"), [
    ("Azure and other cloud services revenue grew 33% (35% in constant currency)", Decimal(33)),
    ("Azure and other cloud services revenue grew 35% in constant currency", None),
    ("Azure and other cloud services revenue grew 31%, and sequential growth accelerated", None),
    ("Azure and other cloud services revenue increased 7% quarter-over-quarter", None),
    ("Azure and other cloud services revenue grew 8% sequentially and 39% year-over-year", Decimal(39)),
    ("Azure and other cloud services revenue declined 2% year-over-year", Decimal(-2)),
    ("Azure and other cloud services revenue was 30% of the segment", None),
])
def test_azure_growth_is_read_only_as_a_year_over_year_rate(sentence: str, growth: Decimal | None) -> None:
    html = release("Microsoft announces quarterly results", "Quarter ended March 31, 2025:", f"• {sentence}")
    figure = read("MSFT", html).get("kpi:azure_growth")
    assert (figure.value if figure else None) == growth


AMZN = release(
    "AMAZON.COM ANNOUNCES FOURTH QUARTER RESULTS",
    "Fourth Quarter 2024",
    "• Net sales increased 10% to $187.8 billion in the fourth quarter, compared with $170.0 billion in "
    "fourth quarter 2023.",
    "• AWS segment sales increased 19% year-over-year to $28.8 billion.",
    "• Operating income increased to $21.2 billion in the fourth quarter, compared with $13.2 billion in "
    "fourth quarter 2023.",
    "\"We expect capital expenditures of approximately $105 billion in 2025, primarily for AWS "
    "infrastructure,\" said Andy Jassy, Amazon President and CEO.",
    "First Quarter 2025 Guidance",
    "• Net sales are expected to be between $151.0 billion and $155.5 billion.",
)


def test_amazon_aws_revenue_and_capex_guidance_for_its_year() -> None:
    figures = read("AMZN", AMZN)
    assert values(figures) == {
        "kpi:aws_revenue": (Decimal("28.8") * B, Unit.MONEY, "USD"),
        "kpi:capex_guidance": (105 * B, Unit.MONEY, "USD"),
    }
    assert figures["kpi:capex_guidance"].period == "2025"
    assert "kpi:capex" not in figures  # the plan for 2025 is never the quarter's capex


GOOGL = release(
    "Alphabet Announces Fourth Quarter and Fiscal Year 2024 Results",
    "Sundar Pichai, CEO, said: \"Q4 was a strong quarter driven by our leadership in AI and momentum across "
    "the business.\"",
    "Google Cloud revenues increased 30% to $12.0 billion in the fourth quarter, led by growth in Google "
    "Cloud Platform across AI Infrastructure and Generative AI Solutions.",
    "Anat Ashkenazi, CFO, said: \"We had a strong finish to 2024. To accelerate our progress, we expect to "
    "invest approximately $75 billion in capital expenditures in 2025.\"",
)


def test_alphabet_cloud_revenue_and_a_capex_plan_for_the_year() -> None:
    figures = read("GOOGL", GOOGL)
    assert values(figures) == {
        "kpi:google_cloud_revenue": (12 * B, Unit.MONEY, "USD"),
        "kpi:capex_guidance": (75 * B, Unit.MONEY, "USD"),
    }
    assert figures["kpi:capex_guidance"].period == "2025"


BABA = release(
    "Alibaba Group Announces December Quarter 2024 Results",
    "Hangzhou, China, February 20, 2025 – Alibaba Group Holding Limited today announced its financial results "
    "for the quarter ended December 31, 2024.",
    "Cloud Intelligence Group: Revenue from Cloud Intelligence Group was RMB31,742 million (US$4,349 million), "
    "an increase of 13% year-over-year, primarily driven by public cloud business growth, including "
    "increasing adoption of AI-related products.",
    "On a sequential basis, Cloud Intelligence Group revenue increased 7% quarter-over-quarter.",
    "\"Looking ahead, we will invest more than RMB380 billion over the next three years in cloud and AI "
    "infrastructure, more than what we have spent over the past decade,\" said Eddie Wu, CEO.",
)


def test_alibaba_cloud_revenue_in_rmb_its_yearly_growth_and_a_three_year_plan() -> None:
    figures = read("BABA", BABA)
    assert values(figures) == {
        "kpi:cloud_revenue": (Decimal(31742) * 10**6, Unit.MONEY, "CNY"),
        "kpi:cloud_growth": (Decimal(13), Unit.PERCENT, ""),  # never the 7% sequential
        "kpi:cloud_ai_investment_guidance": (380 * B, Unit.MONEY, "CNY"),
    }
    plan = figures["kpi:cloud_ai_investment_guidance"]
    assert plan.period == "next three years" and plan.low == 380 * B and plan.high is None


def test_alibaba_growth_stated_only_sequentially_is_not_read() -> None:
    html = release("Alibaba Group Announces March Quarter 2025 Results", BABA.split("<p>")[4].removesuffix("</p>"))
    assert "kpi:cloud_growth" not in read("BABA", html)


META = release(
    "Meta Reports Fourth Quarter and Full Year 2024 Results",
    "Fourth Quarter 2024 Operational and Other Financial Highlights",
    "Family daily active people (DAP) – DAP was 3.35 billion on average for December 2024, an increase of 5% "
    "year-over-year.",
    "Capital expenditures – Capital expenditures, including principal payments on finance leases, were "
    "$14.84 billion for the fourth quarter of 2024.",
    "CFO Outlook Commentary",
    "We anticipate 2025 capital expenditures, including principal payments on finance leases, to be in the "
    "range of $60-65 billion.",
)


def test_meta_capex_of_the_quarter_and_its_range_for_the_year_and_daily_people() -> None:
    figures = read("META", META)
    assert values(figures) == {
        "kpi:family_daily_active_people": (Decimal("3.35") * B, Unit.COUNT, ""),
        "kpi:capex": (Decimal("14.84") * B, Unit.MONEY, "USD"),
        "kpi:capex_guidance": (Decimal("62.5") * B, Unit.MONEY, "USD"),
    }
    guide = figures["kpi:capex_guidance"]
    assert (guide.low, guide.high, guide.period) == (60 * B, 65 * B, "2025")


def test_a_plan_is_for_the_year_named_next_to_its_amount() -> None:
    html = release("Alphabet Announces Fourth Quarter 2024 Results",
                   "After $52.5 billion in 2024, we expect capital expenditures of approximately $75 billion in "
                   "2025 to meet demand.")
    guide = read("GOOGL", html)["kpi:capex_guidance"]
    assert (guide.value, guide.period) == (75 * B, "2025")


def test_guidance_without_a_period_is_not_read_and_never_an_actual() -> None:
    html = release("Meta Reports Fourth Quarter 2024 Results",
                   "We expect capital expenditures of approximately $20 billion as we build data centers.")
    assert read("META", html) == {}


def test_apple_services_revenue_from_the_statement_of_operations() -> None:
    figures = read("AAPL", (FIXTURES / "aapl_q1_fy2025_ex99-1.htm").read_bytes())
    assert values(figures) == {"kpi:services_revenue": (Decimal(26340) * 10**6, Unit.MONEY, "USD")}
    assert "Services" in figures["kpi:services_revenue"].evidence


def test_a_services_row_under_cost_of_sales_is_not_services_revenue() -> None:
    table = (
        "<table><tr><td></td><td>Three Months Ended</td></tr>"
        "<tr><td></td><td>March 29, 2025</td><td>March 30, 2024</td></tr>"
        "<tr><td>Cost of sales:</td></tr>"
        "<tr><td>Services</td><td>7,041</td><td>6,058</td></tr></table>"
    )
    html = release("Apple reports second quarter results", "(In millions)", table)
    assert read("AAPL", html) == {}


@pytest.mark.parametrize(("name", "ticker"), [
    ("nvda_q4_fy2025", "NVDA"), ("msft_fy25_q2", "MSFT"), ("amzn_q4_2024", "AMZN"), ("baba_dec_q_2024", "BABA"),
])
def test_real_releases_give_the_same_segment_revenue_as_the_headline_reader(name: str, ticker: str) -> None:
    content = (FIXTURES / f"{name}_ex99-1.htm").read_bytes()
    headline = {f.metric: f.value for f in extract_figures(content).figures}
    for metric, figure in read(ticker, content).items():
        if figure.unit is Unit.MONEY and metric in headline:
            assert figure.value == headline[metric]


def test_a_company_without_definitions_gets_no_kpis() -> None:
    assert extract_kpis(NVDA, ()) == ()


def test_a_growth_rate_and_a_count_have_no_currency() -> None:
    meta = read("META", META)["kpi:family_daily_active_people"].as_figure()
    baba = read("BABA", BABA)["kpi:cloud_growth"].as_figure()
    assert (meta.unit, meta.currency, baba.unit, baba.currency) == (Unit.COUNT, None, Unit.PERCENT, None)


EVERY_KPI = [kpi for kpis in KPIS.by_ticker.values() for kpi in kpis]
WORDS = ["Data Center revenue", "grew", "up", "13%", "$35.6 billion", "RMB380 billion", "expects", "in 2025",
         "sequentially", "year-over-year", "(", ")", ",", ".", "Outlook", "capital expenditures", "and", "•"]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(st.sampled_from(WORDS) | st.text(max_size=8), max_size=14), max_size=6))
def test_any_release_text_gives_figures_or_nothing_never_an_error(paragraphs: list[list[str]]) -> None:
    html = release("Results", *(" ".join(words).replace("<", " ") for words in paragraphs))
    for figure in extract_kpis(html, EVERY_KPI):
        assert figure.metric.startswith("kpi:") and figure.unit in (Unit.MONEY, Unit.PERCENT, Unit.COUNT)
