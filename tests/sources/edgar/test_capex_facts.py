"""Quarterly capex from XBRL: cash-flow facts are year-to-date, so each quarter is the difference
of two consecutive year-to-date figures, or its own filed three-month fact."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from bot.sources.edgar.companyfacts import current_tag, quarterly_flow

CAPEX = "PaymentsToAcquirePropertyPlantAndEquipment"


def fact(start: str, end: str, millions: int, form: str, filed: str, frame: str | None = None) -> dict[str, object]:
    row: dict[str, object] = {"start": start, "end": end, "val": millions * 10**6, "accn": f"0001326801-{filed}",
                              "fy": int(filed[:4]), "fp": "FY" if form == "10-K" else "Q", "form": form, "filed": filed}
    if frame:
        row["frame"] = frame
    return row


def payload(tag: str, facts: list[dict[str, object]]) -> dict[str, object]:
    return {"facts": {"us-gaap": {tag: {"units": {"USD": facts}}}}}


# A calendar-year filer's 2024 as its 10-Qs and 10-K state it: three, six, nine and twelve months,
# the 10-Q of 2025 repeating the first quarter of 2024 as its comparative.
META_LIKE = payload(CAPEX, [
    fact("2024-01-01", "2024-03-31", 6400, "10-Q", "2024-04-25", frame="CY2024Q1"),
    fact("2024-01-01", "2024-06-30", 14573, "10-Q", "2024-08-01"),
    fact("2024-01-01", "2024-09-30", 23774, "10-Q", "2024-10-31"),
    fact("2024-01-01", "2024-12-31", 37256, "10-K", "2025-01-30", frame="CY2024"),
    fact("2023-01-01", "2023-12-31", 27266, "10-K", "2025-01-30", frame="CY2023"),
    fact("2024-01-01", "2024-03-31", 6400, "10-Q", "2025-05-01"),
    fact("2025-01-01", "2025-03-31", 12941, "10-Q", "2025-05-01", frame="CY2025Q1"),
])


def test_each_quarter_is_the_difference_of_consecutive_year_to_date_figures() -> None:
    quarters = quarterly_flow(META_LIKE, [CAPEX], "kpi:capex")
    assert [(q.start, q.end, q.value, q.derived) for q in quarters] == [
        (date(2024, 1, 1), date(2024, 3, 31), Decimal("6400000000"), False),
        (date(2024, 4, 1), date(2024, 6, 30), Decimal("8173000000"), True),  # 14,573 - 6,400
        (date(2024, 7, 1), date(2024, 9, 30), Decimal("9201000000"), True),  # 23,774 - 14,573
        (date(2024, 10, 1), date(2024, 12, 31), Decimal("13482000000"), True),  # 37,256 - 23,774
        (date(2025, 1, 1), date(2025, 3, 31), Decimal("12941000000"), False),
    ]
    assert {q.metric for q in quarters} == {"kpi:capex"} and {q.unit for q in quarters} == {"USD"}
    assert quarters[3].form == "10-K" and quarters[3].tag == CAPEX


def test_a_year_alone_is_not_a_quarter() -> None:
    only_years = payload(CAPEX, [fact("2023-01-01", "2023-12-31", 27266, "10-K", "2024-02-02")])
    assert quarterly_flow(only_years, [CAPEX], "kpi:capex") == []


def test_the_tag_in_use_now_is_read() -> None:
    both = {"facts": {"us-gaap": {
        CAPEX: {"units": {"USD": [fact("2019-01-01", "2019-03-31", 3000, "10-Q", "2019-04-30")]}},
        "PaymentsToAcquireProductiveAssets": {"units": {"USD": [
            fact("2024-01-01", "2024-03-31", 14925, "10-Q", "2024-05-01"),
            fact("2024-01-01", "2024-06-30", 32545, "10-Q", "2024-08-02"),
        ]}},
    }}}
    tags = ["PaymentsToAcquireProductiveAssets", CAPEX]
    assert current_tag(both, tags) == "PaymentsToAcquireProductiveAssets"
    assert [q.value for q in quarterly_flow(both, tags, "kpi:capex")] == [Decimal("14925000000"), Decimal("17620000000")]
    assert quarterly_flow({"facts": {"us-gaap": {}}}, tags, "kpi:capex") == []
