"""Chart benchmark: how long one /chart picture takes to draw, and what it costs the event loop.

    uv run python -m bench.chart               # 20 renders of an 8-quarter chart
    uv run python -m bench.chart --renders 50

Prints the render time (median, p95) against a 1 s budget per picture, and the event loop's worst
stall while pictures are drawn: in a worker thread (what /chart does, asyncio.to_thread) against
drawing on the loop itself, measured in the same run. The stall is the longest gap between the
ticks of a task that asks to wake every 10 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from collections.abc import Awaitable, Callable
from decimal import Decimal

from bot.delivery.chart_image import render_chart_png
from bot.domain.figures import Basis, Unit
from bot.domain.verdicts import Verdict
from bot.engine.chart_history import Bar, ChartHistory, Quarter, Scale

BUDGET_SECONDS = 1.0
TICK_SECONDS = 0.01


def eight_quarters() -> ChartHistory:
    eps, revenue = Scale(Unit.PER_SHARE, "USD", Basis.ADJUSTED), Scale(Unit.MONEY, "USD", Basis.GAAP)
    quarters = []
    for i in range(8):
        actual, expected = Decimal("0.50") + Decimal(i) / 10, Decimal("0.48") + Decimal(i) / 10
        sales, consensus = Decimal(20 + 3 * i) * 10**9, Decimal(19 + 3 * i) * 10**9
        quarters.append(Quarter(f"Q{i % 4 + 1} FY{24 + i // 4}", None, {
            "eps": Bar(actual, eps, expected, (actual - expected) / expected * 100, Verdict.BEAT),
            "revenue": Bar(sales, revenue, consensus, (sales - consensus) / consensus * 100, Verdict.BEAT),
        }))
    return ChartHistory("NVDA", "NVIDIA CORP", tuple(quarters), {"eps": eps, "revenue": revenue})


async def worst_stall(draw: Callable[[], Awaitable[None]]) -> float:
    """Return the longest gap between 10 ms ticks of the loop while draw() runs."""
    loop = asyncio.get_running_loop()
    worst, last, done = 0.0, loop.time(), False

    async def ticker() -> None:
        nonlocal worst, last
        while not done:
            await asyncio.sleep(TICK_SECONDS)
            now = loop.time()
            worst, last = max(worst, now - last - TICK_SECONDS), now

    task = asyncio.create_task(ticker())
    await asyncio.sleep(0)
    await draw()
    done = True
    await task
    return worst


async def main(renders: int) -> None:
    history = eight_quarters()
    render_chart_png(history)  # the first render loads matplotlib and its fonts
    times = []
    for _ in range(renders):
        started = time.perf_counter()
        png = render_chart_png(history)
        times.append(time.perf_counter() - started)
    times.sort()
    median, p95 = statistics.median(times), times[max(0, int(len(times) * 0.95) - 1)]
    print(f"render of an 8-quarter chart ({len(png):,} bytes PNG), {renders} runs: median {median * 1000:.0f} ms, "
          f"p95 {p95 * 1000:.0f} ms; p95 / budget {BUDGET_SECONDS:.0f} s = {p95 / BUDGET_SECONDS:.2f}")

    async def in_thread() -> None:
        for _ in range(5):
            await asyncio.to_thread(render_chart_png, history)

    async def on_loop() -> None:
        for _ in range(5):
            render_chart_png(history)
            await asyncio.sleep(0)

    threaded, blocking = await worst_stall(in_thread), await worst_stall(on_loop)
    print(f"worst event-loop stall over 5 renders: worker thread {threaded * 1000:.0f} ms, on the loop "
          f"{blocking * 1000:.0f} ms; ratio {threaded / blocking:.2f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--renders", type=int, default=20)
    asyncio.run(main(parser.parse_args().renders))
