"""A company's filing history from data.sec.gov/submissions/CIK##########.json.

    rows = recent_rows(payload)            # the columnar filings.recent, zipped into dicts
    filings = submission_filings(rows)      # typed, newest first
    utc = acceptance_is_utc(filings)        # True / False / None (can't tell)

`acceptanceDateTime` ends in "Z" but is not reliably UTC: for some filers (Apple) it is the New
York wall clock with a false "Z". Which one a filer uses shows in `filingDate`: EDGAR dates a filing
accepted after 17:30 New York time (22:00 for Forms 3, 4 and 5) on the next business day. This is
for history only; detection takes acceptance times from the feed or the index page.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any

from bot.domain.market_time import NEW_YORK
from bot.errors import SourceDataInvalid

logger = logging.getLogger(__name__)

_CUTOFF = time(17, 30)
_OWNERSHIP_CUTOFF = time(22, 0)
_OWNERSHIP_FORMS = frozenset({"3", "4", "5", "3/A", "4/A", "5/A"})
_OTHERS_FORMS = frozenset({"144", "144/A", "UPLOAD", "CORRESP", "LETTER"})
_OTHERS_PREFIXES = ("CERT", "SC 13", "SCHEDULE 13", "25-NSE")


@dataclass(frozen=True, slots=True)
class SubmissionFiling:
    """One filing of a company's history; acceptance_raw is the JSON's value as written."""

    accession: str
    form: str
    filing_date: date
    report_date: date | None
    acceptance_raw: str
    items: tuple[str, ...]
    primary_document: str
    primary_doc_description: str = ""

    @property
    def is_earnings_release(self) -> bool:
        """Return True for an 8-K / 8-K/A with Item 2.02."""
        return self.form.upper() in ("8-K", "8-K/A") and "2.02" in self.items


def recent_rows(payload: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Zip the columnar filings (envelope's filings.recent, or a bare -submissions-001 file) into rows."""
    columns = payload.get("filings", {}).get("recent") if "filings" in payload else payload
    if not isinstance(columns, Mapping) or "accessionNumber" not in columns:
        raise SourceDataInvalid("sec: submissions JSON has no accessionNumber column")
    arrays = {name: values for name, values in columns.items() if isinstance(values, list)}
    length = len(arrays["accessionNumber"])
    for name, values in arrays.items():
        if len(values) != length:
            logger.warning("sec: submissions column %s has %d values, expected %d", name, len(values), length)
    return [
        {name: values[index] for name, values in arrays.items() if index < len(values)}
        for index in range(length)
    ]


def older_files(payload: Mapping[str, Any]) -> list[str]:
    """Return the names of the older history files (filings.files[].name)."""
    files = payload.get("filings", {}).get("files") or []
    return [str(entry["name"]) for entry in files if isinstance(entry, Mapping) and entry.get("name")]


def submission_filings(rows: Iterable[Mapping[str, Any]]) -> list[SubmissionFiling]:
    """Return typed filings; rows without an accession, form or filing date are skipped."""
    filings = []
    for row in rows:
        try:
            filings.append(SubmissionFiling(
                accession=str(row["accessionNumber"]),
                form=str(row["form"]),
                filing_date=date.fromisoformat(str(row["filingDate"])),
                report_date=_date(row.get("reportDate")),
                acceptance_raw=str(row.get("acceptanceDateTime") or ""),
                items=tuple(i.strip() for i in str(row.get("items") or "").split(",") if i.strip()),
                primary_document=str(row.get("primaryDocument") or ""),
                primary_doc_description=str(row.get("primaryDocDescription") or ""),
            ))
        except (KeyError, ValueError) as exc:
            logger.debug("sec: skipping submissions row %s: %s", row.get("accessionNumber"), exc)
    return filings


def acceptance_is_utc(
    filings: Iterable[SubmissionFiling | Mapping[str, Any]], *, recent: int = 20
) -> bool | None:
    """Decide whether a filer writes acceptanceDateTime in true UTC (True) or New York time with a false Z (False).

    Only the company's own filings count (insiders' Forms 4 and 144 go through other agents), and
    only those whose filing date tells the two readings apart; the newest `recent` of them decide.
    None when no filing tells or they disagree.
    """
    utc_votes = new_york_votes = 0
    own = [f for f in _as_filings(filings) if not _filed_by_others(f.form)]
    for filing in sorted(own, key=lambda f: f.filing_date, reverse=True):
        wall_clock = _naive(filing.acceptance_raw)
        if wall_clock is None:
            continue
        as_utc = _consistent(wall_clock.replace(tzinfo=UTC).astimezone(NEW_YORK), filing)
        as_new_york = _consistent(wall_clock.replace(tzinfo=NEW_YORK), filing)
        if as_utc != as_new_york:
            utc_votes += as_utc
            new_york_votes += as_new_york
            if utc_votes + new_york_votes >= recent:
                break
    total = utc_votes + new_york_votes
    if total and utc_votes >= 0.9 * total:
        return True
    if total and new_york_votes >= 0.9 * total:
        return False
    if total:
        logger.info("sec: acceptance clock undecided (%d UTC vs %d New York readings)", utc_votes, new_york_votes)
    return None


def accepted_at(filing: SubmissionFiling, *, is_utc: bool) -> datetime | None:
    """Return a filing's true UTC acceptance time, given how its filer writes acceptanceDateTime."""
    wall_clock = _naive(filing.acceptance_raw)
    if wall_clock is None:
        return None
    return wall_clock.replace(tzinfo=UTC if is_utc else NEW_YORK).astimezone(UTC)


def _filed_by_others(form: str) -> bool:
    upper = form.upper()
    return upper in _OWNERSHIP_FORMS or upper in _OTHERS_FORMS or upper.startswith(_OTHERS_PREFIXES)


def _consistent(local: datetime, filing: SubmissionFiling) -> bool:
    """Return True when a New York acceptance time agrees with the filing date EDGAR gave."""
    cutoff = _OWNERSHIP_CUTOFF if filing.form.upper() in _OWNERSHIP_FORMS else _CUTOFF
    late = local.time() > cutoff or local.weekday() >= 5
    if late:
        return filing.filing_date > local.date()
    return filing.filing_date == local.date()


def _as_filings(items: Iterable[SubmissionFiling | Mapping[str, Any]]) -> list[SubmissionFiling]:
    given = list(items)
    filings = [item for item in given if isinstance(item, SubmissionFiling)]
    return filings + submission_filings(item for item in given if not isinstance(item, SubmissionFiling))


def _naive(raw: str) -> datetime | None:
    text = raw.strip().removesuffix("Z").removesuffix("z")
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment.replace(tzinfo=None)


def _date(value: object) -> date | None:
    try:
        return date.fromisoformat(str(value)) if value else None
    except ValueError:
        return None
