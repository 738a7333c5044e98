"""The exchange's calendar: NYSE holidays from the maintained `holidays` library, and weekends."""

from __future__ import annotations

from datetime import UTC, date, datetime

from bot.domain.market_time import market_closed, market_holiday, new_york_date


def test_nyse_holidays_of_2026_have_their_names() -> None:
    assert market_holiday(date(2026, 11, 26)) == "Thanksgiving Day"
    assert market_holiday(date(2026, 4, 3)) == "Good Friday"  # a market holiday, not a federal one
    assert market_holiday(date(2026, 7, 3)) == "Independence Day (observed)"
    assert market_holiday(date(2026, 12, 25)) == "Christmas Day"


def test_days_the_market_is_open_are_no_holiday() -> None:
    assert market_holiday(date(2026, 11, 27)) is None  # the Friday after Thanksgiving closes early only
    assert market_holiday(date(2026, 10, 12)) is None  # Columbus Day: banks close, the NYSE trades
    assert market_closed(date(2026, 11, 25)) is None


def test_a_saturday_is_closed_for_the_weekend_and_a_holiday_by_its_name() -> None:
    assert market_holiday(date(2026, 2, 28)) is None
    assert market_closed(date(2026, 2, 28)) == "weekend"
    assert market_closed(date(2026, 3, 1)) == "weekend"
    assert market_closed(date(2026, 11, 26)) == "Thanksgiving Day"


def test_the_new_york_date_turns_at_new_york_midnight_in_both_seasons() -> None:
    assert new_york_date(datetime(2026, 3, 9, 3, 59, tzinfo=UTC)) == date(2026, 3, 8)  # EDT, UTC-4
    assert new_york_date(datetime(2026, 3, 9, 4, 0, tzinfo=UTC)) == date(2026, 3, 9)
    assert new_york_date(datetime(2026, 11, 2, 4, 59, tzinfo=UTC)) == date(2026, 11, 1)  # EST, UTC-5
    assert new_york_date(datetime(2026, 11, 2, 5, 0, tzinfo=UTC)) == date(2026, 11, 2)
