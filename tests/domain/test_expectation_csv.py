"""The expectation CSV's shape: the exact columns, each row's value, unit, currency, basis and
source checked with the line named; what is written is read back to the same rows."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from bot.domain.expectation_csv import (
    COLUMNS,
    MAX_CSV_BYTES,
    MAX_CSV_ROWS,
    CsvRow,
    parse_expectations_csv,
    write_expectations_csv,
)
from bot.domain.figures import Basis, Unit

HEADER = ",".join(COLUMNS) + "\n"


def parse(text: str) -> tuple[list[CsvRow], list[str]]:
    parsed = parse_expectations_csv(text.encode())
    return list(parsed.rows), [str(e) for e in parsed.errors]


def test_columns_are_exactly_these() -> None:
    assert COLUMNS == ("ticker", "period", "metric", "value", "unit", "currency", "basis", "source")
    assert write_expectations_csv([]) == HEADER


def test_a_good_file_reads_every_row_with_its_line() -> None:
    rows, errors = parse(HEADER + "nvda,Q4 FY2025,eps,0.85,per_share,usd,adjusted,finnhub\n"
                         "\n"
                         "NVDA,Q4FY2025,data_center_revenue,36B,money,USD,gaap,Chat:-1001234567890\n"
                         "BABA,2025-03,kpi:cloud_growth,15,percent,,gaap,Nasdaq\n")
    assert errors == []
    assert rows == [
        CsvRow("NVDA", "Q4 FY2025", "eps", Decimal("0.85"), Unit.PER_SHARE, "USD", Basis.ADJUSTED, "finnhub", 2),
        CsvRow("NVDA", "Q4FY2025", "data_center_revenue", Decimal("36000000000"), Unit.MONEY, "USD", Basis.GAAP,
               "chat:-1001234567890", 4),
        CsvRow("BABA", "2025-03", "kpi:cloud_growth", Decimal(15), Unit.PERCENT, None, Basis.GAAP, "nasdaq", 5),
    ]
    assert rows[1].chat_id == -1001234567890 and rows[0].chat_id is None
    assert rows[2].fiscal_period is None and rows[0].fiscal_period is not None


def test_every_bad_row_is_named_by_its_line() -> None:
    _rows, errors = parse(HEADER
                          + "NVDA,Q4 FY2025,eps,abc,per_share,USD,adjusted,finnhub\n"  # 2
                          + "NVDA,FY2025,eps,0.9,per_share,USD,adjusted,finnhub\n"  # 3
                          + "NVDA,soon,eps,0.9,per_share,USD,adjusted,finnhub\n"  # 4
                          + "NVDA,Q4 FY2025,eps,0.9,per_share,,adjusted,finnhub\n"  # 5
                          + "NVDA,Q4 FY2025,growth,15,percent,USD,gaap,finnhub\n"  # 6
                          + "NVDA,Q4 FY2025,eps,0.9,dollars,USD,adjusted,finnhub\n"  # 7
                          + "NVDA,Q4 FY2025,eps,0.9,per_share,USD,street,finnhub\n"  # 8
                          + "NVDA,Q4 FY2025,eps,0.9,per_share,USD,adjusted,chat:alice\n"  # 9
                          + "NVDA,Q4 FY2025,eps,0.9,per_share,USD,adjusted\n"  # 10
                          + "NVDA,Q4 FY2025,revenue,\"40,000\",money,USD,gaap,finnhub\n"  # 11
                          + "NVDA,Q4 FY2025,eps,0.9,per_share,USD,adjusted,<b>x</b>\n")  # 12
    assert [e.split(":")[0] for e in errors] == [f"line {n}" for n in range(2, 13)]
    text = "\n".join(errors)
    for expected in ("'abc' is not a number", "is a whole year", "'soon' is not a quarter", "needs a currency code",
                     "has no currency", "'dollars' is not one of", "'street' is not gaap or adjusted",
                     "chat:<Telegram chat id>", "7 columns; every row has 8", "'40,000' is not a number",
                     "'<b>x</b>' is not a name"):
        assert expected in text


def test_the_header_empty_files_and_sizes() -> None:
    assert parse("")[1] == ["line 1: the file is empty: the first line names the columns " + ",".join(COLUMNS)]
    [wrong] = parse("ticker,period,metric,value,unit,currency,basis\nNVDA\n")[1]
    assert wrong.startswith("line 1: the header must name the columns") and "missing source" in wrong
    assert parse(HEADER)[1] == ["line 2: no rows under the header"]
    assert "at most" in str(parse_expectations_csv(b"x" * (MAX_CSV_BYTES + 1)).errors[0])
    assert parse_expectations_csv(HEADER.encode() + b"NVDA,\xff\n").errors[0].line == 2
    many = HEADER + "NVDA,Q4 FY2025,eps,0.9,per_share,USD,adjusted,finnhub\n" * (MAX_CSV_ROWS + 1)
    assert f"more than {MAX_CSV_ROWS:,} rows" in parse(many)[1][-1]
    bom = parse_expectations_csv(b"\xef\xbb\xbf" + HEADER.encode() + b"NVDA,Q1 FY2026,eps,1,per_share,USD,gaap,x\n")
    assert bom.errors == () and len(bom.rows) == 1


_values = st.decimals(min_value=Decimal("-1e12"), max_value=Decimal("1e12"), places=4, allow_nan=False)
_rows = st.builds(
    CsvRow, ticker=st.sampled_from(["NVDA", "BRK-B", "BABA"]), period=st.sampled_from(["Q4 FY2025", "2025-01"]),
    metric=st.sampled_from(["eps", "revenue", "kpi:azure_growth"]), value=_values,
    unit=st.sampled_from([Unit.MONEY, Unit.PER_ADS]), currency=st.sampled_from(["USD", "CNY"]),
    basis=st.sampled_from(list(Basis)), source=st.sampled_from(["finnhub", "chat:-100123", "my.vendor_1"]),
)


@given(st.lists(_rows, max_size=5))
def test_what_is_written_reads_back_the_same(rows: list[CsvRow]) -> None:
    parsed = parse_expectations_csv(write_expectations_csv(rows).encode())
    assert parsed.errors == () or (rows == [] and parsed.errors[0].message == "no rows under the header")
    assert [(r.ticker, r.period, r.metric, r.value, r.unit, r.currency, r.basis, r.source) for r in parsed.rows] == [
        (r.ticker, r.period, r.metric, r.value, r.unit, r.currency, r.basis, r.source) for r in rows]
