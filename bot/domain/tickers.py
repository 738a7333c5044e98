"""Ticker symbols: one canonical spelling for share classes written with '.', '/' or '-'."""

from __future__ import annotations

import re
import unicodedata

_VALID = re.compile(r"^[A-Z][A-Z0-9]{0,9}(-[A-Z0-9]{1,4})?$")
_SEPARATORS = re.compile(r"[./\s\u2010-\u2015\u2212]+")  # dots, slashes, spaces, dashes a phone types


def normalize_ticker(raw: str) -> str:
    """Return the canonical ticker: upper case, class separator '-' (BRK.B, BRK/B -> BRK-B).

    A leading '$' (cashtag) is dropped; full-width letters (ＮＶＤＡ) and typographic dashes
    (BRK–B) read as plain ones. The result may still be invalid; see is_valid_ticker.
    """
    symbol = unicodedata.normalize("NFKC", raw).strip().upper().lstrip("$")
    return _SEPARATORS.sub("-", symbol).strip("-")


def is_valid_ticker(symbol: str) -> bool:
    """Return True when the normalised symbol has the shape of a ticker."""
    return bool(_VALID.match(symbol))
