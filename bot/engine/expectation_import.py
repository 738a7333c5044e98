"""Import and export every stored expectation as CSV rows (bot.domain.expectation_csv).

`import_expectations` checks every row first (the company, the metric and its unit, the chat of
an own number, a repeat within the file, a value frozen by a report) and writes nothing unless
every row passed; then it writes them all in the caller's one transaction. So a file is imported
whole or not at all.

A row repeating what is stored changes nothing. A vendor's new value for a scheduled report is a
new row (history kept, the newest counts). A report already made is judged against what was
expected before it: a source with no value for it yet may give one, dated at the report; a source
that had one can't move it (a different value is a bad line).

`export_expectations` writes the newest value of each (report, metric, basis, unit, currency,
source), own numbers as `chat:<Telegram chat id>`: importing the export gives the same rows.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlmodel import Session, col, select

from bot.domain.expectation_csv import CsvRow, LineError, parse_expectations_csv
from bot.domain.expected_values import ValueKind
from bot.domain.figures import Basis, Metric, Unit
from bot.domain.kpis import KpiDefinition
from bot.domain.market_time import as_utc
from bot.domain.periods import FiscalPeriod
from bot.engine.own_periods import event_of_period
from bot.engine.sync import label_for_company
from bot.store.companies import find_company, share_class_ids, suggest_tickers
from bot.store.figures import OWN_SOURCE_PREFIX, own_source
from bot.store.tables import (
    Chat,
    Company,
    DateStatus,
    EarningsEvent,
    EventState,
    ExpectationRow,
    saved_id,
)

KpisOf = Callable[[str], Sequence[KpiDefinition]]
_HEADLINE_UNITS: dict[str, frozenset[Unit]] = {
    Metric.EPS: frozenset({Unit.PER_SHARE, Unit.PER_ADS}),
    Metric.REVENUE: frozenset({Unit.MONEY}),
    Metric.NET_INCOME: frozenset({Unit.MONEY}),
    Metric.REVENUE_GUIDANCE: frozenset({Unit.MONEY}),
}
_KIND_UNITS = {
    ValueKind.MONEY: frozenset({Unit.MONEY}), ValueKind.PER_SHARE: frozenset({Unit.PER_SHARE, Unit.PER_ADS}),
    ValueKind.PERCENT: frozenset({Unit.PERCENT}), ValueKind.COUNT: frozenset({Unit.COUNT}),
}


@dataclass(frozen=True)
class ImportOutcome:
    """What an import did: rows stored and rows already stored, or the bad lines (nothing stored)."""

    rows: int = 0
    added: int = 0
    unchanged: int = 0
    errors: tuple[LineError, ...] = ()

    @property
    def imported(self) -> bool:
        return not self.errors


@dataclass
class _Planned:
    """A row that passed, with where it goes."""

    row: CsvRow
    company: Company
    event: EarningsEvent | None  # None: the report is made at write time from `new_event`
    new_event: tuple[str, FiscalPeriod | None] | None
    metric: str
    source: str  # as stored: "finnhub" or "chat:<chat pk>"


@dataclass
class _Check:
    session: Session
    kpis_of: KpisOf
    companies: dict[str, Company | None] = field(default_factory=dict)
    chats: dict[int, Chat | None] = field(default_factory=dict)
    events: dict[tuple[int, str], EarningsEvent | None] = field(default_factory=dict)


def import_csv(session: Session, data: bytes, *, kpis_of: KpisOf, now: datetime) -> ImportOutcome:
    """Read a CSV file's bytes and import its rows: all of them, or none when any line is bad."""
    parsed = parse_expectations_csv(data)
    return import_expectations(session, parsed.rows, kpis_of=kpis_of, now=now, bad_lines=parsed.errors)


def import_expectations(
    session: Session, rows: Sequence[CsvRow], *, kpis_of: KpisOf, now: datetime,
    bad_lines: Sequence[LineError] = (),
) -> ImportOutcome:
    """Check every row, then store them all, or none when any row (or a line in bad_lines) is bad."""
    check = _Check(session, kpis_of)
    planned: list[_Planned] = []
    errors: list[LineError] = list(bad_lines)
    for row in rows:
        found = _plan(check, row)
        if isinstance(found, LineError):
            errors.append(found)
        else:
            planned.append(found)
    errors += _repeats(planned)
    unchanged: list[_Planned] = []
    to_write: list[_Planned] = []
    for plan in planned:
        state = _against_stored(session, plan)
        if isinstance(state, LineError):
            errors.append(state)
        elif state:
            unchanged.append(plan)
        else:
            to_write.append(plan)
    if errors:
        return ImportOutcome(rows=len(rows) + len(bad_lines), errors=tuple(sorted(errors, key=lambda e: e.line)))
    written = _write(session, _first_of_each(to_write), now=now)
    return ImportOutcome(rows=len(rows), added=written, unchanged=len(rows) - written)


def _plan(check: _Check, row: CsvRow) -> _Planned | LineError:
    session = check.session
    if row.ticker not in check.companies:
        check.companies[row.ticker] = find_company(session, row.ticker)
    company = check.companies[row.ticker]
    if company is None:
        hint = [c.ticker for c in suggest_tickers(session, row.ticker)]
        return LineError(row.line, f"unknown ticker {row.ticker[:20]}" + (f" (did you mean {' or '.join(hint)}?)" if hint else ""))
    metric = _metric(check, company, row)
    if isinstance(metric, LineError):
        return metric
    source = row.source
    chat_id = row.chat_id
    if chat_id is not None:
        if chat_id not in check.chats:
            check.chats[chat_id] = session.exec(select(Chat).where(Chat.chat_id == chat_id)).first()
        chat = check.chats[chat_id]
        if chat is None:
            return LineError(row.line, f"no chat {chat_id} has talked to the bot: its own number has nowhere to go")
        source = own_source(saved_id(chat))
    event, new_event = _event(check, company, row)
    return _Planned(row, company, event, new_event, metric, source)


def _metric(check: _Check, company: Company, row: CsvRow) -> str | LineError:
    kpis = check.kpis_of(company.ticker)
    allowed = dict(_HEADLINE_UNITS)
    for kpi in kpis:
        allowed[kpi.metric] = _KIND_UNITS[kpi.value_kind]
        allowed[kpi.guidance_metric] = _KIND_UNITS[kpi.value_kind]
    metric = row.metric if row.metric in allowed else f"kpi:{row.metric}"
    if metric not in allowed:
        names = ", ".join([*_HEADLINE_UNITS, *(k.metric for k in kpis)])
        return LineError(row.line, f"{company.ticker} has no metric {row.metric[:48]!r}; it has {names}")
    if row.unit not in allowed[metric]:
        units = " or ".join(sorted(u.value for u in allowed[metric]))
        return LineError(row.line, f"{metric} is {units}, not {row.unit.value}")
    return metric


def _event(check: _Check, company: Company, row: CsvRow) -> tuple[EarningsEvent | None, tuple[str, FiscalPeriod | None] | None]:
    """The stored report of the row's quarter, or what to make it from at write time."""
    period = row.fiscal_period
    key = (saved_id(company), period.label if period is not None else row.period)
    if key not in check.events:
        if period is not None:
            check.events[key] = event_of_period(check.session, company, period, now=datetime.min, create=False)
        else:
            check.events[key] = check.session.exec(select(EarningsEvent).where(
                col(EarningsEvent.company_id).in_(share_class_ids(check.session, company)),
                EarningsEvent.fiscal_period == row.period,
            ).order_by(col(EarningsEvent.id))).first()
    event = check.events[key]
    return (event, None) if event is not None else (None, (key[1], period))


def _identity(plan: _Planned) -> tuple[object, ...]:
    where = saved_id(plan.event) if plan.event is not None else (saved_id(plan.company), plan.new_event)
    return (where, plan.metric, plan.row.basis, plan.row.unit, plan.row.currency, plan.source)


def _repeats(planned: list[_Planned]) -> list[LineError]:
    """A row that says the same as an earlier one is harmless; one that says otherwise is an error."""
    first: dict[tuple[object, ...], _Planned] = {}
    errors = []
    for plan in planned:
        earlier = first.setdefault(_identity(plan), plan)
        if earlier is not plan and earlier.row.value != plan.row.value:
            errors.append(LineError(plan.row.line, f"repeats line {earlier.row.line} with another value "
                                                   f"({format(plan.row.value, 'f')} against {format(earlier.row.value, 'f')})"))
    return errors


def _first_of_each(planned: list[_Planned]) -> list[_Planned]:
    seen: set[tuple[object, ...]] = set()
    unique = []
    for plan in planned:
        if _identity(plan) not in seen:
            seen.add(_identity(plan))
            unique.append(plan)
    return unique


def _latest(session: Session, event_id: int, plan: _Planned) -> ExpectationRow | None:
    return session.exec(
        select(ExpectationRow).where(
            ExpectationRow.event_id == event_id, ExpectationRow.metric == plan.metric,
            ExpectationRow.basis == plan.row.basis, ExpectationRow.unit == plan.row.unit,
            ExpectationRow.currency == plan.row.currency, ExpectationRow.source == plan.source,
        ).order_by(col(ExpectationRow.as_of).desc(), col(ExpectationRow.id).desc())
    ).first()


def _against_stored(session: Session, plan: _Planned) -> bool | LineError:
    """True: stored already; False: to write; a LineError: a report's frozen value contradicted."""
    if plan.event is None:
        return False
    latest = _latest(session, saved_id(plan.event), plan)
    if latest is None:
        return False
    if latest.value == plan.row.value:
        return True
    if plan.event.state != EventState.SCHEDULED:
        return LineError(plan.row.line, (
            f"{plan.company.ticker} {plan.event.period_label or plan.row.period} is reported: "
            f"{plan.row.source}'s {plan.metric} was {format(latest.value, 'f')} then and stays so"))
    return False


def _write(session: Session, planned: list[_Planned], *, now: datetime) -> int:
    made: dict[tuple[int, str], EarningsEvent] = {}
    for plan in planned:
        event = plan.event or _make_event(session, plan, made, now=now)
        reported = event.state != EventState.SCHEDULED and event.reported_at is not None
        as_of = min(as_utc(event.reported_at), as_utc(now)) if reported and event.reported_at else now
        row = plan.row
        session.add(ExpectationRow(
            event_id=saved_id(event), metric=plan.metric, basis=row.basis, unit=row.unit, currency=row.currency,
            value=row.value, source=plan.source, as_of=as_of, frozen_at=now if reported else None,
        ))
    session.flush()
    return len(planned)


def _make_event(session: Session, plan: _Planned, made: dict[tuple[int, str], EarningsEvent], *,
                now: datetime) -> EarningsEvent:
    assert plan.new_event is not None
    written, period = plan.new_event
    key = (saved_id(plan.company), written)
    if key not in made:
        if period is not None:
            event = event_of_period(session, plan.company, period, now=now, create=True)
            assert event is not None
        else:
            label, fiscal_year, quarter = label_for_company(plan.company, written)
            event = EarningsEvent(company_id=saved_id(plan.company), fiscal_period=written, fiscal_year=fiscal_year,
                                  fiscal_quarter=quarter, period_label=label, date_status=DateStatus.ESTIMATED,
                                  updated_at=now)
            session.add(event)
            session.flush()
        made[key] = event
    return made[key]


def export_expectations(session: Session) -> list[CsvRow]:
    """Return the newest value of every stored expectation, own numbers as chat:<chat id>, sorted."""
    chats = {saved_id(c): c.chat_id for c in session.exec(select(Chat)).all()}
    query = (select(ExpectationRow, EarningsEvent, Company)
             .join(EarningsEvent, col(EarningsEvent.id) == ExpectationRow.event_id)
             .join(Company, col(Company.id) == EarningsEvent.company_id)
             .order_by(col(ExpectationRow.as_of), col(ExpectationRow.id)))
    newest: dict[tuple[int, str, str, str, str | None, str], tuple[ExpectationRow, EarningsEvent, Company]] = {}
    for row, event, company in session.exec(query).all():
        newest[(row.event_id, row.metric, row.basis, row.unit, row.currency, row.source)] = (row, event, company)
    rows = []
    for row, event, company in newest.values():
        source = row.source
        if source.startswith(OWN_SOURCE_PREFIX):
            chat_id = chats.get(int(source.removeprefix(OWN_SOURCE_PREFIX)))
            if chat_id is None:
                continue  # the chat is gone: its numbers with it
            source = f"{OWN_SOURCE_PREFIX}{chat_id}"
        rows.append(CsvRow(company.ticker, _period(event), row.metric, row.value, Unit(row.unit), row.currency,
                           Basis(row.basis), source))
    rows.sort(key=lambda r: (r.ticker, _period_order(r.period), r.metric, r.basis, r.unit, r.currency or "", r.source))
    return rows


def _period(event: EarningsEvent) -> str:
    if event.fiscal_year and event.fiscal_quarter:
        return f"Q{event.fiscal_quarter} FY{event.fiscal_year}"
    return event.fiscal_period


def _period_order(period: str) -> str:
    """'Q4 FY2025' and '2025-01' in one order: the year, then the quarter or month."""
    if period.startswith("Q") and " FY" in period:
        quarter, year = period.split(" FY")
        return f"{year}-q{quarter[1:]}"
    return period
