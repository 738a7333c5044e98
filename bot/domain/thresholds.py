"""A chat's own thresholds: its in-line band and its minimum surprise, as typed and as stored.

Both are percentages kept in basis points (100 = 1%). The band replaces the default in-line band for
revenue, other amounts and EPS (growth rates keep the default, in points); no band of its own means
the default (±0.5% for money, EPS exact to the cent). A result whose every headline surprise is
under the minimum surprise is still sent, without a notification sound.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from decimal import ROUND_HALF_UP, Decimal

from bot.domain.verdicts import NO_VERDICT, Comparison, InlineBand

BASIS_POINTS = Decimal(100)  # per percent
SHOWN = Decimal("0.1")  # surprises are shown to a tenth of a percent
MAX_BAND_BP = 1000  # 10%: wider than that, nothing is a beat or a miss
MAX_MIN_SURPRISE_BP = 5000  # 50%
BAND_CHOICES = (100, 200, 300, 500)  # besides the default, the band buttons offer these
MIN_SURPRISE_CHOICES = (100, 200, 300, 500, 1000)  # besides off
DEFAULT_WORDS = frozenset({"default", "normal", "reset"})
OFF_WORDS = frozenset({"off", "none", "0", "0%", "no"})

_PERCENT = re.compile(r"^±?\s*([0-9]{1,2}(?:[.,][0-9]{1,2})?)\s*%?$")


def parse_percent_bp(text: str) -> int | None:
    """Read '1%', '1.5', '±2 %', '0,5%' as basis points (100, 150, 200, 50); None when it is not
    a plain percentage with at most two decimals."""
    match = _PERCENT.match(text.strip())
    if match is None:
        return None
    return int(Decimal(match[1].replace(",", ".")) * BASIS_POINTS)


@dataclass(frozen=True)
class BandSetting:
    """A chat's in-line band as set: basis points, or None for the default band."""

    bp: int | None


def parse_band(text: str) -> BandSetting | None:
    """Read a typed band ('1%', '2.5', 'default'); None when it can't be one (over 10% too)."""
    word = text.strip().lower()
    if word in DEFAULT_WORDS:
        return BandSetting(None)
    bp = parse_percent_bp(word)
    return BandSetting(bp) if bp is not None and 0 <= bp <= MAX_BAND_BP else None


def parse_min_surprise(text: str) -> int | None:
    """Read a typed minimum surprise as basis points (0 for off); None when it can't be one."""
    word = text.strip().lower()
    if word in OFF_WORDS:
        return 0
    bp = parse_percent_bp(word)
    return bp if bp is not None and 0 <= bp <= MAX_MIN_SURPRISE_BP else None


def percent_text(bp: int) -> str:
    """Return 150 as '1.5%', 100 as '1%', 25 as '0.25%'."""
    value = (Decimal(bp) / BASIS_POINTS).normalize()
    return f"{value:f}%"


def band_of(bp: int | None, default: InlineBand) -> InlineBand:
    """Return the band a chat's setting means: the default for None, else ±bp for money and per share."""
    if bp is None:
        return default
    percent = Decimal(bp) / BASIS_POINTS
    return replace(default, money_percent=percent, per_share_percent=percent)


def is_small_surprise(headline: Iterable[Comparison], min_surprise_bp: int) -> bool:
    """True when the result has judged headline surprises and every one is under the minimum; a
    result without any (nothing comparable, or no percentage) is never taken for a small one."""
    if min_surprise_bp <= 0:
        return False
    # as the alert shows them (+6.0% for 5.95%): a result that reads "+6.0%" is not under 6%
    surprises = [abs(c.surprise_percent).quantize(SHOWN, rounding=ROUND_HALF_UP) for c in headline
                 if c.verdict not in NO_VERDICT and c.surprise_percent is not None]
    limit = Decimal(min_surprise_bp) / BASIS_POINTS
    return bool(surprises) and max(surprises) < limit
