"""A provider's Retry-After is obeyed within reason, whatever it says."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import httpx
import pytest

from bot.sources.http import MAX_RETRY_AFTER, _retry_after


def answer(value: str | None) -> httpx.Response:
    return httpx.Response(503, headers={"Retry-After": value} if value is not None else {})


@pytest.mark.parametrize(
    ("value", "expected"),
    [("120", 120.0), ("0", 0.0), ("-5", 0.0), ("31536000", MAX_RETRY_AFTER), ("1e12", MAX_RETRY_AFTER),
     ("nan", None), ("inf", None), ("soon", None), ("", None), (None, None)],
)
def test_retry_after_seconds_are_finite_and_capped(value: str | None, expected: float | None) -> None:
    assert _retry_after(answer(value)) == expected


def test_retry_after_as_an_http_date() -> None:
    later = format_datetime(datetime.now(UTC) + timedelta(seconds=90), usegmt=True)
    seconds = _retry_after(answer(later))
    assert seconds is not None and 80 <= seconds <= 90
