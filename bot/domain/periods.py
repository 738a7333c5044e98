"""Fiscal periods: a canonical key per quarter and the label users read ("Q4 FY2025")."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def period_key(year: int, month: int) -> str:
    """Return the key of the fiscal quarter that ends in the given month: '2025-01'."""
    if not 1 <= month <= 12:
        raise ValueError(f"month out of range: {month}")
    return f"{year:04d}-{month:02d}"


def period_key_for(period_end: date) -> str:
    """Return the key of the quarter that ends on period_end.

    52/53-week years end a few days into the next month (Apple's quarter ending 2024-12-28, a
    quarter ending 2025-01-02): a date in the first week is counted to the month before.
    """
    if period_end.day <= 7:
        year, month = (period_end.year, period_end.month - 1) if period_end.month > 1 else (
            period_end.year - 1,
            12,
        )
        return period_key(year, month)
    return period_key(period_end.year, period_end.month)


def fiscal_quarter_of(period_month: int, fiscal_year_end_month: int) -> int:
    """Return 1-4: the fiscal quarter that ends in period_month."""
    months_after_year_end = (period_month - fiscal_year_end_month - 1) % 12
    return months_after_year_end // 3 + 1


def fiscal_year_end_month_of(quarter: int, period_month: int) -> int:
    """Return the month the fiscal year ends in, given that fiscal quarter `quarter` ends in period_month."""
    return (period_month + 3 * (4 - quarter) - 1) % 12 + 1


def fiscal_year_of(period_year: int, period_month: int, fiscal_year_end_month: int) -> int:
    """Return the fiscal year (named by the calendar year it ends in) of a period end month."""
    return period_year if period_month <= fiscal_year_end_month else period_year + 1


def period_end_month(fiscal_year: int, quarter: int, fiscal_year_end_month: int) -> tuple[int, int]:
    """Return (year, month) in which fiscal quarter `quarter` of `fiscal_year` ends."""
    months_before_year_end = (4 - quarter) * 3
    month = fiscal_year_end_month - months_before_year_end
    year = fiscal_year
    while month < 1:
        month += 12
        year -= 1
    return year, month


def period_label(
    key: str, fiscal_year: int | None = None, fiscal_quarter: int | None = None,
    fiscal_year_end_month: int | None = 12,
) -> str:
    """Return what users read: 'Q4 2024' (calendar year), 'Q4 FY2025', or 'quarter ended Jan 2025'."""
    if fiscal_year and fiscal_quarter:
        if fiscal_year_end_month == 12:
            return f"Q{fiscal_quarter} {fiscal_year}"
        return f"Q{fiscal_quarter} FY{fiscal_year}"
    year, month = (int(part) for part in key.split("-"))
    return f"quarter ended {_MONTHS[month - 1]} {year}"



@dataclass(frozen=True, slots=True)
class FiscalPeriod:
    """A fiscal quarter (``quarter`` 1-4) or a whole fiscal year (``quarter`` None) a user names."""

    fiscal_year: int
    quarter: int | None = None

    @property
    def is_full_year(self) -> bool:
        """Return True for a whole fiscal year ("FY2025")."""
        return self.quarter is None

    @property
    def label(self) -> str:
        """Return the canonical spelling: 'Q4 FY2025' or 'FY2025' (parse_period reads it back)."""
        year = f"FY{self.fiscal_year}"
        return year if self.quarter is None else f"Q{self.quarter} {year}"


# "Q4FY2025", "Q4 FY2025", "Q4 FY25", "Q4'25", "4Q25", "4Q FY2025", "FY2025 Q4", "2025Q4", "FY25"
_QUARTER_FIRST = re.compile(r"^(?:Q(?P<q1>[1-4])|(?P<q2>[1-4])Q)(?:FY)?'?(?P<year>\d{2}|\d{4})$")
_YEAR_FIRST = re.compile(r"^(?:FY'?(?P<fy>\d{2}|\d{4})|(?P<year>\d{4}))(?:Q(?P<q>[1-4]))?$")
_EARLIEST_YEAR, _LATEST_YEAR = 1990, 2100


def parse_period(text: str) -> FiscalPeriod | None:
    """Return the fiscal period a user wrote ("Q4FY2025", "Q4 FY2025", "FY2025", "4Q25"), or None.

    A bare year ("2025") is a fiscal year only when written "FY2025": without FY or a quarter it
    is not a period.
    """
    compact = re.sub(r"[\s\-_/]+", "", text.strip().upper())
    match = _QUARTER_FIRST.match(compact)
    if match:
        quarter = int(match["q1"] or match["q2"])
        return _period(match["year"], quarter)
    match = _YEAR_FIRST.match(compact)
    if match and (match["fy"] or match["q"]):
        return _period(match["fy"] or match["year"], int(match["q"]) if match["q"] else None)
    return None


def _period(year_text: str, quarter: int | None) -> FiscalPeriod | None:
    year = int(year_text) + (2000 if len(year_text) == 2 else 0)
    if not _EARLIEST_YEAR <= year <= _LATEST_YEAR:
        return None
    return FiscalPeriod(year, quarter)
