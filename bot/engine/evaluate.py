"""Evaluate: compare what a company reported with every stored expectation, and publish the result.

`result_report` is the pure part: figures and expectations in, what the alert says out.
`evaluate_event` is the shell around it: it reads the event's rows, marks the event reported,
freezes the bar and hands the report to the outbox, which writes the alert once and a correction
when a later evaluation would read differently (bot.delivery.publisher).

The bar is frozen at the report: only what each source expected before the company reported (its
release's acceptance, or the first figures seen) counts (bot.store.figures.latest_expectations).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from sqlmodel import Session, select

from bot.catalog import catalog
from bot.domain.figures import (
    BASIS_NEUTRAL_METRICS,
    HEADLINE_METRICS,
    Basis,
    Expectation,
    Figure,
    Unit,
)
from bot.domain.kpis import is_guidance_metric
from bot.domain.market_time import Timing, as_utc
from bot.domain.track_record import is_growth_metric
from bot.domain.verdicts import Comparison, InlineBand, compare, event_verdict, headline_comparisons
from bot.engine.alerts import Disputed, ResultAlert, ResultReport
from bot.engine.chat_readings import chat_readings
from bot.engine.ports import Outbox
from bot.engine.race import (
    SEC_NAME,
    arrival_name,
    arrivals,
    disputed_figures,
    figure_key,
    note_arrivals,
)
from bot.engine.track_record import kpi_growth, record_judged_result, track_record
from bot.store.companies import issuer_watchers
from bot.store.figures import latest_expectations
from bot.store.tables import (
    Alert,
    Company,
    EarningsEvent,
    EventState,
    Filing,
    ReportedFigure,
    SourceArrival,
)

logger = logging.getLogger(__name__)



@dataclass(frozen=True)
class Evaluation:
    """The outcome of one evaluation: the alert written (None when nothing new)."""

    alert: Alert | None
    report: ResultReport | None
    is_correction: bool = False


@dataclass(frozen=True)
class Heading:
    """Who reported which quarter, and where it was filed: the parts of a report that are not figures."""

    ticker: str
    company_name: str
    period_label: str
    timing: Timing
    source_url: str | None = None
    source_label: str | None = None
    reported_at: datetime | None = None
    more_links: tuple[tuple[str, str], ...] = ()


def result_report(
    heading: Heading, actuals: Sequence[Figure], expectations: Sequence[Expectation], band: InlineBand,
    disputed: Sequence[Disputed] = (), computed: Sequence[Figure] = (),
) -> ResultReport:
    """Return what a result alert says: each expectation against its comparable figure, the
    headline verdict, and the figures nothing was expected of. `computed` holds figures the
    release did not state (a segment's growth from a year earlier): compared when expected, never
    listed as reported."""
    comparisons = _comparisons([*actuals, *computed], expectations, band)
    headline = headline_comparisons(comparisons)
    compared = {id(c) for c in headline}
    shown = {(c.actual.metric, _basis_key(c.actual.metric, c.actual.basis)) for c in comparisons}
    uncompared = [a for a in actuals if (a.metric, _basis_key(a.metric, a.basis)) not in shown]
    uncompared += _other_basis_eps(actuals, comparisons)
    return ResultReport(
        ticker=heading.ticker, company_name=heading.company_name, period_label=heading.period_label,
        timing=heading.timing, verdict=event_verdict(headline), headline=headline,
        others=[c for c in comparisons if id(c) not in compared], reported=list(actuals),
        uncompared=_dedupe(uncompared), source_url=heading.source_url, source_label=heading.source_label,
        reported_at=heading.reported_at, more_links=heading.more_links, disputed=list(disputed),
        computed=tuple(sorted({f.metric for f in computed})),
    )


def evaluate_event(
    session: Session, event: EarningsEvent, *, outbox: Outbox, now: datetime, band: InlineBand | None = None
) -> Evaluation:
    """Compare the event's reported figures with its expectations and publish the result."""
    rows = list(session.exec(select(ReportedFigure).where(ReportedFigure.event_id == event.id)).all())
    figures = chosen_figures(rows)
    if not any(f.metric in HEADLINE_METRICS for f in figures):
        return Evaluation(None, None)
    company = session.get(Company, event.company_id)
    assert company is not None and event.id is not None
    reported_at = _mark_reported(session, event, figures, now)
    note_arrivals(session, event, now=now)
    expectations = latest_expectations(session, event.id, until=reported_at)  # consensus: no chat's own
    for row in expectations:
        if row.frozen_at is None:
            row.frozen_at = now
            session.add(row)
    band = band or in_line_band()
    consensus = [r.to_domain() for r in expectations]
    built = event_report(session, company, event, rows, consensus, band)
    report, actuals, filing = built.report, built.actuals, built.filing
    record_judged_result(session, company, event, actuals, report.headline, now)
    audience = tuple(issuer_watchers(session, company))
    own, silent = chat_readings(
        session, event.id, audience, until=reported_at, report=report, band=band,
        report_for=lambda chats_band: event_report(session, company, event, rows, consensus, chats_band).report,
        compare_all=lambda given, chats_band: tuple(_comparisons(actuals, given, chats_band)),
    )
    published = outbox.publish(session, ResultAlert(
        report=report, event_id=event.id, company_id=company.id,  # type: ignore[arg-type]
        filing_id=filing.id if filing else None, audience=audience, own=own, silent=silent,
    ), now=now)
    return Evaluation(published.alert, report, is_correction=published.is_correction)


@dataclass(frozen=True)
class BuiltReport:
    """A result as the alert says it, with the actuals it judged (for the chats' own numbers), the
    computed growth KPIs among them."""

    report: ResultReport
    actuals: list[Figure]
    filing: Filing | None


def event_report(
    session: Session, company: Company, event: EarningsEvent, rows: list[ReportedFigure],
    expectations: Sequence[Expectation], band: InlineBand,
) -> BuiltReport:
    """Return what the event's result alert says: its figures against the expectations, with the
    growth, streak and outlook of bot.engine.track_record. Reads only; writes nothing."""
    assert event.id is not None
    figures = chosen_figures(rows)
    doubtful = disputed_figures(rows)  # never judged on a figure the release's sources state differently
    filing = _source_filing(session, rows)
    chosen = [f.to_domain().figure for f in figures if figure_key(f) not in doubtful]
    stated = [f for f in chosen if is_growth_metric(f.metric)]
    guided = [f for f in chosen if is_guidance_metric(f.metric)]
    actuals = [f for f in chosen if f not in stated and f not in guided]
    shown_disputes = {key: rows for key, rows in doubtful.items() if not is_growth_metric(key[0])}
    computed = kpi_growth(session, company, event, actuals, {row.metric for row in rows})
    report = result_report(_heading(company, event, filing, arrivals(session, event.id)), actuals,
                           expectations, band, _disputed(shown_disputes), computed)
    track = track_record(session, company, event, actuals, report.headline, stated, guided, band)
    return BuiltReport(replace(report, growth=list(track.growth), streak=track.streak, outlook=list(track.outlook)),
                       [*actuals, *computed], filing)


def _disputed(doubtful: dict[tuple[str, str | None, str, str | None], list[ReportedFigure]]) -> list[Disputed]:
    return [
        Disputed(metric=group[0].metric, values=tuple(
            (row.to_domain().figure, arrival_name(row.source) or row.source)
            for row in sorted(group, key=lambda r: (as_utc(r.reported_at), r.id or 0))))
        for group in doubtful.values()
    ]


def in_line_band() -> InlineBand:
    """Return the catalog's in-line band (config/catalog.toml [in_line_band])."""
    band = catalog().in_line_band
    return InlineBand(band.money_percent, band.percent_points, band.per_share_percent)


def chosen_figures(rows: list[ReportedFigure]) -> list[ReportedFigure]:
    """Return one reported figure per (metric, basis, unit, currency), from the most trusted source."""
    best: dict[tuple[str, str | None, str, str | None], ReportedFigure] = {}
    for row in sorted(rows, key=_priority):
        best.setdefault((row.metric, _basis_key(row.metric, row.basis), row.unit, row.currency), row)
    return list(best.values())


def _mark_reported(session: Session, event: EarningsEvent, figures: list[ReportedFigure], now: datetime) -> datetime:
    """Mark the event reported at its first figure (or filing); return that moment."""
    reported_at = min([as_utc(f.reported_at) for f in figures]
                      + ([as_utc(event.reported_at)] if event.reported_at else []))
    if event.state != EventState.REPORTED or event.reported_at is None or as_utc(event.reported_at) != reported_at:
        event.state = EventState.REPORTED
        event.reported_at = reported_at
        event.updated_at = now
        session.add(event)
    return reported_at


def _heading(company: Company, event: EarningsEvent, filing: Filing | None, race: list[SourceArrival]) -> Heading:
    """The link of the 8-K and of the first feed that carried the release; the earliest public moment."""
    feed = _leading_feed(filing, race)
    links: list[tuple[str, str]] = [(feed.url, f"Release on {feed.source}")] if feed and feed.url else []
    if filing is not None:
        links.append((filing.url, f"{filing.form} on SEC EDGAR"))
    moments = [as_utc(m) for m in (filing.accepted_at if filing else None, feed.published_at if feed else None) if m]
    return Heading(
        ticker=company.ticker, company_name=company.name, period_label=event.period_label,
        timing=Timing(event.timing) if event.timing in Timing._value2member_map_ else Timing.UNKNOWN,
        source_url=links[0][0] if links else None, source_label=links[0][1] if links else None,
        reported_at=min(moments) if moments else None, more_links=tuple(links[1:]),
    )


def _leading_feed(filing: Filing | None, race: list[SourceArrival]) -> SourceArrival | None:
    """The first feed that carried the release, when it came before the 8-K: a feed that only
    confirms the 8-K changes nothing users read."""
    sec = next((a.seen_at for a in race if a.source == SEC_NAME), None)
    return next((a for a in race if a.url and (filing is None or sec is None or a.seen_at <= sec)), None)


def _priority(row: ReportedFigure) -> tuple[int, int]:
    # which source wins for one metric and basis: config/catalog.toml [reported_priority]
    return (catalog().reported_priority.get(row.source.split(":")[0], 9), -(row.id or 0))


def _basis_key(metric: str, basis: str) -> str | None:
    """Revenue is one figure whatever basis a vendor labels it with; EPS has two."""
    return None if metric in BASIS_NEUTRAL_METRICS else str(basis)


def compare_all(actuals: Sequence[Figure], expectations: Sequence[Expectation], band: InlineBand) -> list[Comparison]:
    """Compare each expectation with the reported figure of its metric (the comparable one when any)."""
    return _comparisons(actuals, expectations, band)


def _comparisons(actuals: Sequence[Figure], expectations: Sequence[Expectation], band: InlineBand) -> list[Comparison]:
    result = []
    for expectation in expectations:
        same_metric = [a for a in actuals if a.metric == expectation.figure.metric]
        if not same_metric:
            continue
        comparable = [a for a in same_metric if a.comparable_with(expectation.figure)]
        result.append(compare((comparable or same_metric)[0], expectation, band))
    return result


def _other_basis_eps(actuals: Sequence[Figure], comparisons: list[Comparison]) -> list[Figure]:
    """Return EPS figures on a basis no comparison used, so GAAP EPS still shows beside adjusted."""
    used = {(c.actual.metric, c.actual.basis) for c in comparisons}
    return [a for a in actuals if a.unit in (Unit.PER_SHARE, Unit.PER_ADS) and (a.metric, a.basis) not in used
            and a.basis in (Basis.GAAP, Basis.ADJUSTED)]


def _dedupe(figures: list[Figure]) -> list[Figure]:
    seen: dict[tuple[str, str | None, str, str | None], Figure] = {}
    for f in figures:
        seen.setdefault((f.metric, _basis_key(f.metric, f.basis), f.unit, f.currency), f)
    return list(seen.values())


def _source_filing(session: Session, rows: list[ReportedFigure]) -> Filing | None:
    """The filing of the most trusted figures that came with one (the 8-K's before the 10-Q's)."""
    accessions = [f.accession for f in sorted(rows, key=_priority) if f.accession]
    if not accessions:
        return None
    return session.exec(select(Filing).where(Filing.accession == accessions[0])).first()
