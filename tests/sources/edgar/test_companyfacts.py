"""XBRL companyfacts: quarters by start/end, de-duplication, Q4 derivation, the revenue tag in use."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

from bot.sources.edgar.companyfacts import (
    quarterly_eps,
    quarterly_facts,
    quarterly_revenue,
    revenue_tag,
)
from tests.sources.edgar.sec_server import EDGAR

NVDA_LIKE = EDGAR / "companyfacts_CIK0001045810_q4_derivation.json"
TAG_SWITCH = EDGAR / "companyfacts_CIK0000320193_tag_switch.json"


def _load(path):  # type: ignore[no-untyped-def]
    return json.loads(path.read_text(), parse_float=Decimal)


def test_fourth_quarter_revenue_is_the_year_minus_nine_months() -> None:
    revenue = quarterly_revenue(_load(NVDA_LIKE))

    q4 = next(f for f in revenue if f.end == date(2025, 1, 26))
    assert q4.value == Decimal("39331000000")  # 130,497M - 91,166M
    assert q4.start == date(2024, 10, 28)
    assert q4.derived and q4.form == "10-K"


def test_each_quarter_appears_once_and_year_to_date_figures_are_not_quarters() -> None:
    revenue = quarterly_revenue(_load(NVDA_LIKE))

    assert [(f.end, f.value) for f in revenue] == [
        (date(2024, 4, 28), Decimal("26044000000")),
        (date(2024, 7, 28), Decimal("30040000000")),
        (date(2024, 10, 27), Decimal("35082000000")),
        (date(2025, 1, 26), Decimal("39331000000")),
        (date(2025, 4, 27), Decimal("44062000000")),
    ]
    q1 = revenue[0]
    assert q1.accn == "0001045810-25-000116"  # the copy SEC de-duplicated into frame CY2024Q1


def test_the_revenue_tag_in_use_now_wins_over_an_older_one() -> None:
    assert revenue_tag(_load(NVDA_LIKE)) == "Revenues"
    assert revenue_tag(_load(TAG_SWITCH)) == "RevenueFromContractWithCustomerExcludingAssessedTax"
    assert revenue_tag({"facts": {"us-gaap": {}}}) is None


def test_a_fourth_quarter_already_filed_as_a_quarter_is_not_derived_again() -> None:
    revenue = quarterly_revenue(_load(TAG_SWITCH))

    q4 = [f for f in revenue if f.end == date(2024, 9, 28)]
    assert len(q4) == 1
    assert q4[0].value == Decimal("94930000000") and not q4[0].derived
    assert revenue[-1].value == Decimal("124300000000")


def test_eps_is_quarterly_as_filed_and_never_derived_for_q4() -> None:
    eps = quarterly_eps(_load(NVDA_LIKE))

    assert [(f.end, f.value) for f in eps] == [
        (date(2024, 4, 28), Decimal("0.60")),
        (date(2024, 7, 28), Decimal("0.67")),
        (date(2024, 10, 27), Decimal("0.78")),
        (date(2025, 4, 27), Decimal("0.76")),
    ]
    assert all(f.unit == "USD/shares" and f.metric == "eps" for f in eps)


def test_all_quarterly_facts_come_ordered_by_period_end() -> None:
    facts = quarterly_facts(_load(TAG_SWITCH))

    assert [(f.metric, f.end) for f in facts][-2:] == [("eps", date(2024, 12, 28)), ("revenue", date(2024, 12, 28))]
    assert facts == sorted(facts, key=lambda f: (f.end, f.metric))
