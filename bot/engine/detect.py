"""Detect: SEC EDGAR tells first that a watched company has filed. Record the filing, alert at once,
then read the press release (EX-99.1) for the figures.

Every filing is stored by accession before anything is sent, so a filing seen while a later step
failed is finished on the next run, and never alerted twice.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from bot.catalog import catalog
from bot.domain.figures import Figure
from bot.domain.kpis import KpiDefinition, is_guidance_metric
from bot.domain.market_time import as_utc, utc_now
from bot.engine.alerts import FilingAlert, FilingNotice
from bot.engine.guidance import guidance_seen
from bot.engine.poll import PollPace
from bot.engine.ports import Outbox, Transactions
from bot.engine.preferences import (
    announcement_audience,
    announcement_kinds,
    any_chat_wants,
    kinds_of_filing,
)
from bot.engine.releases import FilingSeen, apply_release_figures, record_filing
from bot.errors import SourceError, SourceUnavailable
from bot.sources.edgar.client import EdgarClient
from bot.sources.edgar.feed import FeedEntry, is_earnings_release
from bot.sources.edgar.filing_index import exhibit_99_1, is_results_6k
from bot.sources.edgar.press_release import (
    ExtractedFigure,
    ExtractedRelease,
    extract_figures,
    extract_kpis,
)
from bot.sources.edgar.release_growth import stated_growth
from bot.store.companies import share_class_ids
from bot.store.source_state import (
    backing_off,
    get_source_state,
    record_source_error,
    record_source_success,
)
from bot.store.tables import (
    Chat,
    ChatStatus,
    Company,
    FilerKind,
    Filing,
    FilingKind,
    FilingState,
    Watch,
)

logger = logging.getLogger(__name__)

SOURCE_KEY = "sec_edgar"
MAX_FIGURE_ATTEMPTS = 5  # a filing whose exhibit can't be read is given up after this many tries
MAX_UNAVAILABLE_ATTEMPTS = 40  # ... or after this many while SEC did not answer (hours of backoff)
MAX_PAGES = 5  # 500 filings per form between two reads, newest first
FEED_PAGE = 100
FEED_OVERLAP = timedelta(minutes=5)


@dataclass
class DetectOutcome:
    """What one EDGAR poll did."""

    requests: int = 0
    new_filings: int = 0
    alerts: int = 0
    figures_read: int = 0
    errors: list[str] = field(default_factory=list)
    skipped: bool = False


class EdgarDetector:
    """Polls EDGAR's current-filings feed for the companies chats watch."""

    def __init__(
        self, transactions: Transactions, client: EdgarClient, *, outbox: Outbox, active_seconds: float,
        idle_seconds: float, clock: Callable[[], datetime] = utc_now, on_alerts: Callable[[], None] | None = None,
        kpis_of: Callable[[str], Sequence[KpiDefinition]] | None = None,
    ) -> None:
        self.transactions = transactions
        self.client = client
        self.outbox = outbox
        self.active_seconds = active_seconds
        self.idle_seconds = idle_seconds
        self.clock = clock
        self.on_alerts = on_alerts
        self.kpis_of = kpis_of  # a ticker's KPI definitions, read from its releases too
        self.pace = PollPace(transactions, active_seconds=active_seconds, idle_seconds=idle_seconds, clock=clock)

    async def tick(self) -> DetectOutcome:
        """Poll if the interval for the current mode has passed (called every active interval)."""
        if not await self.pace.due():
            return DetectOutcome(skipped=True)
        return await self.poll()

    async def poll(self) -> DetectOutcome:
        """Read the feed once, record new filings of watched companies, finish pending ones."""
        outcome = DetectOutcome()
        plan = await self.transactions.run(self._plan)
        if plan is None:
            outcome.skipped = True
            return outcome
        watched, forms, last_read = plan
        # Page back until the feed reaches the previous read (with a margin for clock skew); on the
        # first read, one page: older filings are history, not news.
        since = as_utc(last_read) - FEED_OVERLAP if last_read is not None else None
        if watched:
            for form in forms:
                if not await self._read_feed(form, watched, outcome, since=since):
                    break
        notices = outcome.alerts
        if notices:
            self._wake()  # "has just filed" goes out now; reading the figures takes a moment more
        await self._finish_pending(outcome)
        if outcome.alerts > notices:
            self._wake()
        return outcome

    def _plan(self, session: Session) -> tuple[dict[int, list[Company]], list[str], datetime | None] | None:
        """Return what to read (watched companies by CIK, forms, the previous read), or None while backing off."""
        if backing_off(session, SOURCE_KEY, self.clock()):
            return None
        state = get_source_state(session, SOURCE_KEY)
        return (_watched_by_cik(session), ["8-K", "6-K"] + _announcement_forms(session),
                state.last_success_at if state else None)

    def _wake(self) -> None:
        if self.on_alerts is not None:
            self.on_alerts()

    async def _read_feed(
        self, form: str, watched: dict[int, list[Company]], outcome: DetectOutcome, *, since: datetime | None
    ) -> bool:
        entries: list[FeedEntry] = []
        try:
            for page in range(MAX_PAGES):
                batch = await self.client.current_filings(form, count=FEED_PAGE, start=page * FEED_PAGE)
                outcome.requests += 1
                entries.extend(batch)
                if (not batch or since is None or self.client.last_page_entries < FEED_PAGE
                        or min(e.accepted_at for e in batch) < since):
                    break
        except SourceError as exc:
            await self.transactions.run(self._failed, exc, outcome)
            return False
        await self.transactions.run(self._record_entries, entries, watched, outcome)
        return True

    def _record_entries(
        self, session: Session, entries: list[FeedEntry], watched: dict[int, list[Company]], outcome: DetectOutcome,
    ) -> None:
        record_source_success(session, SOURCE_KEY, self.clock())
        known = set(session.exec(select(Filing.accession).where(
            col(Filing.accession).in_([e.accession for e in entries]))).all())
        for entry in entries:
            cik = next((c for c in (entry.cik, *entry.ciks) if c in watched), None)
            if entry.accession in known or cik is None:
                continue
            known.add(entry.accession)
            company = watched[cik][0]  # GOOG and GOOGL share a CIK: one filing, one alert
            outcome.alerts += self._record(session, company, entry, outcome)

    def _record(self, session: Session, company: Company, entry: FeedEntry, outcome: DetectOutcome) -> int:
        now = self.clock()
        if is_earnings_release(entry):
            seen = _seen(entry, FilingKind.EARNINGS_RELEASE)
            _filing, alert = record_filing(session, company, seen, outbox=self.outbox, now=now)
            outcome.new_filings += 1
            return int(alert is not None)
        if entry.form.upper().startswith("6-K"):
            # A 6-K's kind is only known from its exhibit: stored now, classified in _finish_pending.
            session.add(_filing_row(company, _seen(entry, FilingKind.OTHER), now))
            outcome.new_filings += 1
            return 0
        kinds = kinds_of_filing(entry.form, entry.items)
        if not kinds:
            return 0
        filing = _filing_row(company, _seen(entry, FilingKind.ANNOUNCEMENT), now)
        filing.state = FilingState.DONE
        session.add(filing)
        session.flush()
        outcome.new_filings += 1
        audience = announcement_audience(session, share_class_ids(session, company), {k.key for k in kinds})
        if not audience:
            return 0
        notice = FilingNotice(
            ticker=company.ticker, company_name=company.name, form=entry.form, items=entry.items,
            accepted_at=entry.accepted_at, url=entry.index_url, is_results=False,
            item_titles=tuple(titles[i] for i in entry.items if i in (titles := catalog().item_titles))
            or tuple(k.title for k in kinds),
        )
        published = self.outbox.publish(session, FilingAlert(
            notice=notice, accession=entry.accession, company_id=company.id, filing_id=filing.id,
            event_id=None, audience=tuple(audience),
        ), now=now)
        return int(published.alert is not None)

    async def _finish_pending(self, outcome: DetectOutcome) -> None:
        """Read the exhibit of every filing not finished yet: figures for results, kind for 6-Ks."""
        for filing in await self.transactions.run(self._pending):
            try:
                await self._finish(filing, outcome)
            except SourceUnavailable as exc:
                await self.transactions.run(self._gave_up_once, filing, exc, outcome, limit=MAX_UNAVAILABLE_ATTEMPTS)
                await self.transactions.run(self._failed, exc, outcome)
                return
            except SourceError as exc:
                await self.transactions.run(self._gave_up_once, filing, exc, outcome)
            except Exception as exc:  # noqa: BLE001 - an exhibit we can't read must not stop the others
                logger.exception("could not read the exhibit of accession=%s", filing.accession)
                unreadable = SourceError(f"unreadable exhibit ({type(exc).__name__})")
                await self.transactions.run(self._gave_up_once, filing, unreadable, outcome)

    def _pending(self, session: Session) -> list[Filing]:
        # Filings that failed before go last, so one that keeps failing never holds up new ones.
        return list(session.exec(
            select(Filing).where(Filing.state == FilingState.SEEN)
            .order_by(col(Filing.attempts), col(Filing.accepted_at))
        ).all())

    async def _finish(self, filing: Filing, outcome: DetectOutcome) -> None:
        index = await self.client.filing_index(filing.cik, filing.accession)
        outcome.requests += 1
        exhibit = exhibit_99_1(index)
        if exhibit is None:
            await self.transactions.run(self._mark, filing, FilingState.DONE, "no EX-99.1 exhibit")
            if filing.kind == FilingKind.EARNINGS_RELEASE:
                await self.transactions.run(self._without_release, filing)  # XBRL gives the figures later
            return
        content = await self.client.document(exhibit.url)
        outcome.requests += 1
        release = await asyncio.to_thread(extract_figures, content)  # a long exhibit must not stall the bot
        definitions = await self.transactions.run(self._kpi_definitions, filing)
        kpis = await asyncio.to_thread(extract_kpis, content, definitions) if definitions else ()
        growth = await asyncio.to_thread(stated_growth, content, [f.as_figure() for f in release.figures])
        await self.transactions.run(self._apply_release, filing, release, content, outcome, kpis, growth)

    def _kpi_definitions(self, session: Session, filing: Filing) -> Sequence[KpiDefinition]:
        """Return the KPIs defined for the filing's company (config/kpis.toml), none without a company."""
        company = session.get(Company, filing.company_id) if filing.company_id else None
        return self.kpis_of(company.ticker) if company is not None and self.kpis_of is not None else ()

    def _apply_release(self, session: Session, filing: Filing, release: ExtractedRelease, content: bytes,
                       outcome: DetectOutcome, kpis: Sequence[ExtractedFigure] = (),
                       growth: Sequence[Figure] = ()) -> None:
        """Classify a 6-K by its exhibit, then store the release's figures and evaluate them."""
        now = self.clock()
        row = session.get(Filing, filing.id)
        company = session.get(Company, row.company_id) if row and row.company_id else None
        if row is None or company is None:
            return
        if row.kind == FilingKind.OTHER:
            title = release.title or ""
            if not (is_results_6k(title) or is_results_6k(content)):
                row.state = FilingState.DONE
                session.add(row)
                return
            row.kind = FilingKind.EARNINGS_RELEASE
            session.add(row)
            company.filer_kind = FilerKind.FOREIGN  # reports on 6-K: no 10-Q to confirm from
            session.add(company)
            _f, alert = record_filing(session, company, _seen_from_row(row, title), outbox=self.outbox, now=now)
            outcome.alerts += alert is not None
        # a KPI's outlook names another period than the quarter's: not a figure of this report
        figures = [f.as_figure() for f in release.figures]
        figures += [k.as_figure() for k in kpis if not is_guidance_metric(k.metric)]
        outcome.figures_read += len(figures)
        figures += growth  # the release's own year-over-year growth of its headline figures
        evaluations = apply_release_figures(session, row, figures, outbox=self.outbox, now=now,
                                            period_end=release.period_end,
                                            fiscal_quarter=release.fiscal_quarter,
                                            guidance=guidance_seen([*release.figures, *kpis]))
        outcome.alerts += sum(e.alert is not None for e in evaluations)

    def _without_release(self, session: Session, filing: Filing) -> None:
        row = session.get(Filing, filing.id)
        if row is not None:
            apply_release_figures(session, row, [], outbox=self.outbox, now=self.clock())

    def _mark(self, session: Session, filing: Filing, state: FilingState, error: str | None) -> None:
        row = session.get(Filing, filing.id)
        if row is not None:
            row.state = state
            row.last_error = error
            session.add(row)

    def _gave_up_once(
        self, session: Session, filing: Filing, exc: SourceError, outcome: DetectOutcome, *, limit: int = MAX_FIGURE_ATTEMPTS
    ) -> None:
        outcome.errors.append(f"{filing.accession}: {exc}")
        row = session.get(Filing, filing.id)
        if row is None:
            return
        row.attempts += 1
        row.last_error = str(exc)[:500]
        if row.attempts >= limit:
            row.state = FilingState.FAILED
            logger.warning("giving up on the figures of accession=%s: %s", row.accession, exc)
        session.add(row)

    def _failed(self, session: Session, exc: SourceError, outcome: DetectOutcome) -> None:
        outcome.errors.append(str(exc))
        retry_after = getattr(exc, "retry_after", None)
        if retry_after and retry_after >= 600:
            logger.warning("SEC refused our requests: backing off for %d minutes (%s)", retry_after // 60, exc)
        else:
            logger.warning("SEC EDGAR failed: %s", exc)
        # Each failure in a row waits longer (from twice the active interval), whatever the
        # error; SEC's retry_after (a 403 block: 15 minutes) wins when it is longer.
        record_source_error(session, SOURCE_KEY, self.clock(), error=exc, base=2 * self.active_seconds)


def _watched_by_cik(session: Session) -> dict[int, list[Company]]:
    companies = session.exec(
        select(Company)
        .join(Watch, col(Watch.company_id) == col(Company.id))
        .join(Chat, col(Chat.id) == col(Watch.chat_pk))
        .where(Chat.status == ChatStatus.ACTIVE, col(Company.cik).is_not(None))
        .distinct()
    ).all()
    result: dict[int, list[Company]] = {}
    for company in sorted(companies, key=lambda c: c.ticker):
        result.setdefault(company.cik, []).append(company)  # type: ignore[arg-type]
    return result


def _announcement_forms(session: Session) -> list[str]:
    forms: list[str] = []
    for kind in announcement_kinds():
        if kind.feed_types and any_chat_wants(session, {kind.key}):
            forms.extend(kind.feed_types)
    return forms


def _seen(entry: FeedEntry, kind: FilingKind) -> FilingSeen:
    return FilingSeen(accession=entry.accession, cik=entry.cik, form=entry.form, items=tuple(entry.items),
                      accepted_at=entry.accepted_at, url=entry.index_url, kind=kind)


def _seen_from_row(row: Filing, title: str) -> FilingSeen:
    return FilingSeen(accession=row.accession, cik=row.cik, form=row.form, items=(),
                      accepted_at=row.accepted_at, url=row.url, kind=FilingKind.EARNINGS_RELEASE,
                      item_titles=(title,) if title else ())


def _filing_row(company: Company, seen: FilingSeen, now: datetime) -> Filing:
    return Filing(accession=seen.accession, company_id=company.id, cik=seen.cik, form=seen.form,
                  items=",".join(seen.items), accepted_at=seen.accepted_at, url=seen.url, kind=seen.kind,
                  seen_at=now)
