"""One canonical spelling per ticker, however the user typed it."""

from __future__ import annotations

import pytest

from bot.domain.tickers import is_valid_ticker, normalize_ticker


@pytest.mark.parametrize(
    ("typed", "canonical"),
    [
        ("nvda", "NVDA"), ("$NVDA", "NVDA"), (" msft ", "MSFT"),
        ("BRK.B", "BRK-B"), ("brk/b", "BRK-B"), ("BRK-B", "BRK-B"), ("BRK B", "BRK-B"),
        ("BRK–B", "BRK-B"), ("BRK—B", "BRK-B"), ("BRK‐B", "BRK-B"),  # dashes phones and word processors type
        ("ＮＶＤＡ", "NVDA"), ("＄ＢＲＫ．Ｂ", "BRK-B"),  # full-width, from CJK keyboards
    ],
)
def test_every_spelling_of_a_ticker_is_one_symbol(typed: str, canonical: str) -> None:
    assert normalize_ticker(typed) == canonical
    assert is_valid_ticker(normalize_ticker(typed))


@pytest.mark.parametrize("typed", ["123", "$$$", "<script>", "🚀", "ñandú", "X" * 30, ""])
def test_things_that_are_not_tickers_stay_invalid(typed: str) -> None:
    assert not is_valid_ticker(normalize_ticker(typed))
