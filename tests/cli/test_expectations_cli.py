"""`earnings-bot expectations import FILE.csv` and `... export` as a deployer runs them: stdout CSV,
bad lines on stderr with their line numbers and exit 1 with nothing stored, the round trip."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine
from sqlmodel import select

from bot.domain.expectation_csv import COLUMNS, MAX_CSV_BYTES
from bot.store.db import session_scope
from bot.store.tables import ExpectationRow
from tests.cli.test_settings_errors import run_cli
from tests.engine.helpers import add_company

HEADER = ",".join(COLUMNS)
GOOD = [
    "NVDA,Q1 FY2026,eps,0.95,per_share,USD,adjusted,mybank",
    "NVDA,Q1 FY2026,revenue,43B,money,USD,gaap,mybank",
    "NVDA,Q1 FY2026,data_center_revenue,39000000000,money,USD,gaap,mybank",
]


def companies(db: Engine) -> None:
    with session_scope(db) as session:
        add_company(session)
        add_company(session, "MSFT", "MICROSOFT CORP", 789019, fiscal_year_end_month=6)


def rows_stored(db: Engine) -> int:
    with session_scope(db) as session:
        return len(session.exec(select(ExpectationRow)).all())


def write(tmp_path: Path, *lines: str, name: str = "numbers.csv") -> Path:
    path = tmp_path / name
    path.write_text("\n".join([HEADER, *lines]) + "\n", encoding="utf-8")
    return path


def test_import_then_export_round_trip(db: Engine, database_url: str, tmp_path: Path) -> None:
    companies(db)
    path = write(tmp_path, *GOOD, "MSFT,Q3 FY2025,azure_growth,32,percent,,gaap,mybank")
    done = run_cli("expectations", "import", str(path), DATABASE_URL=database_url)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"imported {path}: 4 rows, 4 new, 0 already stored"
    exported = run_cli("expectations", "export", DATABASE_URL=database_url)
    assert exported.returncode == 0, exported.stderr
    assert exported.stdout.splitlines() == [
        HEADER,
        "MSFT,Q3 FY2025,kpi:azure_growth,32,percent,,gaap,mybank",
        "NVDA,Q1 FY2026,eps,0.95,per_share,USD,adjusted,mybank",
        "NVDA,Q1 FY2026,kpi:data_center_revenue,39000000000,money,USD,gaap,mybank",
        "NVDA,Q1 FY2026,revenue,43000000000,money,USD,gaap,mybank",
    ]
    again = tmp_path / "again.csv"
    again.write_text(exported.stdout, encoding="utf-8")
    repeat = run_cli("expectations", "import", str(again), DATABASE_URL=database_url)
    assert repeat.returncode == 0 and "4 rows, 0 new, 4 already stored" in repeat.stdout, repeat.stderr
    assert rows_stored(db) == 4


def test_bad_rows_are_named_by_line_and_nothing_is_imported(db: Engine, database_url: str, tmp_path: Path) -> None:
    companies(db)
    path = write(tmp_path, *GOOD, "ZZZZ,Q1 FY2026,eps,1,per_share,USD,adjusted,mybank",
                 "NVDA,Q1 FY2026,eps,lots,per_share,USD,adjusted,mybank")
    done = run_cli("expectations", "import", str(path), DATABASE_URL=database_url)
    assert done.returncode == 1
    assert done.stderr.splitlines() == [
        f"{path} line 5: unknown ticker ZZZZ",
        f"{path} line 6: value 'lots' is not a number: write whole units like 36000000000 or 36B, "
        "0.85 for EPS, 15 for 15%",
        "nothing imported: 2 bad lines",
    ]
    assert "Traceback" not in done.stderr and done.stdout == ""
    assert rows_stored(db) == 0


def test_a_missing_or_oversized_file_is_one_line(db: Engine, database_url: str, tmp_path: Path) -> None:
    missing = run_cli("expectations", "import", str(tmp_path / "nope.csv"), DATABASE_URL=database_url)
    assert missing.returncode == 1
    assert missing.stderr.strip() == f"earnings-bot expectations import: can't read {tmp_path / 'nope.csv'} " \
                                     "(No such file or directory)"
    big = tmp_path / "big.csv"
    big.write_bytes(b"x" * (MAX_CSV_BYTES + 1))
    oversized = run_cli("expectations", "import", str(big), DATABASE_URL=database_url)
    assert oversized.returncode == 1 and len(oversized.stderr.strip().splitlines()) == 1
    assert f"at most {MAX_CSV_BYTES:,} are read" in oversized.stderr
    usage = run_cli("expectations", DATABASE_URL=database_url)
    assert usage.returncode == 2 and "import" in usage.stderr


def test_export_of_an_empty_database_is_the_header(database_url: str) -> None:
    done = run_cli("expectations", "export", DATABASE_URL=database_url)
    assert done.returncode == 0 and done.stdout == HEADER + "\n", done.stderr
