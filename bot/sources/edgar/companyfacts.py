"""Quarterly GAAP revenue and diluted EPS from XBRL companyfacts (data.sec.gov/api/xbrl/companyfacts).

    facts = quarterly_facts(payload)   # [QuarterFact(start, end, "revenue", Decimal(...), ...), ...]

A period is known by its start and end, not by `fy`/`fp` (those describe the filing: the same quarter
appears in its own 10-Q and again as next year's comparative). A quarter lasts 80-100 days; the same
(start, end) reported several times is kept once, preferring the copy SEC de-duplicated into a
`frame`. The fourth quarter is never filed on its own: its revenue is the annual figure minus the
nine-month year-to-date (EPS does not subtract, so Q4 EPS is left to the press release). The revenue
tag is the one the company uses now: the tag whose facts reach the latest period end.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

logger = logging.getLogger(__name__)

REVENUE_TAGS = (
    "Revenues",
    "RevenueFromContractWithCustomerExcludingAssessedTax",
    "RevenuesNetOfInterestExpense",
    "RevenueFromContractWithCustomerIncludingAssessedTax",
    "SalesRevenueNet",
)
EPS_TAG = "EarningsPerShareDiluted"
_QUARTER_DAYS = range(80, 101)
_NINE_MONTH_DAYS = range(250, 290)
_YEAR_DAYS = range(340, 380)


@dataclass(frozen=True, slots=True)
class QuarterFact:
    """One quarter's value from XBRL: revenue in whole currency units, EPS per share."""

    start: date
    end: date
    metric: str
    value: Decimal
    accn: str
    form: str
    filed: date | None
    unit: str = "USD"
    tag: str = ""
    derived: bool = False


@dataclass(frozen=True, slots=True)
class _Fact:
    start: date
    end: date
    value: Decimal
    accn: str
    form: str
    filed: date | None
    frame: str | None

    @property
    def days(self) -> int:
        return (self.end - self.start).days


def quarterly_facts(payload: Mapping[str, Any]) -> list[QuarterFact]:
    """Return every quarter's revenue (Q4 derived) and diluted EPS, ordered by period end."""
    return sorted(quarterly_revenue(payload) + quarterly_eps(payload), key=lambda f: (f.end, f.metric))


def revenue_tag(payload: Mapping[str, Any]) -> str | None:
    """Return the revenue tag the company reports under now (latest period end; ties by list order)."""
    return current_tag(payload, REVENUE_TAGS)


def current_tag(payload: Mapping[str, Any], tags: Sequence[str]) -> str | None:
    """Return the tag of `tags` whose money facts reach the latest period end (ties by list order)."""
    best: tuple[date, int] | None = None
    chosen = None
    for order, tag in enumerate(tags):
        facts = _facts(payload, tag, _money_unit(payload, tag))
        if not facts:
            continue
        latest = max(f.end for f in facts)
        if best is None or (latest, -order) > best:
            best, chosen = (latest, -order), tag
    return chosen


def quarterly_flow(payload: Mapping[str, Any], tags: Sequence[str], metric: str) -> list[QuarterFact]:
    """Return each quarter of a cash-flow amount (capex) under the tag in use now, as `metric`.

    Cash-flow statements state the year to date: three, six, nine and twelve months from the same
    start. A quarter is filed on its own or is the difference of two consecutive year-to-date
    figures (nine months minus six months is the third quarter), derived as revenue's Q4 is.
    """
    tag = current_tag(payload, tags)
    if tag is None:
        return []
    unit = _money_unit(payload, tag) or "USD"
    facts = _dedup(_facts(payload, tag, unit))
    quarters = {(f.start, f.end): _quarter(f, metric, unit, tag) for f in facts if f.days in _QUARTER_DAYS}
    chains: dict[date, list[_Fact]] = {}
    for fact in facts:
        chains.setdefault(fact.start, []).append(fact)
    for chain in chains.values():
        chain.sort(key=lambda f: f.end)
        for shorter, longer in zip(chain, chain[1:], strict=False):
            start = shorter.end + timedelta(days=1)
            if (start, longer.end) in quarters or (longer.end - start).days not in _QUARTER_DAYS:
                continue
            quarters[(start, longer.end)] = QuarterFact(
                start=start, end=longer.end, metric=metric, value=longer.value - shorter.value,
                accn=longer.accn, form=longer.form, filed=longer.filed, unit=unit, tag=tag, derived=True,
            )
    return sorted(quarters.values(), key=lambda f: f.end)


def quarterly_revenue(payload: Mapping[str, Any]) -> list[QuarterFact]:
    """Return quarterly revenue under the current tag, deriving each Q4 as year minus nine months."""
    tag = revenue_tag(payload)
    if tag is None:
        return []
    unit = _money_unit(payload, tag) or "USD"
    facts = _facts(payload, tag, unit)
    quarters = {(f.start, f.end): f for f in _dedup(f for f in facts if f.days in _QUARTER_DAYS)}
    result = [_quarter(f, "revenue", unit, tag) for f in quarters.values()]
    nine_months = {f.start: f for f in _dedup(f for f in facts if f.days in _NINE_MONTH_DAYS)}
    for year in _dedup(f for f in facts if f.days in _YEAR_DAYS):
        ytd = nine_months.get(year.start)
        if ytd is None:
            continue
        start = ytd.end + timedelta(days=1)
        if (start, year.end) in quarters or (year.end - start).days not in _QUARTER_DAYS:
            continue
        result.append(QuarterFact(
            start=start, end=year.end, metric="revenue", value=year.value - ytd.value, accn=year.accn,
            form=year.form, filed=year.filed, unit=unit, tag=tag, derived=True,
        ))
    return sorted(result, key=lambda f: f.end)


def quarterly_eps(payload: Mapping[str, Any]) -> list[QuarterFact]:
    """Return quarterly diluted EPS as filed (no Q4: it does not subtract from the annual figure)."""
    unit = _per_share_unit(payload, EPS_TAG)
    if unit is None:
        return []
    quarters = _dedup(f for f in _facts(payload, EPS_TAG, unit) if f.days in _QUARTER_DAYS)
    return sorted((_quarter(f, "eps", unit, EPS_TAG) for f in quarters), key=lambda f: f.end)


def _quarter(fact: _Fact, metric: str, unit: str, tag: str) -> QuarterFact:
    return QuarterFact(
        start=fact.start, end=fact.end, metric=metric, value=fact.value, accn=fact.accn,
        form=fact.form, filed=fact.filed, unit=unit, tag=tag,
    )


def _dedup(facts: Any) -> list[_Fact]:
    """Keep one fact per (start, end): the framed copy, else the latest filed."""
    kept: dict[tuple[date, date], _Fact] = {}
    for fact in facts:
        key = (fact.start, fact.end)
        seen = kept.get(key)
        if seen is None or _preference(fact) > _preference(seen):
            kept[key] = fact
    return list(kept.values())


def _preference(fact: _Fact) -> tuple[bool, date]:
    return fact.frame is not None, fact.filed or date.min


def _units(payload: Mapping[str, Any], tag: str) -> Mapping[str, Any]:
    concept = payload.get("facts", {}).get("us-gaap", {}).get(tag)
    if concept is None and payload.get("tag") == tag:  # a companyconcept response
        concept = payload
    return (concept or {}).get("units", {})


def _money_unit(payload: Mapping[str, Any], tag: str) -> str | None:
    units = [u for u in _units(payload, tag) if len(u) == 3 and u.isalpha() and u.isupper()]
    return "USD" if "USD" in units else (units[0] if units else None)


def _per_share_unit(payload: Mapping[str, Any], tag: str) -> str | None:
    units = [u for u in _units(payload, tag) if u.endswith("/shares")]
    return "USD/shares" if "USD/shares" in units else (units[0] if units else None)


def _facts(payload: Mapping[str, Any], tag: str, unit: str | None) -> list[_Fact]:
    if unit is None:
        return []
    facts = []
    for raw in _units(payload, tag).get(unit, []):
        try:
            facts.append(_Fact(
                start=date.fromisoformat(raw["start"]), end=date.fromisoformat(raw["end"]),
                value=Decimal(str(raw["val"])), accn=str(raw.get("accn", "")),
                form=str(raw.get("form", "")), filed=_date(raw.get("filed")), frame=raw.get("frame"),
            ))
        except (KeyError, ValueError, TypeError) as exc:
            logger.debug("sec: skipping fact %s of %s: %s", raw, tag, exc)
    return facts


def _date(text: Any) -> date | None:
    try:
        return date.fromisoformat(str(text)) if text else None
    except ValueError:
        return None
