"""Reported figures from an earnings press release (the 8-K / 6-K exhibit 99.1).

    release = extract_figures(html)
    release.figure("eps", basis="adjusted")  # ExtractedFigure(value=Decimal("0.89"), ...)
    data = await run_extract("q4fy25pr.htm", user_agent=None)  # `earnings-bot extract`: file or URL

Figures are read from sentences and from tables. Each place that states a figure gives a candidate;
the candidates of one figure must agree (within the rounding of the less precise one: "$39.3
billion" and 39,331 in a table agree), and the most precise is kept. When they disagree, or the
release does not say clearly which quarter, basis or scale a number is in, the figure is left out:
a missing figure is better than a wrong one.
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlsplit

import httpx

from bot.domain.figures import Basis, Figure, Unit
from bot.domain.kpis import KpiDefinition, is_guidance_metric
from bot.errors import SourceDataInvalid, SourceUnavailable, UserInputError
from bot.redaction import redact
from bot.sources.edgar.amounts import whole
from bot.sources.edgar.document_text import Table, TextLine, read_document
from bot.sources.edgar.filing_index import exhibit_99_1, parse_filing_index
from bot.sources.edgar.release_kpis import kpi_candidates
from bot.sources.edgar.release_parts import (
    Candidate,
    quarter_end_date,
    quarter_number,
    quarter_phrase,
)
from bot.sources.edgar.release_tables import table_candidates
from bot.sources.edgar.release_text import ReleaseTextReader
from bot.sources.http import RateLimiter, make_client

logger = logging.getLogger(__name__)

SEC_BLOCKED_RETRY_AFTER = 900.0
MAX_AMOUNT = Decimal(10) ** 16  # ten quadrillion: more than any company states
_TITLE_WORDS = re.compile(r"(?i)\b(?:announces|announced|reports|reported|results|earnings)\b")
_NOT_A_TITLE = re.compile(
    r"(?i)^(?:exhibit|form\s)|current\s+report|report\s+of\s+foreign|date\s+of\s+report|period\s+of\s+report|"
    r"check\s+mark|annual\s+reports?\b|forward-looking"
)
_COMPANY_BEFORE_VERB = r"^(?P<company>.+?)\s+(?:announces|reports|reported|posts|releases|announced)\b"


@dataclass(frozen=True, slots=True)
class ExtractedFigure:
    """One figure a release states: value in whole currency units, or per share / per ADS."""

    metric: str
    value: Decimal
    unit: Unit
    currency: str
    basis: Basis
    period: str | None
    evidence: str
    low: Decimal | None = None
    high: Decimal | None = None

    def as_figure(self) -> Figure:
        """Return the domain figure (metric, basis, unit, currency, value); a rate or count has no currency."""
        return Figure(self.metric, self.basis, self.unit, self.currency or None, self.value)

    def to_json(self) -> dict[str, str | None]:
        """Return the figure as JSON-ready strings (values as exact decimals)."""
        data: dict[str, str | None] = {
            "metric": self.metric, "value": _decimal_text(self.value), "unit": str(self.unit),
            "currency": self.currency, "basis": str(self.basis), "period": self.period,
        }
        if self.low is not None and self.high is not None:
            data["low"] = _decimal_text(self.low)
            data["high"] = _decimal_text(self.high)
        data["evidence"] = self.evidence
        return data


@dataclass(frozen=True, slots=True)
class ExtractedRelease:
    """What a press release says: title, company, quarter and the figures read with confidence."""

    title: str | None
    company: str | None
    period: str | None
    period_end: date | None
    figures: tuple[ExtractedFigure, ...]
    conflicts: tuple[str, ...] = ()
    # the fiscal quarter (1-4) the release names ("fourth quarter ended January 26, 2025"): with the
    # period end it tells the company's fiscal year end
    fiscal_quarter: int | None = None

    def figure(
        self, metric: str, basis: str = "gaap", unit: str | None = None, currency: str | None = None
    ) -> ExtractedFigure | None:
        """Return the figure of a metric and basis (and unit / currency when given), if read."""
        for figure in self.figures:
            if (
                figure.metric == metric and figure.basis == basis
                and (unit is None or figure.unit == unit)
                and (currency is None or figure.currency == currency)
            ):
                return figure
        return None

    def to_json(self) -> dict[str, object]:
        """Return the release as a JSON-ready dict."""
        return {
            "title": self.title, "company": self.company, "period": self.period,
            "period_end": self.period_end.isoformat() if self.period_end else None,
            "fiscal_quarter": self.fiscal_quarter,
            "figures": [figure.to_json() for figure in self.figures],
            "conflicts": list(self.conflicts),
        }


def extract_figures(content: str | bytes) -> ExtractedRelease:
    """Read revenue, EPS, net income, next-quarter revenue guidance and clear segment revenue."""
    blocks = read_document(content)
    lines = [block.text for block in blocks if isinstance(block, TextLine)]
    title = _title(lines)
    period, period_end = _release_period(lines)
    reader = ReleaseTextReader(period)
    candidates: list[Candidate] = []
    tables: list[tuple[Table, list[str]]] = []
    recent: list[str] = []
    for block in blocks:
        if isinstance(block, TextLine):
            candidates.extend(reader.read(block.text))
            recent = [*recent[-3:], block.text]
        else:
            tables.append((block, recent))
    default_currency = _main_currency(reader.currencies)
    for table, context in tables:
        candidates.extend(table_candidates(table, context, default_currency=default_currency, period=period))
    figures, conflicts = reconcile(candidates)
    logger.debug("release %r: %d figures, conflicts %s", title, len(figures), conflicts)
    return ExtractedRelease(
        title=title, company=_company(title), period=period, period_end=period_end,
        figures=tuple(figures), conflicts=tuple(conflicts),
        fiscal_quarter=(quarter_number(period) or quarter_number(title)) if period_end else None,
    )


def extract_kpis(content: str | bytes, definitions: Sequence[KpiDefinition]) -> tuple[ExtractedFigure, ...]:
    """Read a company's KPIs (``kpi:<key>``) and their guidance (``kpi:<key>_guidance``) from a release.

    Readings of one KPI must agree as the headline figures' do; guidance is kept per period it names.
    """
    blocks = read_document(content)
    period, _ = _release_period([block.text for block in blocks if isinstance(block, TextLine)])
    by_period: dict[str | None, list[Candidate]] = {}
    for candidate in kpi_candidates(blocks, definitions, period):
        key = candidate.period if is_guidance_metric(candidate.metric) else None
        by_period.setdefault(key, []).append(candidate)
    figures: list[ExtractedFigure] = []
    for candidates in by_period.values():
        read, conflicts = reconcile(candidates)
        figures.extend(read)
        if conflicts:
            logger.debug("release KPIs disagree: %s", conflicts)
    return tuple(figures)


async def run_extract(
    target: str, *, user_agent: str | None, limiter: RateLimiter | None = None,
) -> dict[str, object]:
    """Read a press release from a file path or URL (an EDGAR -index page leads to its EX-99.1).

    limiter paces the requests to SEC (the process's SEC limiter); other hosts are not paced."""
    if not target.startswith(("http://", "https://")):
        path = Path(target)
        if not path.is_file():
            raise UserInputError(f"no such file: {target}")
        release = extract_figures(path.read_bytes())
        return {"source": str(path), **release.to_json()}
    sec = _is_sec_host(target)
    if sec and not user_agent:
        raise UserInputError(
            "SEC refuses requests without a declared User-Agent: set SEC_USER_AGENT to your name and e-mail"
        )
    async with make_client(user_agent=user_agent if sec else None) as http:
        body = await _download(http, target, user_agent if sec else None, limiter if sec else None)
        source = target
        if _is_index_page(target):
            exhibit = exhibit_99_1(parse_filing_index(body, base_url=_origin(target)))
            if exhibit is None:
                raise SourceDataInvalid(f"sec: {redact(target)} lists no EX-99.1 press release")
            body = await _download(http, exhibit.url, user_agent if sec else None, limiter if sec else None)
            source = exhibit.url
    release = extract_figures(body)
    return {"source": source, **release.to_json()}


async def _download(
    http: httpx.AsyncClient, url: str, user_agent: str | None, limiter: RateLimiter | None = None,
) -> bytes:
    headers = {"User-Agent": user_agent} if user_agent else None
    if limiter is not None:
        await limiter.acquire()
    try:
        response = await http.get(url, headers=headers)
    except httpx.HTTPError as exc:
        raise SourceUnavailable(f"{type(exc).__name__} fetching {redact(url)}") from exc
    if response.status_code == 403 and _is_sec_host(url):
        raise SourceUnavailable(
            f"sec: HTTP 403 for {redact(url)}: SEC refused the request (undeclared User-Agent or over "
            "the rate limit); backs off for at least 10 minutes",
            retry_after=SEC_BLOCKED_RETRY_AFTER,
        )
    if response.status_code != 200:
        raise SourceUnavailable(f"HTTP {response.status_code} for {redact(url)}")
    return response.content


def _is_sec_host(url: str) -> bool:
    host = (urlsplit(url).hostname or "").lower()
    return host == "sec.gov" or host.endswith(".sec.gov")


def _is_index_page(url: str) -> bool:
    return urlsplit(url).path.endswith(("-index.htm", "-index.html"))


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def reconcile(candidates: list[Candidate]) -> tuple[list[ExtractedFigure], list[str]]:
    """Keep one figure per (metric, basis, unit, currency) when all readings agree; list the rest."""
    groups: dict[tuple[str, Basis, Unit, str], list[Candidate]] = {}
    for candidate in candidates:
        key = (candidate.metric, candidate.basis, candidate.unit, candidate.currency)
        groups.setdefault(key, []).append(candidate)
    figures: list[ExtractedFigure] = []
    conflicts: list[str] = []
    for (metric, basis, unit, currency), group in groups.items():
        group = [c for c in group if abs(c.value) < MAX_AMOUNT]  # a garbled number, not a figure
        if not group:
            continue
        top_rank = max(c.rank for c in group)
        group = [c for c in group if c.rank == top_rank]
        best = min(group, key=lambda c: c.step)
        if any(abs(c.value - best.value) > max(c.step, best.step) for c in group):
            values = sorted({_decimal_text(c.value) for c in group})
            conflicts.append(f"{metric} {basis} {unit} {currency}: {', '.join(values)}")
            continue
        figures.append(ExtractedFigure(
            metric=metric, value=whole(best.value) if unit == Unit.MONEY else best.value, unit=unit,
            currency=currency, basis=basis, period=best.period, evidence=best.evidence,
            low=whole(best.low) if best.low is not None else None,
            high=whole(best.high) if best.high is not None else None,
        ))
    return figures, conflicts


def _decimal_text(value: Decimal) -> str:
    return format(value, "f")


def _title(lines: list[str]) -> str | None:
    for line in lines[:40]:
        if len(line) <= 200 and _TITLE_WORDS.search(line) and not _NOT_A_TITLE.search(line):
            return line
    return None


def _company(title: str | None) -> str | None:
    if not title:
        return None
    match = re.match(_COMPANY_BEFORE_VERB, title, re.I)
    return match["company"].strip(" ,") if match else None


def _release_period(lines: list[str]) -> tuple[str | None, date | None]:
    for line in lines[:60]:
        end = quarter_end_date(line)
        if end is not None:
            return quarter_phrase(line), end
    for line in lines[:60]:
        phrase = quarter_phrase(line)
        if phrase and len(phrase) > 3:
            return phrase, None
    return None, None


def _main_currency(currencies: list[str]) -> str | None:
    """Return the one currency the text is written in; None when it mixes (RMB with US$ in brackets)."""
    counted = Counter(currencies)
    if not counted:
        return None
    currency, count = counted.most_common(1)[0]
    return currency if count >= 0.9 * sum(counted.values()) else None

