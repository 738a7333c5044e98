"""How a comparison reads in an alert, including the ones that get no verdict."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from bot.delivery.render import comparison_line
from bot.domain.figures import Basis, Expectation, Figure, Metric, Unit
from bot.domain.verdicts import compare


def eps(value: str) -> Figure:
    return Figure(Metric.EPS, Basis.ADJUSTED, Unit.PER_SHARE, "USD", Decimal(value))


def test_a_figure_too_far_from_the_estimate_is_shown_without_a_verdict_or_percentage() -> None:
    line = comparison_line(compare(eps("150.20"), Expectation(eps("1.50"), "nasdaq", datetime(2025, 1, 1, tzinfo=UTC), 14)))
    assert line == (
        "EPS $150.20 vs $1.50 est. ⚠️ not judged: too far from the estimate to trust, check the release"
        " · adjusted, Nasdaq (14 est.)"
    )


def test_a_judged_figure_shows_its_surprise_and_verdict() -> None:
    line = comparison_line(compare(eps("0.89"), Expectation(eps("0.84"), "nasdaq", datetime(2025, 1, 1, tzinfo=UTC), 14)))
    assert line == "EPS $0.89 vs $0.84 est. (+6.0%) ✅ beat · adjusted, Nasdaq (14 est.)"


def test_amounts_pick_their_unit_after_rounding_and_never_show_minus_zero() -> None:
    from bot.delivery.render import format_money, format_per_share

    assert format_money(Decimal("999999999"), "USD") == "$1.00B"
    assert format_money(Decimal("39331000000"), "USD") == "$39.33B"
    assert format_money(Decimal("-12500000"), "USD") == "-$12.50M"
    assert format_money(Decimal("280154000000"), "CNY") == "RMB280.15B"
    assert format_per_share(Decimal("-0.004"), "USD") == "$0.00"
    assert format_per_share(Decimal("-0.11"), "USD") == "-$0.11"
