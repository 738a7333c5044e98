"""Read figures from the financial tables of a press release.

A row gives a figure when its label names one (Revenue, Total net sales, Net income, Diluted under
"Earnings per share:") and the table says what its numbers are: the scale ("in millions, except per
share data"), the currency, and which column is the current quarter. Most tables put the current
quarter first; some (Alphabet, Amazon, Alibaba) put last year first, which the header's years show.
Tables about a year only, or about the outlook, are not read.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from bot.domain.figures import Basis, Unit
from bot.sources.edgar.amounts import (
    CURRENCIES,
    SCALE_STATEMENT,
    CellValue,
    is_currency_mark,
    read_cell,
    scale_of,
    statement_currency,
    whole,
)
from bot.sources.edgar.document_text import Table
from bot.sources.edgar.release_parts import (
    ANNUAL_CUE,
    OUTLOOK_WORD,
    QUARTER_CUE,
    QUARTER_ENDED,
    QUARTER_NAMED,
    Candidate,
    is_annual,
)

_MONTHS = {m: i for i, m in enumerate(
    ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), start=1)}
_HEADER_KEY = re.compile(
    r"(?i)\b(?P<month>jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s+(?P<day>\d{1,2}),?\s*(?P<year>20\d\d)\b"
    r"|\bQ(?P<quarter>[1-4])[\s-]*(?:FY\s?)?'?(?P<qyear>(?:20)?\d\d)\b"
    r"|\bFY\s?'?(?P<fyear>(?:20)?\d\d)\b"
    r"|\b(?P<bare>20\d\d)\b"
)
_REVENUE_LABEL = re.compile(
    r"(?i)^(?:(?:non-gaap|adjusted)\s+)?(?:total\s+)?(?:net\s+)?(?:revenues?|sales)(?:\s*,\s*net\b.*|\s*,\s*net\s+of\s+.*|\s+\(?net\)?)?$"
)
_NET_INCOME_LABEL = re.compile(
    r"(?i)^(?P<q>(?:non-gaap|gaap|adjusted)\s+)?net\s+(?P<kind>income|earnings|loss)(?:\s*\((?P<either>loss|income)\))?"
    r"(?:\s+attributable\s+to\s+(?P<owner>.+))?$"
)
_EPS_CONTEXT = re.compile(r"(?i)(?:earnings|income|loss|\(loss\))\s+per\s+(?:diluted\s+)?(?:common\s+|ordinary\s+)?(?:share|ads)|\beps\b|per\s+(?:diluted\s+)?(?:share|ads)")
_SHARE_COUNT = re.compile(r"(?i)\bshares\s+used\b|\bweighted\b|\bnumber\s+of\s+shares\b|\bshares\s+outstanding\b|\bshare\s+count\b|\bshares\b(?!\s*\))")
_FOOTNOTE = re.compile(r"\s*(?:\(\d{1,2}\)|\([a-z]\)|\*+|†+)\s*")
_STATEMENT_WORDS = re.compile(
    r"(?i)revenues?|sales|income|expenses?|costs?|gaap|operations|earnings|per\s+share|margin|cash|"
    r"assets|liabilities|equity|activities|millions|thousands|except|unaudited|ended|months|weeks|quarter|year"
)
_BASIS_HEADING = re.compile(r"(?i)^(?P<basis>non-gaap|gaap|adjusted)\b")
_CENTS = re.compile(r"(?i)\bcents?\b|\bpence\b|¢")
# "(in millions, except per share amounts in cents)", "Amounts in US cents": not "Change (cents)"
_CENTS_STATEMENT = re.compile(
    r"(?i)\bper[\s-]share\b[^;()]{0,30}?\bin\s+(?:US\s+|U\.S\.\s+)?(?:cents|pence)\b"
    r"|\b(?:amounts?|figures)\s+(?:are\s+)?(?:stated\s+|expressed\s+)?in\s+"
    r"(?:US\s+|U\.S\.\s+)?(?:cents|pence)\b"
)
_NOTE_HEADING = re.compile(r"(?i)notes?(?:\s*\(s\))?")


@dataclass(slots=True)
class _Row:
    label: str
    values: list[CellValue]
    text: str


@dataclass(slots=True)
class _Frame:
    """What a table's header and the lines above it say about its numbers."""

    rows: list[_Row]
    header_text: str
    scale: Decimal | None
    table_currency: str | None
    column: int
    column_currency: list[str | None]
    note_columns: int | None
    periods: int


@dataclass(frozen=True, slots=True)
class RowValue:
    """A labelled row's current-quarter amount (whole units) and the heading row it is under."""

    heading: str
    label: str
    value: Decimal
    step: Decimal
    currency: str
    text: str


def _frame(table: Table, context: list[str]) -> _Frame | None:
    """Return how to read a table of the current quarter; None for an outlook or a year's table."""
    rows = [_read_row(cells) for cells in table.rows]
    first_data = next(
        (i for i, row in enumerate(rows) if row.label and _numbers(row) and not _is_year_row(row)), None
    )
    if first_data is None:
        return None
    header_rows = rows[:first_data]
    header_text = " ".join(row.text for row in header_rows)
    nearby = " ".join(line for line in context if len(line) <= 200)
    if OUTLOOK_WORD.search(header_text) or any(OUTLOOK_WORD.search(line) for line in context[-2:] if len(line) <= 80):
        return None
    if _annual_first(header_text) or _annual_context(header_text, context):
        return None
    # A share-count scale in the header ("(shares in thousands)") does not let a text line set the scale.
    scale = scale_of(header_text) if SCALE_STATEMENT.search(header_text) else scale_of(nearby)
    return _Frame(
        rows=rows, header_text=header_text, scale=scale,
        table_currency=statement_currency(header_text) or statement_currency(nearby),
        column=_current_column(header_rows), column_currency=_column_currencies(header_rows),
        note_columns=_note_columns(header_rows), periods=len(_period_keys(header_rows)),
    )


def _row_numbers(frame: _Frame, row: _Row) -> list[CellValue]:
    numbers = _numbers(row)
    if frame.note_columns is not None and numbers:
        return _without_note(row, max(frame.note_columns, frame.periods), frame.periods or frame.note_columns)
    return numbers


def table_candidates(
    table: Table, context: list[str], *, default_currency: str | None, period: str | None
) -> list[Candidate]:
    """Return the figures a table states for the current quarter."""
    frame = _frame(table, context)
    if frame is None:
        return []
    statements = [frame.header_text, *(line for line in context[-2:] if len(line) <= 200)]
    cents = next((match.group(0) for line in statements if (match := _CENTS_STATEMENT.search(line))), "")
    found: list[Candidate] = []
    heading = ""
    basis_heading = Basis.GAAP
    for row in frame.rows:
        if _is_year_row(row):
            continue
        numbers = _numbers(row)
        if frame.note_columns is not None and numbers:
            numbers = _row_numbers(frame, row)
            if not numbers:
                continue
        if not numbers:
            if row.label:
                heading = row.label
                if match := _BASIS_HEADING.match(row.label):
                    basis_heading = Basis.GAAP if match["basis"].lower() == "gaap" else Basis.ADJUSTED
            continue
        if not row.label or frame.column >= len(numbers):
            continue
        cell = numbers[frame.column]
        if cell.value is None:
            continue
        currency = cell.currency or _at(frame.column_currency, frame.column) or frame.table_currency or default_currency
        if currency is None:
            continue
        candidate = _row_candidate(row, cell, heading, basis_heading, frame.scale, currency, period, cents=cents)
        if candidate is not None:
            found.append(candidate)
    return found


def current_rows(table: Table, context: list[str], *, default_currency: str | None) -> list[RowValue]:
    """Return every labelled amount row's current-quarter value in a table with a stated scale."""
    frame = _frame(table, context)
    if frame is None or frame.scale is None:
        return []
    found: list[RowValue] = []
    heading = ""
    for row in frame.rows:
        numbers = _row_numbers(frame, row)
        if not _numbers(row):
            heading = row.label or heading
            continue
        cell = numbers[frame.column] if row.label and frame.column < len(numbers) else None
        if cell is None or cell.value is None or _is_year_row(row):
            continue
        currency = cell.currency or _at(frame.column_currency, frame.column) or frame.table_currency or default_currency
        if currency is not None:
            found.append(RowValue(
                heading, row.label, whole(cell.value * frame.scale), cell.step * frame.scale, currency, row.text,
            ))
    return found


def _row_candidate(
    row: _Row, cell: CellValue, heading: str, basis_heading: Basis, scale: Decimal | None,
    currency: str, period: str | None, *, cents: str = "",
) -> Candidate | None:
    label = row.label
    if _EPS_CONTEXT.search(label) or (_EPS_CONTEXT.search(heading) and re.search(r"(?i)\bdiluted\b", label)):
        context = f"{heading} {label}"
        # "(Shares in thousands; dollars in millions)" states a scale, not a share-count section
        share_heading = _SHARE_COUNT.search(heading) and not SCALE_STATEMENT.search(heading)
        if not re.search(r"(?i)\bdiluted\b", label) or _SHARE_COUNT.search(label) or share_heading:
            return None
        if not cell.has_decimals or cell.value is None:
            return None
        unit = Unit.PER_ADS if re.search(r"(?i)\bads\b|american", context) else Unit.PER_SHARE
        basis = _label_basis(label) or basis_heading
        value, step = cell.value, cell.step
        # A heading naming periods is the column header ("Q4 2025 | Change (cents)"), not the rows' unit.
        if cents or _CENTS.search(label) or (_CENTS.search(heading) and not _HEADER_KEY.search(heading)):
            # "(US cents) | 150.2" is US$1.502; pence are hundredths of a pound only.
            if cell.currency is not None or not _cents_fit(f"{cents} {context}", currency):
                return None
            value, step = value / 100, step / 100
        if re.search(r"(?i)\bloss\b", context) and not re.search(r"(?i)income|earnings", context):
            value = -abs(value)
        return Candidate("eps", basis, unit, currency, value, step, row.text, period)
    if scale is None or cell.value is None or cell.percent or _is_segment_heading(heading):
        return None
    if _REVENUE_LABEL.match(label) and not re.search(r"(?i)\bcost\b", label):
        basis = _label_basis(label) or Basis.GAAP
        return Candidate("revenue", basis, Unit.MONEY, currency, whole(cell.value * scale), cell.step * scale, row.text, period)
    match = _NET_INCOME_LABEL.match(label)
    if match:
        owner = (match["owner"] or "").lower()
        if re.search(r"non-?controlling|minority|redeemable", owner):
            return None
        value = cell.value
        if match["kind"].lower() == "loss" and not match["either"]:
            value = -abs(value)
        basis = _label_basis(label) or basis_heading
        return Candidate(
            "net_income", basis, Unit.MONEY, currency, whole(value * scale), cell.step * scale,
            row.text, period, rank=1 if owner else 0,
        )
    return None


def _cents_fit(context: str, currency: str) -> bool:
    """Return True when cents or pence can be read in currency (pence in GBP, US cents in USD)."""
    if re.search(r"(?i)\bpence\b", context):
        return currency == "GBP"
    if re.search(r"(?i)\bU\.?S\.?\s+cents\b", context):
        return currency == "USD"
    return currency not in ("GBP", "JPY", "CNY")


def _is_segment_heading(heading: str) -> bool:
    """Return True under a business-segment heading ("North America", "AWS"): its rows are not the company's."""
    words = heading.split()
    return (
        0 < len(words) <= 6 and not re.search(r"\d", heading)
        and not _STATEMENT_WORDS.search(heading)
        and all(word[0].isupper() or word in ("and", "&", "of") for word in words)
    )


def _label_basis(label: str) -> Basis | None:
    if re.search(r"(?i)\bnon-gaap\b|\badjusted\b", label):
        return Basis.ADJUSTED
    if re.search(r"(?i)\bgaap\b", label):
        return Basis.GAAP
    return None


def _read_row(cells: list[str]) -> _Row:
    """Merge "$" / "(" / ")" / "%" cells into their numbers and split the label from the values."""
    tokens = _merge_cells([cell.strip() for cell in cells if cell.strip()])
    label_parts: list[str] = []
    values: list[CellValue] = []
    for token in tokens:
        if _is_prefix(token):
            continue
        cell = read_cell(token)
        if cell is None:
            if values:
                continue  # words after the numbers ("Up 12%", "pts")
            label_parts.append(token)
        else:
            values.append(cell)
    label = _FOOTNOTE.sub(" ", " ".join(label_parts)).strip(" :")
    return _Row(label=" ".join(label.split()), values=values, text=" | ".join(tokens))


def _merge_cells(cells: list[str]) -> list[str]:
    tokens: list[str] = []
    for cell in cells:
        previous = tokens[-1] if tokens else None
        if previous is not None and re.fullmatch(r"\)\s*%?|%", cell):
            tokens[-1] += cell
        elif previous is not None and _is_prefix(previous) and (
            re.match(r"[\d(.\-−–—]", cell) or "(" in (cell, previous)
        ):
            tokens[-1] += cell
        else:
            tokens.append(cell)
    return tokens


def _is_prefix(token: str) -> bool:
    """Return True for a cell that only opens a number: "$", "(", "$(", "RMB"."""
    stripped = token.replace("(", "").strip()
    return token != "" and (stripped == "" or is_currency_mark(stripped))


def _numbers(row: _Row) -> list[CellValue]:
    return [value for value in row.values if not value.percent]


def _annual_first(header_text: str) -> bool:
    """Return True when the table's first period heading is a year, a half or a year-to-date."""
    quarter = QUARTER_CUE.search(header_text) or QUARTER_ENDED.search(header_text) or QUARTER_NAMED.search(header_text)
    annual = ANNUAL_CUE.search(header_text)
    if annual is None:
        return False
    return quarter is None or annual.start() < quarter.start()


def _annual_context(header_text: str, context: list[str]) -> bool:
    """Return True when a short line just above a table names a year only ("Full Year 2025 Summary").

    The header decides when it names a period itself; the nearest line naming a period decides otherwise,
    and a line naming a quarter too ("Fourth Quarter and Full Year 2025") leaves the table readable.
    """
    if _names_quarter(header_text) or ANNUAL_CUE.search(header_text):
        return False
    for line in reversed([line for line in context[-2:] if len(line) <= 80]):
        if _names_quarter(line):
            return False
        if is_annual(line):
            return True
    return False


def _names_quarter(text: str) -> bool:
    return bool(QUARTER_CUE.search(text) or QUARTER_ENDED.search(text) or QUARTER_NAMED.search(text))


def _is_year_row(row: _Row) -> bool:
    """Return True for a header row of years ("(in millions) | 2025 | 2024"): plain integers 1990-2100."""
    return bool(row.values) and all(
        value.currency is None and not value.percent and re.fullmatch(r"\d{4}", value.text)
        and value.value is not None and 1990 <= value.value <= 2100
        for value in row.values
    )


def _note_columns(header_rows: list[_Row]) -> int | None:
    """Return how many headings follow a "Note" column heading; None when the table has no Note column."""
    for row in header_rows:
        parts = row.text.split(" | ")
        for index, part in enumerate(parts):
            if _NOTE_HEADING.fullmatch(part.strip()):
                return len(parts) - index - 1
    return None


def _without_note(row: _Row, columns: int, periods: int) -> list[CellValue]:
    """Return a row's numbers without its note reference ("Revenue | 4 | 1,200 | 1,000"); none when unclear.

    The note is the first cell when the row has one cell more than the header has columns (percentages
    counted); a first cell that could be a note ("4", "4.2") in a row of uncertain width leaves the row out.
    """
    numbers = _numbers(row)
    first = row.values[0]
    note_like = (
        first.currency is None and not first.percent and bool(re.fullmatch(r"\d{1,2}(?:\.\d{1,2})?", first.text))
    )
    if note_like and "." not in first.text and len(row.values) == columns + 1:
        return numbers[1:]
    if len(row.values) > columns or (note_like and len(numbers) > periods):
        return []
    return numbers


def _period_keys(header_rows: list[_Row]) -> list[tuple[int, int, int]]:
    """Return the periods of the header row naming the most, in column order."""
    best: list[tuple[int, int, int]] = []
    for row in header_rows:
        # A row of years is read from its values alone: its label may hold a year of its own.
        text = " | ".join(value.text for value in row.values) if _is_year_row(row) else row.text
        keys = [_key(match) for match in _HEADER_KEY.finditer(text)]
        if len(keys) >= len(best):
            best = keys
    return best


def _current_column(header_rows: list[_Row]) -> int:
    """Return which value column holds the latest period, from the header's dates and years."""
    best = _period_keys(header_rows)
    if len(best) < 2:
        return 0
    latest = max(best)
    return best.index(latest)


def _key(match: re.Match[str]) -> tuple[int, int, int]:
    if match["year"]:
        return int(match["year"]), _MONTHS[match["month"].lower()[:3]], int(match["day"])
    if match["quarter"]:
        return _full_year(match["qyear"]), int(match["quarter"]) * 3, 0
    if match["fyear"]:
        return _full_year(match["fyear"]), 12, 0
    return int(match["bare"]), 0, 0


def _full_year(text: str) -> int:
    year = int(text)
    return year + 2000 if year < 100 else year


def _column_currencies(header_rows: list[_Row]) -> list[str | None]:
    """Return the currency of each value column from a "RMB | RMB | US$" header row, if there is one."""
    for row in header_rows:
        marks = [part.strip() for part in row.text.split(" | ") if is_currency_mark(part)]
        if len(marks) >= 2:
            return [CURRENCIES[mark] for mark in marks]
    return []


def _at(items: list[str | None], index: int) -> str | None:
    return items[index] if index < len(items) else None
