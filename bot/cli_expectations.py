"""`earnings-bot expectations import FILE.csv` and `earnings-bot expectations export`.

Export writes every stored expectation to stdout as CSV (bot.domain.expectation_csv). Import reads
a file of the same columns, checks every row and stores all of them in one transaction, or none:
each bad row is one line on stderr with its line number, and the exit code is 1.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import TYPE_CHECKING, Any, TextIO

from bot.domain.expectation_csv import MAX_CSV_BYTES, write_expectations_csv

if TYPE_CHECKING:  # the database parts load only when the sub-command runs
    from sqlalchemy import Engine

    from bot.kpis import KpiDefinitions


def add_expectations_parser(commands: argparse._SubParsersAction[Any]) -> None:
    """Add `expectations import FILE` and `expectations export` to the command line."""
    expectations = commands.add_parser("expectations", help="import or export stored expectations as CSV")
    actions = expectations.add_subparsers(dest="action", required=True, metavar="{import,export}")
    imported = actions.add_parser("import", help="store every row of a CSV file, or none when a row is bad")
    imported.add_argument("file", metavar="FILE.csv")
    actions.add_parser("export", help="write every stored expectation to stdout as CSV")


def run_expectations(args: argparse.Namespace, db: Engine, kpis: KpiDefinitions, *,
                     out: TextIO = sys.stdout, err: TextIO = sys.stderr) -> int:
    """Run the sub-command; return the exit code."""
    from bot.engine.expectation_import import export_expectations
    from bot.store.db import session_scope

    if args.action == "export":
        with session_scope(db) as session:
            rows = export_expectations(session)
        out.write(write_expectations_csv(rows))
        return 0
    return _import(args.file, db, kpis, out=out, err=err)


def _import(path: str, db: Engine, kpis: KpiDefinitions, *, out: TextIO, err: TextIO) -> int:
    from bot.domain.market_time import utc_now
    from bot.engine.expectation_import import import_csv
    from bot.store.db import session_scope

    try:
        size = os.path.getsize(path)
        if size > MAX_CSV_BYTES:
            err.write(f"earnings-bot expectations import: {path} is {size:,} bytes; at most {MAX_CSV_BYTES:,} are read\n")
            return 1
        with open(path, "rb") as file:
            data = file.read(MAX_CSV_BYTES + 1)
    except OSError as exc:
        err.write(f"earnings-bot expectations import: can't read {path} ({exc.strerror or exc})\n")
        return 1
    with session_scope(db) as session:  # one transaction: import_csv writes every row or none
        outcome = import_csv(session, data, kpis_of=kpis.for_company, now=utc_now())
    for error in outcome.errors:
        err.write(f"{path} {error}\n")
    if not outcome.imported:
        err.write(f"nothing imported: {len(outcome.errors)} bad line{'s' if len(outcome.errors) != 1 else ''}\n")
        return 1
    out.write(f"imported {path}: {outcome.rows} rows, {outcome.added} new, {outcome.unchanged} already stored\n")
    return 0
