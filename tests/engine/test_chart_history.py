"""What /chart draws: the last 8 reported quarters, oldest first, each metric's actual against the
consensus its alert compared, the surprise; never a consensus in other terms than the actual."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import Engine

from bot.domain.figures import Unit
from bot.domain.verdicts import Verdict
from bot.engine.chart_history import ChartHistory, chart_history
from bot.store.db import session_scope
from tests.engine.chart_seed import (
    NVDA_QUARTERS,
    eps_figure,
    nvda_history,
    reported_quarter,
    revenue_figure,
)
from tests.engine.helpers import add_company


def history(db: Engine, typed: str) -> ChartHistory:
    with session_scope(db) as session:
        found = chart_history(session, typed)
    assert found.history is not None, found
    return found.history


def test_the_last_eight_quarters_oldest_first_with_surprise(db: Engine) -> None:
    with session_scope(db) as session:
        nvda = add_company(session)
        nvda_history(session, nvda, [("0.10", "0.11", "9.0", "9.5"), ("0.11", "0.12", "9.1", "9.6")])
        nvda_history(session, nvda, first_index=2)  # ten quarters stored
    chart = history(db, "nvda")
    assert [q.label for q in chart.quarters] == [
        "Q3 FY20", "Q4 FY20", "Q1 FY21", "Q2 FY21", "Q3 FY21", "Q4 FY21", "Q1 FY22", "Q2 FY22"]
    assert [q.bars["eps"].actual for q in chart.quarters] == [Decimal(e) for e, *_ in NVDA_QUARTERS]
    newest = chart.quarters[-1].bars
    assert newest["eps"].consensus == Decimal("0.96") and newest["eps"].verdict is Verdict.MISS
    assert round(newest["eps"].surprise_percent or 0, 1) == Decimal("-10.4")
    assert newest["revenue"].actual == Decimal("44.1") * 10**9
    assert newest["revenue"].verdict is Verdict.BEAT
    assert chart.bar_count("eps") == 16 and chart.bar_count("revenue") == 16


def test_a_consensus_in_another_currency_is_left_out_and_the_actual_stands_alone(db: Engine) -> None:
    with session_scope(db) as session:
        baba = add_company(session, "BABA", "Alibaba Group Holding Ltd", 1577552, fiscal_year_end_month=3,
                           currency="CNY")
        reported_quarter(session, baba, 0, actual=(eps_figure("21.39", "CNY", Unit.PER_ADS),
                                                   revenue_figure("280.2", "CNY")),
                         expected=(eps_figure("2.65", "USD", Unit.PER_ADS), revenue_figure("279.0", "CNY")))
    [quarter] = history(db, "BABA").quarters
    assert quarter.bars["eps"].actual == Decimal("21.39")
    assert quarter.bars["eps"].consensus is None and quarter.bars["eps"].surprise_percent is None
    assert quarter.bars["revenue"].consensus == Decimal("279.0") * 10**9
    assert history(db, "BABA").scales["eps"].currency == "CNY"


def test_a_quarter_in_other_terms_than_the_newest_is_left_out_of_that_panel(db: Engine) -> None:
    with session_scope(db) as session:
        baba = add_company(session, "BABA", "Alibaba Group Holding Ltd", 1577552, currency="CNY")
        reported_quarter(session, baba, 0, actual=(eps_figure("2.90", "USD", Unit.PER_ADS), revenue_figure("30", "USD")))
        reported_quarter(session, baba, 1, actual=(eps_figure("21.39", "CNY", Unit.PER_ADS),
                                                   revenue_figure("280.2", "CNY")))
    chart = history(db, "BABA")
    assert [sorted(q.bars) for q in chart.quarters] == [[], ["eps", "revenue"]]
    assert chart.bar_count("eps") == 1


def test_unknown_ticker_and_nothing_stored(db: Engine) -> None:
    with session_scope(db) as session:
        add_company(session)
        add_company(session, "NVDX", "Leveraged NVDA", 9)
        unknown = chart_history(session, "NVDZ")
        nothing = chart_history(session, "NVDA")
        garbage = chart_history(session, "<b>")
    assert not unknown.known and unknown.history is None and "NVDA" in unknown.suggestions
    assert nothing.known and nothing.history is not None and nothing.history.quarters == ()
    assert not garbage.known
