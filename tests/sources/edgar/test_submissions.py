"""Submissions JSON: columnar rows, earnings 8-Ks, and which clock acceptanceDateTime is on."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from bot.errors import SourceDataInvalid
from bot.sources.edgar.submissions import (
    acceptance_is_utc,
    accepted_at,
    older_files,
    recent_rows,
    submission_filings,
)
from tests.sources.edgar.sec_server import EDGAR

FALSE_Z = EDGAR / "submissions_CIK0000320193_false_z.json"
TRUE_UTC = EDGAR / "submissions_CIK0001045810_utc.json"


def _filings(path):  # type: ignore[no-untyped-def]
    return submission_filings(recent_rows(json.loads(path.read_text())))


def test_columns_are_zipped_into_rows_keeping_unknown_columns() -> None:
    rows = recent_rows(json.loads(FALSE_Z.read_text()))

    assert len(rows) == 9
    assert rows[2]["accessionNumber"] == "0000320193-25-000007"
    assert rows[2]["items"] == "2.02,9.01"
    assert rows[2]["isXBRLNumeric"] == 0  # a column older documentation does not list
    assert "core_type" not in rows[2]     # and one this file does not have


def test_a_bare_history_file_without_the_envelope_is_read_too() -> None:
    payload = json.loads(TRUE_UTC.read_text())

    rows = recent_rows(payload["filings"]["recent"])

    assert rows[0]["form"] == "4"


def test_earnings_releases_are_the_item_2_02_8ks() -> None:
    releases = [f.accession for f in _filings(TRUE_UTC) if f.is_earnings_release]

    assert releases == ["0001045810-25-000021", "0001045810-24-000314", "0001045810-24-000264"]


def test_a_filer_whose_acceptance_time_is_new_york_with_a_false_z_is_recognised() -> None:
    filings = _filings(FALSE_Z)

    assert acceptance_is_utc(filings) is False
    release = next(f for f in filings if f.accession == "0000320193-25-000007")
    # "2025-01-30T16:30:23.000Z" is 16:30 in New York, 21:30 UTC.
    assert accepted_at(release, is_utc=False) == datetime(2025, 1, 30, 21, 30, 23, tzinfo=UTC)


def test_a_filer_with_true_utc_acceptance_times_is_recognised() -> None:
    filings = _filings(TRUE_UTC)

    assert acceptance_is_utc(filings) is True
    release = next(f for f in filings if f.accession == "0001045810-25-000021")
    assert accepted_at(release, is_utc=True) == datetime(2025, 2, 26, 21, 21, 32, tzinfo=UTC)


def test_raw_rows_can_be_judged_directly() -> None:
    assert acceptance_is_utc(recent_rows(json.loads(TRUE_UTC.read_text()))) is True


def test_filings_that_do_not_tell_the_clocks_apart_decide_nothing() -> None:
    # 16:30 read either way is before the 17:30 cutoff: the same filing date under both readings.
    rows = [{"accessionNumber": "0000000001-25-000001", "form": "8-K", "filingDate": "2025-01-30",
             "acceptanceDateTime": "2025-01-30T16:30:23.000Z"}]

    assert acceptance_is_utc(rows) is None
    assert acceptance_is_utc([]) is None


def test_insider_forms_do_not_vote() -> None:
    # A Form 4 late in the day: 23:02 read as New York time would be past its 22:00 cutoff.
    rows = [{"accessionNumber": "0000000001-25-000002", "form": "4", "filingDate": "2025-02-26",
             "acceptanceDateTime": "2025-02-26T23:02:43.000Z"}]

    assert acceptance_is_utc(rows) is None


def test_older_history_files_are_listed() -> None:
    assert older_files(json.loads(TRUE_UTC.read_text())) == ["CIK0001045810-submissions-001.json"]


def test_a_document_without_accession_numbers_is_invalid() -> None:
    with pytest.raises(SourceDataInvalid):
        recent_rows({"cik": "0000000001", "filings": {"recent": {"form": []}}})
