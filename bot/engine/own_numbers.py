"""A chat's own numbers: `/expect TICKER METRIC VALUE [PERIOD]`, `... METRIC clear`, `/expectations`.

A chat's number for a company's next report (or a named fiscal quarter) is an expectation row of
source ``chat:<chat pk>`` (docs/decisions/014-your-own-numbers.md): the result alert shows it as
one more expectation, for that chat only, and no reader of consensus ever takes it for one.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from enum import StrEnum

from sqlmodel import Session, col, select

from bot.domain.expected_values import (
    Ambiguous,
    ExpectedValue,
    InvalidValue,
    ValueKind,
    read_value_and_period,
)
from bot.domain.figures import Basis, Expectation, Figure, Unit
from bot.domain.kpis import KpiDefinition
from bot.domain.market_time import new_york_date
from bot.domain.periods import FiscalPeriod, parse_period
from bot.domain.tickers import is_valid_ticker, normalize_ticker
from bot.engine.own_periods import event_of_period, next_event
from bot.engine.subscriptions import get_chat, register_chat
from bot.store.companies import find_company, issuer_watchers, share_class_ids, suggest_tickers
from bot.store.figures import (
    clear_own_expectation,
    latest_expectations,
    own_expectations,
    own_source,
    record_own_expectation,
)
from bot.store.tables import Company, EarningsEvent, EventState, ExpectationRow, saved_id

CLEAR_WORD = "clear"
KpisOf = Callable[[str], Sequence[KpiDefinition]]  # a ticker's KPI definitions (KpiDefinitions.for_company)
MAX_OWN_NUMBERS = 200  # per chat, over every scheduled report


@dataclass(frozen=True)
class OwnMetric:
    """A metric a chat may set a number for: what it types, the figure's metric, how it reads."""

    key: str  # "eps", "revenue", "data_center_revenue"
    metric: str  # "eps", "revenue", "kpi:data_center_revenue"
    name: str
    kind: ValueKind
    basis: Basis


class Outcome(StrEnum):
    STORED = "stored"
    AMBIGUOUS = "ambiguous"
    INVALID_VALUE = "invalid value"
    UNKNOWN_METRIC = "unknown metric"
    UNKNOWN_TICKER = "unknown ticker"
    NOT_A_TICKER = "not a ticker"
    NO_EVENT = "no event"
    REPORTED = "reported"
    FULL_YEAR = "full year"
    CLEARED = "cleared"
    NOT_SET = "not set"
    TOO_MANY = "too many"
    STALE_CHOICE = "stale choice"


@dataclass(frozen=True)
class ExpectResult:
    """What /expect did, or why nothing changed."""

    outcome: Outcome
    typed: str
    ticker: str | None = None
    company_name: str = ""
    metric: OwnMetric | None = None
    metrics: tuple[OwnMetric, ...] = ()  # the company's, for an unknown metric
    value: ExpectedValue | None = None
    readings: tuple[ExpectedValue, ...] = ()  # an ambiguous value's, to choose from
    event_id: int | None = None
    period_label: str = ""
    message: str = ""  # why a value can't be read, with an example
    suggestions: tuple[str, ...] = ()
    watching: bool = True


@dataclass(frozen=True)
class OwnEntry:
    """One own number as /expectations lists it, with the latest consensus of the same metric."""

    ticker: str
    period_label: str
    report_date: date | None
    metric_name: str
    figure: Figure
    consensus: Expectation | None


@dataclass(frozen=True)
class OwnList:
    """The chat's own numbers for scheduled reports (of one company when asked)."""

    entries: list[OwnEntry] = field(default_factory=list)
    typed: str | None = None
    known: bool = True
    suggestions: tuple[str, ...] = ()


def company_metrics(kpis: Sequence[KpiDefinition]) -> tuple[OwnMetric, ...]:
    """Return the metrics a chat may set for a company: EPS, revenue, then the company's KPIs."""
    return (
        OwnMetric("eps", "eps", "adjusted EPS", ValueKind.PER_SHARE, Basis.ADJUSTED),
        OwnMetric("revenue", "revenue", "revenue", ValueKind.MONEY, Basis.GAAP),
        *(OwnMetric(k.key, k.metric, k.name, k.value_kind, Basis.GAAP) for k in kpis),
    )


def set_own_number(
    session: Session, chat_id: int, ticker: str, metric: str, text: str, *,
    kpis_of: KpisOf, now: datetime, kind: str = "private", title: str | None = None,
) -> ExpectResult:
    """Store (or clear, for the word `clear`) the chat's number of a company's metric."""
    found = _company_and_metric(session, ticker, metric, kpis_of)
    if isinstance(found, ExpectResult):
        return found
    company, chosen = found
    if text.split()[:1] == [CLEAR_WORD]:
        return _clear(session, chat_id, company, chosen, text, now=now)
    read = read_value_and_period(text, chosen.kind, company.currency)
    result = ExpectResult(Outcome.STORED, text, company.ticker, company.name, chosen,
                          metrics=company_metrics(kpis_of(company.ticker)))
    if isinstance(read.reading, InvalidValue):
        return replace(result, outcome=Outcome.INVALID_VALUE, message=read.reading.message)
    event = _event(session, company, read.period, now=now, create=True)
    if isinstance(event, ExpectResult):
        return replace(event, ticker=company.ticker, company_name=company.name, metric=chosen)
    result = replace(result, event_id=saved_id(event), period_label=_label(event))
    if isinstance(read.reading, Ambiguous):
        return replace(result, outcome=Outcome.AMBIGUOUS, readings=read.reading.readings)
    return _store(session, chat_id, company, event, chosen, read.reading, result, now=now, kind=kind, title=title)


def choose_reading(
    session: Session, chat_id: int, event_id: int, metric_index: int, value: ExpectedValue, *,
    kpis_of: KpisOf, now: datetime, kind: str = "private", title: str | None = None,
) -> ExpectResult:
    """Store the reading a chat picked from an ambiguous value's buttons."""
    event = session.get(EarningsEvent, event_id)
    company = session.get(Company, event.company_id) if event is not None else None
    if event is None or company is None:
        return ExpectResult(Outcome.STALE_CHOICE, "")
    metrics = company_metrics(kpis_of(company.ticker))
    chosen = metrics[metric_index] if 0 <= metric_index < len(metrics) else None
    if chosen is None or _figure_unit_kind(value.unit) is not chosen.kind:
        return ExpectResult(Outcome.STALE_CHOICE, "", company.ticker, company.name)
    result = ExpectResult(Outcome.STORED, "", company.ticker, company.name, chosen, metrics=metrics,
                          event_id=event_id, period_label=_label(event))
    if event.state != EventState.SCHEDULED:
        return replace(result, outcome=Outcome.REPORTED)
    return _store(session, chat_id, company, event, chosen, value, result, now=now, kind=kind, title=title)


def own_list(session: Session, chat_id: int, typed: str | None, *, kpis_of: KpisOf) -> OwnList:
    """Return the chat's own numbers for scheduled reports with the latest consensus beside each."""
    chat = get_chat(session, chat_id)
    company_ids: list[int] | None = None
    if typed:
        company = find_company(session, typed)
        if company is None:
            return OwnList(typed=typed[:20], known=False, suggestions=_suggestions(session, typed))
        company_ids = share_class_ids(session, company)
    if chat is None:
        return OwnList(typed=typed)
    query = (select(ExpectationRow, EarningsEvent)
             .join(EarningsEvent, col(EarningsEvent.id) == ExpectationRow.event_id)
             .where(ExpectationRow.source == own_source(saved_id(chat)), EarningsEvent.state == EventState.SCHEDULED))
    if company_ids is not None:
        query = query.where(col(EarningsEvent.company_id).in_(company_ids))
    events = {saved_id(event): event for _row, event in session.exec(query).all()}
    entries = [_entry(session, events[event_id], row, kpis_of)
               for event_id in events
               for row in own_expectations(session, event_id, chat_pks=[saved_id(chat)])]
    entries.sort(key=lambda e: (e.report_date or date.max, e.ticker, e.metric_name))
    return OwnList(entries, typed=typed)


def parse_choice(data: str) -> tuple[int, int, ExpectedValue] | None:
    """Read a choice written by choice_data (without its prefix), or None."""
    parts = data.split(":")
    if len(parts) != 5 or not parts[0].isdecimal() or not parts[1].isdecimal():
        return None
    try:
        unit, value = Unit(parts[2]), Decimal(parts[4])
    except (ValueError, InvalidOperation):
        return None
    currency = parts[3] if parts[3] != "-" else None
    return int(parts[0]), int(parts[1]), ExpectedValue(value, unit, currency)


def choice_data(result: ExpectResult, reading: ExpectedValue) -> str:
    """Return a reading of an ambiguous value as a button's data: 'event:metric:unit:currency:value'."""
    assert result.metric is not None and result.event_id is not None
    index = next(i for i, m in enumerate(result.metrics) if m.key == result.metric.key)
    return f"{result.event_id}:{index}:{reading.unit}:{reading.currency or '-'}:{format(reading.value, 'f')}"


def _company_and_metric(
    session: Session, ticker: str, metric: str, kpis_of: KpisOf
) -> tuple[Company, OwnMetric] | ExpectResult:
    symbol = normalize_ticker(ticker)
    if not is_valid_ticker(symbol):
        return ExpectResult(Outcome.NOT_A_TICKER, ticker[:20])
    company = find_company(session, symbol)
    if company is None:
        return ExpectResult(Outcome.UNKNOWN_TICKER, symbol, suggestions=_suggestions(session, symbol))
    metrics = company_metrics(kpis_of(company.ticker))
    chosen = next((m for m in metrics if m.key == metric.lower().removeprefix("kpi:")), None)
    if chosen is None:
        return ExpectResult(Outcome.UNKNOWN_METRIC, metric[:48], company.ticker, company.name, metrics=metrics)
    return company, chosen


def _suggestions(session: Session, typed: str) -> tuple[str, ...]:
    return tuple(c.ticker for c in suggest_tickers(session, typed))


def _event(
    session: Session, company: Company, period: FiscalPeriod | None, *, now: datetime, create: bool
) -> EarningsEvent | ExpectResult:
    if period is None:
        found = next_event(session, company, today=new_york_date(now))
        return found if found is not None else ExpectResult(Outcome.NO_EVENT, "")
    if period.is_full_year:
        return ExpectResult(Outcome.FULL_YEAR, "", period_label=period.label)
    event = event_of_period(session, company, period, now=now, create=create)
    if event is None:
        return ExpectResult(Outcome.NOT_SET, "", period_label=period.label)
    if event.state != EventState.SCHEDULED:
        return ExpectResult(Outcome.REPORTED, "", period_label=_label(event))
    return event


def _store(
    session: Session, chat_id: int, company: Company, event: EarningsEvent, chosen: OwnMetric,
    value: ExpectedValue, result: ExpectResult, *, now: datetime, kind: str, title: str | None,
) -> ExpectResult:
    chat = get_chat(session, chat_id) or register_chat(session, chat_id, kind=kind, title=title, now=now)[0]
    chat_pk = saved_id(chat)
    if _count(session, chat_pk) >= MAX_OWN_NUMBERS:
        return replace(result, outcome=Outcome.TOO_MANY)
    figure = Figure(chosen.metric, chosen.basis, value.unit, value.currency, value.value)
    record_own_expectation(session, event, figure, chat_pk=chat_pk, as_of=now)
    return replace(result, value=value, watching=chat_pk in issuer_watchers(session, company))


def _clear(session: Session, chat_id: int, company: Company, chosen: OwnMetric, text: str, *,
           now: datetime) -> ExpectResult:
    """Remove the chat's number of the metric for the named period, or for every scheduled report."""
    result = ExpectResult(Outcome.CLEARED, text, company.ticker, company.name, chosen)
    rest = " ".join(text.split()[1:])
    period = parse_period(rest) if rest else None
    if rest and (period is None or period.is_full_year):
        return replace(result, outcome=Outcome.INVALID_VALUE,
                       message=f"write {CLEAR_WORD} alone, or {CLEAR_WORD} with a quarter like Q1FY2026")
    chat = get_chat(session, chat_id)
    if period is not None:
        event = _event(session, company, period, now=now, create=False)
        if isinstance(event, ExpectResult):
            return replace(result, outcome=Outcome.NOT_SET, period_label=event.period_label)
        events = [event]
    else:
        events = _scheduled_events(session, company)
    removed = sum(clear_own_expectation(session, saved_id(e), saved_id(chat), chosen.metric)
                  for e in events) if chat is not None else 0
    labels = ", ".join(_label(e) for e in events) if len(events) == 1 else ""
    return replace(result, outcome=Outcome.CLEARED if removed else Outcome.NOT_SET, period_label=labels)


def _scheduled_events(session: Session, company: Company) -> list[EarningsEvent]:
    return list(session.exec(select(EarningsEvent).where(
        col(EarningsEvent.company_id).in_(share_class_ids(session, company)),
        EarningsEvent.state == EventState.SCHEDULED,
    )).all())


def _count(session: Session, chat_pk: int) -> int:
    return len(session.exec(
        select(ExpectationRow.event_id, ExpectationRow.metric).distinct()
        .join(EarningsEvent, col(EarningsEvent.id) == ExpectationRow.event_id)
        .where(ExpectationRow.source == own_source(chat_pk), EarningsEvent.state == EventState.SCHEDULED)
    ).all())


def _entry(session: Session, event: EarningsEvent, row: ExpectationRow,
           kpis_of: KpisOf) -> OwnEntry:
    company = session.get(Company, event.company_id)
    ticker = company.ticker if company is not None else "?"
    figure = row.to_domain().figure
    names = {m.metric: m.name for m in company_metrics(kpis_of(ticker))}
    consensus = [r.to_domain() for r in latest_expectations(session, saved_id(event)) if r.metric == row.metric]
    comparable = [e for e in consensus if e.figure.comparable_with(figure)] or consensus
    newest = max(comparable, key=lambda e: e.as_of, default=None)
    return OwnEntry(ticker, _label(event), event.report_date, names.get(row.metric, row.metric), figure, newest)


def _label(event: EarningsEvent) -> str:
    return event.period_label or "next report"


def _figure_unit_kind(unit: Unit) -> ValueKind:
    return {Unit.MONEY: ValueKind.MONEY, Unit.PER_SHARE: ValueKind.PER_SHARE, Unit.PER_ADS: ValueKind.PER_SHARE,
            Unit.PERCENT: ValueKind.PERCENT, Unit.COUNT: ValueKind.COUNT}[unit]

