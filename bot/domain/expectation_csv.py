"""Expectations as CSV: `earnings-bot expectations export` writes it, `... import` and an admin's
document read it back.

    ticker,period,metric,value,unit,currency,basis,source
    NVDA,Q4 FY2025,eps,0.85,per_share,USD,adjusted,finnhub
    NVDA,Q4 FY2025,kpi:data_center_revenue,36000000000,money,USD,gaap,chat:5100000001

`period` is a fiscal quarter ("Q4 FY2025"; "Q4FY2025", "4Q25" read too) or, for a report known only
by the month its quarter ends, that month ("2025-01"). `value` is a plain number in whole units
(dollars, not millions; a K, M, B or T suffix is read: "36B"); `currency` a three-letter code for
money and per-share values, empty for percentages and counts. `source` is a vendor's name or
`chat:<Telegram chat id>` for a chat's own number.

This module reads the text and checks each row's shape (the columns, the value, the unit): what
needs the database (the ticker, the metric, the chat) is checked by bot.engine.expectation_import.
Every problem is reported with its line number.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from bot.domain.figures import Basis, Unit
from bot.domain.periods import FiscalPeriod, parse_period

COLUMNS = ("ticker", "period", "metric", "value", "unit", "currency", "basis", "source")
MAX_CSV_BYTES = 1024 * 1024  # 1 MiB: about 15,000 rows
MAX_CSV_ROWS = 10_000
CHAT_SOURCE_PREFIX = "chat:"
_MONTH_KEY = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
_NUMBER = re.compile(r"^(?P<number>[-+]?(?:\d+(?:\.\d+)?|\.\d+))(?P<scale>[KMBT])?$", re.IGNORECASE)
_SCALES = {"K": 3, "M": 6, "B": 9, "T": 12}
_SOURCE = re.compile(r"^[a-z0-9][a-z0-9_.\-]{0,63}$")
_CHAT_SOURCE = re.compile(r"^chat:(?P<id>-?\d{1,20})$")
_CURRENCY = re.compile(r"^[A-Z]{3}$")
_MOST = Decimal(10) ** 15
MONEY_UNITS = frozenset({Unit.MONEY, Unit.PER_SHARE, Unit.PER_ADS})


@dataclass(frozen=True, slots=True)
class CsvRow:
    """One expectation as a line of the file (line 0: not read from a file)."""

    ticker: str
    period: str  # as written: "Q4 FY2025" or "2025-01"
    metric: str
    value: Decimal
    unit: Unit
    currency: str | None
    basis: Basis
    source: str  # "finnhub", or "chat:<Telegram chat id>"
    line: int = 0

    @property
    def fiscal_period(self) -> FiscalPeriod | None:
        """The fiscal quarter the period names, or None for a quarter-end month ("2025-01")."""
        return parse_period(self.period)

    @property
    def chat_id(self) -> int | None:
        """The Telegram chat id of a chat's own number, or None for a vendor's."""
        match = _CHAT_SOURCE.match(self.source)
        return int(match["id"]) if match else None


@dataclass(frozen=True, slots=True)
class LineError:
    """A row that can't be imported, and why."""

    line: int
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}"


@dataclass(frozen=True, slots=True)
class ParsedCsv:
    """Every well-formed row and every problem found; import nothing when there is a problem."""

    rows: tuple[CsvRow, ...]
    errors: tuple[LineError, ...]


def parse_expectations_csv(data: bytes) -> ParsedCsv:
    """Read a CSV file's bytes (UTF-8, a byte-order mark allowed) into rows and line errors."""
    if len(data) > MAX_CSV_BYTES:
        return ParsedCsv((), (LineError(0, f"the file is {len(data):,} bytes; at most {MAX_CSV_BYTES:,} are read"),))
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        return ParsedCsv((), (LineError(_line_of(data, exc.start), "not UTF-8 text"),))
    if "\x00" in text:
        return ParsedCsv((), (LineError(0, "a binary file, not CSV text"),))
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader, None)
    except csv.Error as exc:
        return ParsedCsv((), (LineError(1, f"not CSV ({exc})"),))
    if header is None:
        return ParsedCsv((), (LineError(1, f"the file is empty: the first line names the columns {','.join(COLUMNS)}"),))
    order = _header(header)
    if isinstance(order, LineError):
        return ParsedCsv((), (order,))
    rows: list[CsvRow] = []
    errors: list[LineError] = []
    count = 0
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            errors.append(LineError(reader.line_num, f"not CSV ({exc})"))
            break
        if not any(cell.strip() for cell in cells):
            continue  # blank lines are not rows
        count += 1
        if count > MAX_CSV_ROWS:
            errors.append(LineError(reader.line_num, f"more than {MAX_CSV_ROWS:,} rows; split the file"))
            break
        row = _row(cells, order, reader.line_num)
        if isinstance(row, LineError):
            errors.append(row)
        else:
            rows.append(row)
    if not rows and not errors:
        errors.append(LineError(2, "no rows under the header"))
    return ParsedCsv(tuple(rows), tuple(errors))


def _line_of(data: bytes, offset: int) -> int:
    return data[:offset].count(b"\n") + 1


def _header(cells: list[str]) -> dict[str, int] | LineError:
    names = [cell.strip().lower() for cell in cells]
    missing = [c for c in COLUMNS if c not in names]
    unknown = [n for n in names if n not in COLUMNS]
    repeated = sorted({n for n in names if names.count(n) > 1})
    if missing or unknown or repeated:
        problems = ([f"missing {', '.join(missing)}"] if missing else []) + (
            [f"unknown {', '.join(repr(u) for u in unknown[:5])}"] if unknown else []) + (
            [f"repeated {', '.join(repeated)}"] if repeated else [])
        return LineError(1, f"the header must name the columns {','.join(COLUMNS)} ({'; '.join(problems)})")
    return {name: names.index(name) for name in COLUMNS}


def _row(cells: list[str], order: dict[str, int], line: int) -> CsvRow | LineError:
    if len(cells) != len(order):
        return LineError(line, f"{len(cells)} columns; every row has {len(order)}")
    get = {name: cells[index].strip() for name, index in order.items()}
    problems = []
    ticker = get["ticker"].upper()
    if not ticker:
        problems.append("no ticker")
    period = get["period"]
    fiscal = parse_period(period) if period else None
    if fiscal is None and not _MONTH_KEY.match(period):
        problems.append(f"period {period[:20]!r} is not a quarter: write Q4 FY2025 (or the month the quarter ends, 2025-01)")
    elif fiscal is not None and fiscal.is_full_year:
        problems.append(f"period {period[:20]!r} is a whole year: name a quarter, like Q4 FY2025")
    metric = get["metric"].lower()
    if not metric:
        problems.append("no metric")
    value = _value(get["value"])
    if isinstance(value, str):
        problems.append(value)
    unit = _unit(get["unit"].lower())
    if unit is None:
        problems.append(f"unit {get['unit'][:20]!r} is not one of {', '.join(u.value for u in Unit)}")
    currency = get["currency"].upper() or None
    if unit in MONEY_UNITS and (currency is None or not _CURRENCY.match(currency)):
        problems.append(f"a {unit} value needs a currency code like USD or CNY"
                        + (f", not {get['currency'][:10]!r}" if currency else ""))
    elif unit is not None and unit not in MONEY_UNITS and currency is not None:
        problems.append(f"a {unit} value has no currency (leave it empty, not {get['currency'][:10]!r})")
    basis = _basis(get["basis"].lower())
    if basis is None:
        problems.append(f"basis {get['basis'][:20]!r} is not gaap or adjusted")
    source = get["source"].lower()  # vendors are stored by lower-case name: "finnhub", "nasdaq"
    if source.startswith(CHAT_SOURCE_PREFIX):
        if not _CHAT_SOURCE.match(source):
            problems.append(f"source {source[:30]!r}: a chat's own number is chat:<Telegram chat id>, like chat:5100000001")
    elif not _SOURCE.match(source):
        problems.append(f"source {source[:30]!r} is not a name (letters, digits, _ . -, up to 64)")
    if problems:
        return LineError(line, "; ".join(problems))
    assert unit is not None and basis is not None and isinstance(value, Decimal)
    return CsvRow(ticker, period, metric, value, unit, currency, basis, source, line)


def _value(text: str) -> Decimal | str:
    match = _NUMBER.match(text.replace("_", ""))
    if match is None:
        return (f"value {text[:24]!r} is not a number: write whole units like 36000000000 or 36B, "
                f"0.85 for EPS, 15 for 15%")
    try:
        number = Decimal(match["number"])
    except InvalidOperation:  # pragma: no cover - the pattern admits only digits
        return f"value {text[:24]!r} is not a number"
    if match["scale"]:
        number = number.scaleb(_SCALES[match["scale"].upper()])
    if abs(number) >= _MOST:
        return f"value {text[:24]!r} is too large"
    return _plain(number)


def _plain(value: Decimal) -> Decimal:
    if value == value.to_integral_value():
        return value.quantize(Decimal(1))
    return value.normalize()


def _unit(text: str) -> Unit | None:
    return Unit(text) if text in Unit._value2member_map_ else None


def _basis(text: str) -> Basis | None:
    return Basis(text) if text in Basis._value2member_map_ else None


def write_expectations_csv(rows: Iterable[CsvRow]) -> str:
    """Return the rows as CSV text, header first, in the spelling parse_expectations_csv reads back."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for row in rows:
        writer.writerow([row.ticker, row.period, row.metric, format(_plain(row.value), "f"), row.unit.value,
                         row.currency or "", row.basis.value, row.source])
    return out.getvalue()
