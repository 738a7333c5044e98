"""Replies of /expect and /expectations, as Telegram HTML. Pure functions; every dynamic string escaped."""

from __future__ import annotations

from decimal import Decimal
from difflib import get_close_matches
from html import escape

from bot.delivery.render import format_per_share, source_name
from bot.delivery.render import format_value as format_figure
from bot.domain.expected_values import ExpectedValue, example, format_value
from bot.domain.figures import Unit
from bot.engine.own_numbers import (
    CLEAR_WORD,
    MAX_OWN_NUMBERS,
    ExpectResult,
    Outcome,
    OwnList,
    OwnMetric,
)

EXPECT_USAGE = (
    "Set your own number for a company's next report:\n"
    "<code>/expect NVDA eps 0.90</code>, <code>/expect NVDA revenue 40B</code>, "
    "<code>/expect NVDA data_center_revenue 36B</code>, <code>/expect MSFT azure_growth 32%</code>\n"
    "Add a quarter for another report: <code>/expect NVDA eps 0.90 Q1FY2026</code>\n"
    f"Remove one: <code>/expect NVDA eps {CLEAR_WORD}</code>. /expectations lists yours."
)
STALE_CHOICE = "That choice no longer applies: send /expect again."


def unit_words(value: ExpectedValue) -> str:
    """Return the unit and currency a value is stored in: 'USD per share', 'percent, year over year'."""
    if value.unit is Unit.PERCENT:
        return "percent, year over year"
    if value.unit is Unit.COUNT:
        return "a count"
    per = {Unit.PER_SHARE: " per share", Unit.PER_ADS: " per ADS"}.get(value.unit, "")
    return f"{value.currency or ''}{per}".strip()


def shown_value(value: ExpectedValue) -> str:
    """Return a value as stored, in its canonical spelling; per-share amounts with their cents ('$0.90')."""
    if value.unit in (Unit.PER_SHARE, Unit.PER_ADS) and value.value == value.value.quantize(Decimal("0.01")):
        return format_per_share(value.value, value.currency) + ("/ADS" if value.unit is Unit.PER_ADS else "")
    return format_value(value)


def metric_example(ticker: str, metric: OwnMetric) -> str:
    """Return a valid /expect for the metric: '/expect NVDA eps 0.90'."""
    return f"/expect {ticker} {metric.key} {example(metric.kind).split(',')[0].strip()}"


def expect_reply(result: ExpectResult) -> str:
    """Return what /expect (or a choice among its readings) did, or why nothing changed."""
    ticker = escape(result.ticker or result.typed)
    if result.outcome is Outcome.STORED and result.value is not None and result.metric is not None:
        return _stored(result, result.value, result.metric)
    if result.outcome is Outcome.AMBIGUOUS and result.metric is not None:
        return (f"❓ <b>{escape(result.typed)}</b> for {ticker} {escape(result.metric.name)} "
                f"({escape(result.period_label)}) could mean more than one thing. Which one?")
    return _refusal(result, ticker)


def _stored(result: ExpectResult, value: ExpectedValue, metric: OwnMetric) -> str:
    lines = [
        f"✅ Your number for <b>{escape(result.ticker or '')}</b> {escape(result.period_label)}: "
        f"{escape(metric.name)} <b>{escape(shown_value(value))}</b> ({escape(unit_words(value))})",
        "The result alert shows it as \"yours\" beside the consensus, in this chat only.",
    ]
    if not result.watching:
        lines.append(f"You don't watch {escape(result.ticker or '')}: /watch {escape(result.ticker or '')} "
                     "to get its result.")
    return "\n".join(lines)


def _refusal(result: ExpectResult, ticker: str) -> str:
    outcome = result.outcome
    if outcome is Outcome.NOT_A_TICKER:
        return f"⚠️ <i>{escape(result.typed)}</i> is not a ticker.\n{EXPECT_USAGE}"
    if outcome is Outcome.UNKNOWN_TICKER:
        line = f"❓ I don't know the ticker {ticker}"
        if result.suggestions:
            line += ". Did you mean " + " or ".join(escape(s) for s in result.suggestions) + "?"
        return line
    if outcome is Outcome.UNKNOWN_METRIC:
        return _unknown_metric(result, ticker)
    metric = result.metric
    name = f"{ticker} {escape(metric.name)}" if metric else ticker
    if outcome is Outcome.INVALID_VALUE:
        shown = f"\nFor example: <code>{escape(metric_example(result.ticker or '', metric))}</code>" if metric else ""
        return f"⚠️ {escape(result.message)}. Nothing was changed.{shown}"
    return _other(result, name)


def _other(result: ExpectResult, name: str) -> str:
    ticker, period = escape(result.ticker or ""), escape(result.period_label)
    texts = {
        Outcome.NO_EVENT: f"📅 I don't know {ticker}'s next report yet: name its quarter, e.g. "
                          f"<code>/expect {ticker} eps 0.90 Q1FY2026</code>",
        Outcome.FULL_YEAR: f"Own numbers are for one quarter's report, and {period} is a whole fiscal year: "
                           "name a quarter like Q4FY2025.",
        Outcome.REPORTED: f"{ticker} has already reported {period}: a number now would not be an expectation.",
        Outcome.CLEARED: f"🗑 Removed your {name} number{f' for {period}' if period else ''}.",
        Outcome.NOT_SET: f"You have no {name} number{f' for {period}' if period else ''} to remove.",
        Outcome.TOO_MANY: f"You have {MAX_OWN_NUMBERS} own numbers already: remove some with "
                          f"<code>/expect TICKER METRIC {CLEAR_WORD}</code> first.",
        Outcome.STALE_CHOICE: STALE_CHOICE,
    }
    return texts.get(result.outcome, EXPECT_USAGE)


def _unknown_metric(result: ExpectResult, ticker: str) -> str:
    keys = [m.key for m in result.metrics]
    lines = [f"❓ {ticker} has no metric <i>{escape(result.typed)}</i>."]
    close = get_close_matches(result.typed.lower(), keys, n=2, cutoff=0.7)
    if close:
        lines.append("Did you mean " + " or ".join(f"<code>{escape(k)}</code>" for k in close) + "?")
    lines.append(f"{ticker}'s metrics: " + ", ".join(
        f"<code>{escape(m.key)}</code>" + ("" if m.key in ("eps", "revenue") else f" ({escape(m.name)})")
        for m in result.metrics))
    if result.metrics:
        lines.append(f"For example: <code>{escape(metric_example(result.ticker or '', result.metrics[0]))}</code>")
    return "\n".join(lines)


def choice_label(reading: ExpectedValue) -> str:
    """Return a button's label for one reading: '$40M', '$40B', 'RMB 21.4B'."""
    return format_value(reading)


def expectations_reply(found: OwnList) -> str:
    """Return /expectations: the chat's own numbers with the latest consensus beside each."""
    if not found.known:
        line = f"❓ I don't know the ticker {escape(found.typed or '')}"
        if found.suggestions:
            line += ". Did you mean " + " or ".join(escape(s) for s in found.suggestions) + "?"
        return line
    if not found.entries:
        where = f" for {escape(found.typed.upper())}" if found.typed else ""
        return f"You have no own numbers{where} yet. Set one with <code>/expect NVDA eps 0.90</code>"
    lines = ["<b>Your numbers</b>"]
    for entry in found.entries:
        figure = entry.figure
        own = shown_value(ExpectedValue(figure.value, figure.unit, figure.currency))
        line = f"<b>{escape(entry.ticker)}</b> {escape(entry.period_label)} · {escape(entry.metric_name)}: yours {escape(own)}"
        if entry.consensus is not None:
            line += (f" · consensus {escape(format_figure(entry.consensus.figure))} "
                     f"({escape(source_name(entry.consensus.source))})")
        else:
            line += " · no consensus stored"
        lines.append(line)
    lines.append(f"Remove one with <code>/expect TICKER METRIC {CLEAR_WORD}</code>.")
    return "\n".join(lines)
