"""Render alerts as Telegram HTML. Pure functions: data in, text out; every dynamic string escaped."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from html import escape
from zoneinfo import ZoneInfo

from bot.catalog import catalog
from bot.domain.comparability import Span
from bot.domain.figures import Basis, Figure, Metric, Unit
from bot.domain.market_time import NEW_YORK, TIMING_LABELS, Timing
from bot.domain.moments import ReportMoment, describe_moment, describe_time
from bot.domain.outlook import Outlook, OutlookComparison, actual_metric_of
from bot.domain.track_record import Growth, Streak, ordinal
from bot.domain.verdicts import Comparison, EventVerdict, Verdict
from bot.engine.alerts import DateChangeNotice, Disputed, FilingNotice, ResultReport, RevisionNotice

CURRENCY_PREFIX = {"USD": "$", "CNY": "RMB", "RMB": "RMB", "EUR": "€", "GBP": "£", "JPY": "¥", "HKD": "HK$"}
VERDICT_MARK = {
    Verdict.BEAT: "✅ beat",
    Verdict.MISS: "❌ miss",
    Verdict.IN_LINE: "➖ in line",
    Verdict.NOT_COMPARABLE: "⚠️ not comparable",
    Verdict.IMPLAUSIBLE: "⚠️ not judged: too far from the estimate to trust, check the release",
}
HEADLINE_MARK = {
    EventVerdict.BEAT: "🟢",
    EventVerdict.MISS: "🔴",
    EventVerdict.MIXED: "🟡",
    EventVerdict.IN_LINE: "⚪",
    EventVerdict.REPORTED: "📣",
}
METRIC_NAMES = {
    Metric.EPS: "EPS",
    Metric.REVENUE: "Revenue",
    Metric.NET_INCOME: "Net income",
    Metric.REVENUE_GUIDANCE: "Next-quarter revenue outlook",
}
NO_CONSENSUS = "<i>No consensus stored for this report: figures only, no verdict.</i>"
COMPUTED_NOTE = "computed from the same quarter a year earlier, not stated"


def _quantize(value: Decimal, places: int) -> Decimal:
    return value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def format_money(value: Decimal, currency: str | None) -> str:
    """Return '$39.33B', '-$12.5M', 'RMB280.15B'."""
    prefix = CURRENCY_PREFIX.get((currency or "").upper(), f"{currency} " if currency else "")
    shown, suffix = _quantize(abs(value), 2), ""
    for threshold, unit in ((Decimal(10) ** 3, "K"), (Decimal(10) ** 6, "M"), (Decimal(10) ** 9, "B"),
                            (Decimal(10) ** 12, "T")):
        scaled = _quantize(abs(value) / threshold, 2)
        if scaled >= 1:  # after rounding: 999,999,999 is $1.00B, not $1000.00M
            shown, suffix = scaled, unit
    return _signed(value, shown, f"{prefix}{shown}{suffix}")


def _signed(value: Decimal, shown: Decimal, text: str) -> str:
    """Put a minus in front unless the shown amount rounds to zero ("$0.00", never "-$0.00")."""
    return f"-{text}" if value < 0 and shown != 0 else text


def format_per_share(value: Decimal, currency: str | None) -> str:
    """Return '$0.89', '-$0.11', 'RMB20.39'."""
    prefix = CURRENCY_PREFIX.get((currency or "").upper(), f"{currency} " if currency else "")
    shown = _quantize(abs(value), 2)
    return _signed(value, shown, f"{prefix}{shown}")


def format_value(figure: Figure) -> str:
    """Return the figure's value as users read it, with its unit."""
    if figure.unit is Unit.PERCENT:
        return f"{_quantize(figure.value, 1)}%"
    if figure.unit in (Unit.PER_SHARE, Unit.PER_ADS):
        text = format_per_share(figure.value, figure.currency)
        return text + ("/ADS" if figure.unit is Unit.PER_ADS else "")
    return format_money(figure.value, figure.currency)


def format_surprise(comparison: Comparison) -> str:
    """Return '+6.0%', or the absolute difference when the expectation was zero."""
    if comparison.surprise_percent is not None:
        return f"{_quantize(comparison.surprise_percent, 1):+}%"
    if comparison.difference is None:
        return ""
    diff = Figure(comparison.actual.metric, comparison.actual.basis, comparison.actual.unit,
                  comparison.actual.currency, comparison.difference)
    sign = "+" if comparison.difference >= 0 else ""
    return f"{sign}{format_value(diff)} vs zero"


def metric_name(metric: str) -> str:
    """Return 'EPS', 'Revenue' or a KPI's readable name."""
    if metric in METRIC_NAMES:
        return METRIC_NAMES[Metric(metric)]
    if metric == "kpi:capex":
        return "Capex"
    return metric.removeprefix("kpi:").replace("_", " ").capitalize()


def source_name(source: str) -> str:
    """Return a vendor's display name; a chat's own number is 'your estimate'."""
    if source.startswith("chat:"):
        return "your estimate"
    return catalog().vendor_names.get(source, source)


def _basis_label(figure: Figure) -> str:
    if figure.metric == Metric.EPS:
        return "GAAP" if figure.basis is Basis.GAAP else "adjusted"
    return ""


def comparison_line(comparison: Comparison) -> str:
    """Return 'EPS $0.89 vs $0.84 est. (+6.0%) ✅ beat · adjusted, Nasdaq (14 est.)'."""
    actual, expected = comparison.actual, comparison.expectation.figure
    name = metric_name(actual.metric)
    surprise = format_surprise(comparison)
    mark = VERDICT_MARK[comparison.verdict]
    details = [part for part in (_basis_label(expected), source_name(comparison.expectation.source)) if part]
    if comparison.expectation.estimates:
        details[-1] += f" ({comparison.expectation.estimates} est.)"
    if comparison.verdict is Verdict.NOT_COMPARABLE:
        reported = f"{_basis_label(actual)} {format_value(actual)}".strip()
        est = f"{_basis_label(expected)} {format_value(expected)}".strip()
        return escape(f"{name} {reported} vs {est} est. {mark} · {', '.join(details[1:] or details)}")
    text = f"{name} {format_value(actual)} vs {format_value(expected)} est."
    if surprise and comparison.verdict is not Verdict.IMPLAUSIBLE:
        text += f" ({surprise})"
    return escape(f"{text} {mark} · {', '.join(details)}")


def own_line(comparison: Comparison) -> str:
    """Return a chat's own number against the reported figure: 'EPS $0.89 vs $0.90 yours (-1.1%) ❌ miss'.

    Not comparable (another basis, currency or unit): both values, no verdict."""
    actual, expected = comparison.actual, comparison.expectation.figure
    name = metric_name(actual.metric)
    mark = VERDICT_MARK[comparison.verdict]
    if comparison.verdict is Verdict.NOT_COMPARABLE:
        reported = f"{_basis_label(actual)} {format_value(actual)}".strip()
        own = f"{_basis_label(expected)} {format_value(expected)}".strip()
        return escape(f"{name} {reported} vs {own} yours {mark}")
    text = f"{name} {format_value(actual)} vs {format_value(expected)} yours"
    surprise = format_surprise(comparison)
    if surprise and comparison.verdict is not Verdict.IMPLAUSIBLE:
        text += f" ({surprise})"
    return escape(f"{text} {mark}")


def render_result(report: ResultReport, zone: ZoneInfo = NEW_YORK, own: Sequence[Comparison] = ()) -> str:
    """Return the HTML of a result alert: headline, headline metrics, the chat's own numbers, other
    expectations, facts; the time of the report in the chat's zone."""
    mark = HEADLINE_MARK[report.verdict]
    verb = "reported" if report.verdict is EventVerdict.REPORTED else report.verdict.value
    title = f"{mark} <b>{escape(report.ticker)} {escape(verb)}: {escape(report.period_label)}</b>"
    if report.revision > 1:
        title += " (updated)"
    lines = [title]
    subtitle = escape(report.company_name)
    if report.reported_at is not None:
        subtitle += f" · {escape(describe_time(report.reported_at, zone))}"
    elif report.timing is not Timing.UNKNOWN:
        subtitle += f" · {escape(TIMING_LABELS[report.timing])}"
    lines.append(f"<i>{subtitle}</i>")
    lines.extend(comparison_line(c) for c in report.headline)
    lines.extend(track_record_lines(report))
    if own:
        lines.append("")
        lines.append("<b>Your numbers</b>")
        lines.extend(_noted(own_line(c), c, report) for c in own)
    if report.others:
        lines.append("")
        lines.append("<b>Other expectations</b>")
        lines.extend(_noted(comparison_line(c), c, report) for c in report.others)
    facts = [f"{_fact_name(f)} {format_value(f)}" for f in report.uncompared]
    if facts:
        lines.append("")
        lines.append("Reported: " + escape(" · ".join(facts)))
    lines.extend(disputed_line(d) for d in report.disputed)
    if not report.headline and not report.others and not report.disputed:
        lines.append(NO_CONSENSUS)
    if report.source_url:
        links = [(report.source_url, report.source_label or "Source"), *report.more_links]
        lines.append(" · ".join(f'<a href="{escape(url, quote=True)}">{escape(label)}</a>' for url, label in links))
    return "\n".join(lines)


def _noted(line: str, comparison: Comparison, report: ResultReport) -> str:
    """Say so when the reported side is not what the release stated but computed from history."""
    return f"{line} · {COMPUTED_NOTE}" if comparison.actual.metric in report.computed else line


def track_record_lines(report: ResultReport) -> list[str]:
    """Return the year-over-year growth, the streak and the outlook lines of a result (HTML)."""
    lines = []
    if report.growth:
        lines.append(escape(" · ".join(growth_text(g) for g in report.growth)))
    if report.streak is not None:
        lines.append(escape(streak_text(report.streak)))
    lines.extend(escape(outlook_line(o)) for o in report.outlook)
    return lines


def growth_text(growth: Growth) -> str:
    """Return 'Revenue +78% YoY' or 'adjusted EPS +71% YoY' (one decimal under 10%)."""
    places = 0 if abs(growth.percent) >= 10 else 1
    name = metric_name(growth.metric)
    if growth.metric == Metric.EPS:
        name = f"{'GAAP' if growth.basis is Basis.GAAP else 'adjusted'} EPS"
    return f"{name} {_quantize(growth.percent, places):+}% YoY"


def streak_text(streak: Streak) -> str:
    """Return '🔁 4th straight EPS beat'."""
    return f"🔁 {ordinal(streak.quarters)} straight EPS {streak.verdict.value}"


def short_money(value: Decimal, currency: str | None) -> str:
    """Return '$43.0B', '$511.0M': one decimal, as outlooks are stated."""
    prefix = CURRENCY_PREFIX.get((currency or "").upper(), f"{currency} " if currency else "")
    for threshold, suffix in ((Decimal(10) ** 12, "T"), (Decimal(10) ** 9, "B"), (Decimal(10) ** 6, "M")):
        if abs(value) >= threshold:
            shown = _quantize(abs(value) / threshold, 1)
            return _signed(value, shown, f"{prefix}{shown}{suffix}")
    return format_money(value, currency)


def _outlook_value(outlook: Outlook) -> str:
    figure = outlook.figure
    if figure.unit is not Unit.MONEY:
        return format_value(figure)
    if outlook.plus_minus_percent is not None:
        return f"{short_money(figure.value, figure.currency)} ±{outlook.plus_minus_percent}%"
    if outlook.is_range:
        assert outlook.low is not None and outlook.high is not None
        return f"{short_money(outlook.low, figure.currency)}–{short_money(outlook.high, figure.currency)}"
    if outlook.low is not None:
        return f"at least {short_money(outlook.low, figure.currency)}"
    return short_money(figure.value, figure.currency)


def outlook_line(compared: OutlookComparison) -> str:
    """Return 'Outlook: revenue $43.0B ±2% vs $41.8B consensus (+2.9%) · Q1 FY2026, midpoint of the range'.

    Without a comparable consensus (none stored, or a full-year plan) the outlook stands alone."""
    outlook = compared.outlook
    name = metric_name(actual_metric_of(outlook.figure.metric)).lower()
    text = f"Outlook: {name} {_outlook_value(outlook)}"
    notes = [outlook.period_label] if outlook.period_label else []
    if compared.consensus is not None and compared.percent is not None:
        consensus = compared.consensus.figure
        text += (f" vs {short_money(consensus.value, consensus.currency)} consensus "
                 f"({_quantize(compared.percent, 1):+}%)")
        if compared.by_midpoint:
            notes.append("midpoint of the range")
    elif outlook.scope.span is not Span.QUARTER:
        notes.append("full-year plan" if outlook.scope.span is Span.YEAR else "multi-year plan")
    else:
        notes.append("no consensus stored")
    return f"{text} · {', '.join(notes)}"


def disputed_line(disputed: Disputed) -> str:
    """Return '⚠️ EPS: figures differ between sources ($0.89 GlobeNewswire, $0.98 SEC EDGAR), not judged'."""
    values = ", ".join(f"{format_value(figure)} {source}" for figure, source in disputed.values)
    return escape(f"⚠️ {metric_name(disputed.metric)}: figures differ between sources ({values}), not judged")


def _fact_name(figure: Figure) -> str:
    basis = _basis_label(figure)
    name = metric_name(figure.metric)
    return f"{basis} {name}" if basis else name


def render_filing(notice: FilingNotice, zone: ZoneInfo = NEW_YORK) -> str:
    """Return 'NVDA has just filed its results (8-K Item 2.02)' with the link."""
    accepted = describe_time(notice.accepted_at, zone, "%b %d %H:%M:%S")
    what = "its results" if notice.is_results else "an announcement"
    items = ", ".join(f"Item {i}" for i in notice.items)
    form = f"{notice.form} {items}".strip()
    lines = [
        f"📄 <b>{escape(notice.ticker)}</b> has just filed {what} ({escape(form)})",
        f"<i>{escape(notice.company_name)} · accepted {escape(accepted)}</i>",
    ]
    lines.extend(escape(t) for t in notice.item_titles)
    if notice.is_results:
        lines.append("Figures follow as soon as they are read from the release.")
    lines.append(f'<a href="{escape(notice.url, quote=True)}">Filing on SEC EDGAR</a>')
    return "\n".join(lines)


def _report_time(day: date, timing: Timing, zone: ZoneInfo, *, note_closed: bool = False) -> str:
    return describe_moment(ReportMoment.of(day, timing), zone, year=True, note_closed=note_closed)


def render_date_change(notice: DateChangeNotice, zone: ZoneInfo = NEW_YORK) -> str:
    """Return '📅 NVDA Q4 FY2025 report is now expected Thu Feb 27, 2025, after the close' and what it
    was, in the chat's zone with New York's beside it; a day the market is closed says so."""
    report = f"{notice.period_label} report" if notice.period_label else "next report"
    new = _report_time(notice.new_date, notice.new_timing, zone, note_closed=True)
    lines = [f"📅 <b>{escape(notice.ticker)}</b> {escape(report)} is now expected <b>{escape(new)}</b>"]
    if notice.old_date is not None:
        lines.append(f"was {escape(_report_time(notice.old_date, notice.old_timing, zone))}")
    lines.append(f"<i>{escape(notice.company_name)} · date from {escape(source_name(notice.source))}</i>")
    return "\n".join(lines)


def render_revision(notice: RevisionNotice, zone: ZoneInfo = NEW_YORK) -> str:
    """Return '📉 NVDA Q4 FY2025 consensus EPS cut to $0.82 from $0.84 (Nasdaq, 18 est.)'."""
    new = notice.figure
    raised = new.value > notice.old_value
    mark, verb = ("📈", "raised to") if raised else ("📉", "cut to")
    name = "EPS" if new.metric == Metric.EPS else metric_name(new.metric).lower()
    previous = format_value(Figure(new.metric, new.basis, new.unit, new.currency, notice.old_value))
    source = source_name(notice.source)
    if notice.estimates:
        source += f", {notice.estimates} est."
    report = f" {notice.period_label}" if notice.period_label else ""
    return "\n".join([
        f"{mark} <b>{escape(notice.ticker)}</b>{escape(report)} consensus {escape(name)} {verb} "
        f"<b>{escape(format_value(new))}</b> from {escape(previous)} ({escape(source)})",
        f"<i>{escape(notice.company_name)} · report {escape(_report_time(notice.report_date, notice.timing, zone))}</i>",
    ])
