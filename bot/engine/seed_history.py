"""Seed a company's past results once, when it gets its first watcher: the quarters before the bot
knew it, so the first alert can already say "+78% YoY" and "4th straight EPS beat".

XBRL companyfacts give each past quarter's GAAP revenue and diluted EPS (actuals); the providers'
past surprises (Nasdaq's earnings-surprise table, Finnhub's /stock/earnings with a key) give the
adjusted EPS actual against its estimate. Fair to SEC: one companyfacts request per company, ever,
through the process's SEC rate limiter, at most SEED_PER_RUN companies per run, none while SEC's
companyfacts are backing off. A company whose every source failed is tried again next run.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import datetime

from sqlmodel import Session, col, func, select

from bot.domain.periods import period_key_for
from bot.domain.track_record import PastResult
from bot.engine.confirm import SOURCE_KEY as COMPANYFACTS_KEY
from bot.engine.confirm import xbrl_figure
from bot.engine.ports import Transactions
from bot.errors import SourceError
from bot.sources.edgar.client import EdgarClient
from bot.sources.edgar.companyfacts import quarterly_eps, quarterly_revenue
from bot.sources.surprises import SurpriseSource
from bot.store.history import is_seeded, mark_seeded, record_history
from bot.store.source_state import backing_off, record_source_error, record_source_success
from bot.store.tables import Chat, ChatStatus, Company, HistorySeed, Watch

logger = logging.getLogger(__name__)

SEED_PER_RUN = 3
XBRL_QUARTERS = 12  # three years of quarters per metric: enough for growth over the streak's eight


async def seed_histories(
    transactions: Transactions, edgar: EdgarClient | None, surprises: Sequence[SurpriseSource], *,
    clock: Callable[[], datetime], limit: int = SEED_PER_RUN,
) -> int:
    """Read the past results of watched companies not seeded yet; return how many were seeded."""
    seeded = 0
    for company_id, ticker, cik, sec_allowed in await transactions.run(_pending, clock(), limit):
        found: dict[str, list[PastResult]] = {}
        failures: list[str] = []
        if edgar is not None and cik is not None and sec_allowed:
            try:
                facts = await edgar.companyfacts(cik)
            except SourceError as exc:
                failures.append("xbrl")
                await transactions.run(_sec_answered, clock(), exc)
                sec_allowed = False
            else:
                await transactions.run(_sec_answered, clock(), None)
                found["xbrl"] = xbrl_history(facts or {})
        for source in surprises:
            try:
                found[source.name] = await source.fetch(ticker)
            except SourceError as exc:
                logger.info("history: %s past surprises of %s unavailable: %s", source.name, ticker, exc)
                failures.append(source.name)
        if not found:
            continue  # every source failed: tried again next run
        await transactions.run(_store, company_id, found, failures, clock())
        seeded += 1
        logger.info("history seeded ticker=%s %s", ticker, _outcome(found, failures))
    return seeded


def xbrl_history(facts: dict[str, object]) -> list[PastResult]:
    """Return the latest quarters of GAAP revenue and diluted EPS from companyfacts."""
    results: list[PastResult] = []
    for quarters in (quarterly_revenue(facts), quarterly_eps(facts)):
        for fact in quarters[-XBRL_QUARTERS:]:
            figure = xbrl_figure(fact)
            if figure is not None:
                results.append(PastResult(period_key_for(fact.end), figure))
    return results


def _pending(session: Session, now: datetime, limit: int) -> list[tuple[int, str, int | None, bool]]:
    """Watched companies (by an active chat) whose issuer has no history yet, one per issuer, oldest
    watch first."""
    seeded = select(HistorySeed.company_id)
    rows = session.exec(  # one row per company, not per watch: every /watch asks this
        select(Company.id, Company.ticker, Company.cik)
        .join(Watch, col(Watch.company_id) == col(Company.id))
        .join(Chat, col(Chat.id) == col(Watch.chat_pk))
        .where(Chat.status == ChatStatus.ACTIVE, col(Company.id).not_in(seeded))
        .group_by(col(Company.id), col(Company.ticker), col(Company.cik))
        .order_by(func.min(Watch.created_at), col(Company.id))
    ).all()
    sec_allowed = not backing_off(session, COMPANYFACTS_KEY, now)
    chosen: list[tuple[int, str, int | None, bool]] = []
    # GOOG after GOOGL: the issuer's history is read once, whichever class was watched first
    issuers: set[int] = {cik for cik in session.exec(
        select(Company.cik).join(HistorySeed, col(HistorySeed.company_id) == col(Company.id))).all() if cik is not None}
    for company_id, ticker, cik in rows:
        if company_id is None:
            continue
        issuer = cik if cik is not None else -company_id
        if issuer in issuers:
            continue
        issuers.add(issuer)
        chosen.append((company_id, ticker, cik, sec_allowed))
        if len(chosen) >= limit:
            break
    return chosen


def _sec_answered(session: Session, now: datetime, error: SourceError | None) -> None:
    if error is None:
        record_source_success(session, COMPANYFACTS_KEY, now)
    else:
        record_source_error(session, COMPANYFACTS_KEY, now, error=error)


def _store(session: Session, company_id: int, found: dict[str, list[PastResult]], failures: list[str],
           now: datetime) -> None:
    if is_seeded(session, company_id):
        return
    for source, results in found.items():
        for result in results:
            record_history(session, company_id, result.fiscal_period, result.figure, source=source, now=now,
                           estimate=result.estimate)
    mark_seeded(session, company_id, now, _outcome(found, failures))


def _outcome(found: dict[str, list[PastResult]], failures: list[str]) -> str:
    parts = [f"{name}={len(results)}" for name, results in found.items()]
    return " ".join(parts + [f"{name}=failed" for name in failures])
