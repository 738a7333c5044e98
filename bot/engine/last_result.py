"""/last TICKER: a company's latest result with every comparison, as its alert would read now,
with the asking chat's own numbers.

The bar is the one the alert froze: each source's expectation as of the report, the chat's own
numbers as set before it. Nothing is written: asking twice reads the same.
"""

from __future__ import annotations

from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from bot.domain.figures import HEADLINE_METRICS
from bot.domain.tickers import is_valid_ticker, normalize_ticker
from bot.domain.verdicts import Comparison
from bot.engine.alerts import ResultReport
from bot.engine.calendar_view import chat_zone
from bot.engine.evaluate import compare_all, event_report, in_line_band
from bot.engine.subscriptions import get_chat
from bot.store.companies import find_company, share_class_ids, suggest_tickers
from bot.store.figures import latest_expectations, own_expectations
from bot.store.tables import EarningsEvent, EventState, ReportedFigure


@dataclass(frozen=True)
class LastResult:
    """What /last found: the result (None when the company has none stored), or why not."""

    typed: str
    zone: ZoneInfo
    valid: bool = True
    ticker: str | None = None  # None: no such company
    company_name: str = ""
    suggestions: tuple[str, ...] = ()
    report: ResultReport | None = None
    own: tuple[Comparison, ...] = ()

    @property
    def known(self) -> bool:
        return self.ticker is not None


def last_result(session: Session, chat_id: int, typed: str) -> LastResult:
    """Return the latest reported result of any company, with this chat's own numbers."""
    zone = chat_zone(session, chat_id)
    symbol = normalize_ticker(typed)
    if not is_valid_ticker(symbol):
        return LastResult(typed[:20], zone, valid=False)
    company = find_company(session, symbol)
    if company is None:
        return LastResult(symbol, zone, suggestions=tuple(c.ticker for c in suggest_tickers(session, symbol)))
    found = LastResult(symbol, zone, ticker=company.ticker, company_name=company.name)
    events = session.exec(
        select(EarningsEvent).where(
            col(EarningsEvent.company_id).in_(share_class_ids(session, company)),
            EarningsEvent.state == EventState.REPORTED,
        ).order_by(col(EarningsEvent.reported_at).desc(), col(EarningsEvent.id).desc())
    ).all()
    for event in events:
        assert event.id is not None
        rows = list(session.exec(select(ReportedFigure).where(ReportedFigure.event_id == event.id)).all())
        if not any(row.metric in HEADLINE_METRICS for row in rows):
            continue
        band = in_line_band()
        expectations = [r.to_domain() for r in latest_expectations(session, event.id, until=event.reported_at)]
        built = event_report(session, company, event, rows, expectations, band)
        chat = get_chat(session, chat_id)
        own_rows = own_expectations(session, event.id, chat_pks=[chat.id], until=event.reported_at) \
            if chat is not None and chat.id is not None else []
        own = tuple(compare_all(built.actuals, [r.to_domain() for r in own_rows], band))
        return LastResult(symbol, zone, ticker=company.ticker, company_name=company.name, report=built.report,
                          own=own)
    return found
