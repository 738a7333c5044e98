"""The /chart picture: EPS and revenue, actual against consensus, one pair of bars per quarter.

    png = render_chart_png(history)        # bytes of a 1200 x 1000 PNG; call it in a worker thread

Drawn with matplotlib's object API on the Agg canvas (no pyplot, no GUI backend, no global figure
state), large fonts for a phone. Each actual bar is coloured by its verdict and carries its
surprise (+3.5%); the consensus bar beside it is grey. Rendering takes a few hundred milliseconds:
callers run it with asyncio.to_thread, never on the event loop. One lock keeps renders one at a
time: matplotlib's text and font caches are not made for threads working at once.
"""

from __future__ import annotations

import io
import threading
from decimal import Decimal
from html import escape
from typing import TYPE_CHECKING

from bot.domain.figures import Metric, Unit
from bot.domain.verdicts import Verdict
from bot.engine.chart_history import Bar, ChartHistory, Scale

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

WIDTH_PX, HEIGHT_PX, DPI = 1200, 1000, 100
TITLE_SIZE, LABEL_SIZE, TICK_SIZE, SURPRISE_SIZE = 26, 19, 17, 16
BAR_WIDTH = 0.38
MIN_SLOTS = 4  # fewer quarters are drawn as wide as four
CONSENSUS_COLOR = "#9e9e9e"
VERDICT_COLORS = {
    Verdict.BEAT: "#2e7d32",
    Verdict.MISS: "#c62828",
    Verdict.IN_LINE: "#f9a825",
    None: "#1565c0",  # nothing comparable was expected
}
_MARKS = {"USD": "$", "EUR": "€", "GBP": "£", "CNY": "RMB ", "HKD": "HK$", "JPY": "¥"}
_RENDER_LOCK = threading.Lock()


def render_chart_png(history: ChartHistory) -> bytes:
    """Return the chart of a company's quarters as PNG bytes (WIDTH_PX x HEIGHT_PX)."""
    with _RENDER_LOCK:
        figure = chart_figure(history)
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png", dpi=DPI)
        return buffer.getvalue()


def chart_figure(history: ChartHistory) -> Figure:
    """Return the matplotlib Figure of the chart: one panel per metric, gid "eps" and "revenue"."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.patches import Patch

    figure = Figure(figsize=(WIDTH_PX / DPI, HEIGHT_PX / DPI), dpi=DPI, layout="constrained")
    FigureCanvasAgg(figure)
    figure.suptitle(f"{history.ticker}: EPS and revenue vs consensus", fontsize=TITLE_SIZE, fontweight="bold")
    eps_axes, revenue_axes = figure.subplots(2, 1)
    labels = [q.label for q in history.quarters]
    for axes, metric in ((eps_axes, Metric.EPS), (revenue_axes, Metric.REVENUE)):
        axes.set_gid(str(metric))
        _panel(axes, history, metric, labels)
    figure.legend(
        handles=[Patch(color=CONSENSUS_COLOR, label="Consensus"),
                 Patch(color=VERDICT_COLORS[Verdict.BEAT], label="Beat"),
                 Patch(color=VERDICT_COLORS[Verdict.MISS], label="Miss"),
                 Patch(color=VERDICT_COLORS[Verdict.IN_LINE], label="In line"),
                 Patch(color=VERDICT_COLORS[None], label="No consensus")],
        loc="outside lower center", ncols=5, fontsize=TICK_SIZE, frameon=False,
    )
    return figure


def _panel(axes: Axes, history: ChartHistory, metric: str, labels: list[str]) -> None:
    scale = history.scales.get(metric)
    positions = range(len(labels))
    axes.set_xticks(list(positions), labels, fontsize=TICK_SIZE)
    axes.tick_params(axis="y", labelsize=TICK_SIZE)
    axes.grid(axis="y", alpha=0.3)
    axes.set_axisbelow(True)
    axes.spines[["top", "right"]].set_visible(False)
    bars = [(i, q.bars[metric]) for i, q in enumerate(history.quarters) if metric in q.bars]
    if scale is None or not bars:
        axes.set_title(f"{_name(metric)}: nothing reported yet", fontsize=LABEL_SIZE, loc="left")
        axes.set_yticks([])
        return
    divisor, suffix = _divisor(scale, [b for _i, b in bars])
    axes.set_title(_title(metric, scale, suffix), fontsize=LABEL_SIZE, loc="left")
    with_consensus = [(i, b) for i, b in bars if b.consensus is not None]
    if with_consensus:
        axes.bar([i - BAR_WIDTH / 2 for i, _b in with_consensus],
                 [float(b.consensus / divisor) for _i, b in with_consensus],  # type: ignore[operator]
                 BAR_WIDTH, color=CONSENSUS_COLOR, label="consensus", gid="consensus")
    offsets = [BAR_WIDTH / 2 if b.consensus is not None else 0.0 for _i, b in bars]
    drawn = axes.bar([i + offset for (i, _b), offset in zip(bars, offsets, strict=True)],
                     [float(b.actual / divisor) for _i, b in bars], BAR_WIDTH,
                     color=[VERDICT_COLORS[b.verdict] for _i, b in bars], label="actual", gid="actual")
    axes.bar_label(drawn, labels=[_surprise(b) for _i, b in bars], padding=4, fontsize=SURPRISE_SIZE,
                   fontweight="bold")
    axes.axhline(0, color="#424242", linewidth=1)
    axes.margins(y=0.18)
    pad = 0.6 + max(0, MIN_SLOTS - len(labels)) / 2  # a quarter or two keep a bar's width, centred
    axes.set_xlim(-pad, len(labels) - 1 + pad)


def _divisor(scale: Scale, bars: list[Bar]) -> tuple[Decimal, str]:
    if scale.unit is not Unit.MONEY:
        return Decimal(1), ""
    largest = max(abs(b.actual) for b in bars)
    if largest >= Decimal(10) ** 9:
        return Decimal(10) ** 9, "B"
    if largest >= Decimal(10) ** 6:
        return Decimal(10) ** 6, "M"
    return Decimal(1), ""


def _title(metric: str, scale: Scale, suffix: str) -> str:
    mark = _MARKS.get(scale.currency or "", f"{scale.currency} " if scale.currency else "")
    if metric == Metric.EPS:
        per = "per ADS" if scale.unit is Unit.PER_ADS else "per share"
        return f"EPS, {mark.strip() or scale.currency} {per} ({scale.basis.value.replace('gaap', 'GAAP')})"
    return f"Revenue, {mark}{suffix}".rstrip()


def _name(metric: str) -> str:
    return "EPS" if metric == Metric.EPS else "Revenue"


def _surprise(bar: Bar) -> str:
    if bar.surprise_percent is None:
        return ""
    return f"{bar.surprise_percent:+.1f}%"


def chart_caption(history: ChartHistory) -> str:
    """Return the photo's caption (Telegram HTML, under 1024 characters)."""
    first, last = history.quarters[0].label, history.quarters[-1].label
    span = first if first == last else f"{first} to {last}"
    count = len(history.quarters)
    quarters = "1 quarter" if count == 1 else f"{count} quarters"
    return (f"📊 <b>{escape(history.ticker)}</b> {escape(history.company_name[:80])}: EPS and revenue against "
            f"the consensus at each report, {quarters} ({escape(span)}). Surprise above each bar; "
            f"grey is the consensus.")
