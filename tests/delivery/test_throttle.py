"""Throttles on a virtual clock: even global spacing, 429 pauses, one per second per chat, 20/min per group."""

from __future__ import annotations

import asyncio
import time

from bot.delivery.throttle import ChatSpacing, GlobalPacer


class VirtualClock:
    """Monotonic time that moves only when someone sleeps."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += max(seconds, 0.0)
        await asyncio.sleep(0)


async def test_sends_are_spaced_evenly_below_the_rate_in_first_come_order() -> None:
    pacer = GlobalPacer(100, headroom=0.02, window=0.1)  # at most 10 in any 0.1 s
    order: list[tuple[int, float]] = []

    async def send(n: int) -> None:
        async with pacer.slot():
            order.append((n, time.monotonic()))

    await asyncio.gather(*(send(n) for n in range(31)))

    assert [n for n, _ in order] == list(range(31))
    times = [t for _, t in order]
    for first, last in zip(times, times[10:], strict=False):
        assert last - first > 0.1  # never 11 sends inside a tenth of a second
    assert times[-1] - times[0] < 30 * 0.01 * 1.5


async def test_a_pause_holds_every_send_then_resumes_at_the_steady_rate() -> None:
    clock = VirtualClock()
    pacer = GlobalPacer(10, monotonic=clock, sleep=clock.sleep)
    async with pacer.slot():
        started = clock()
    pacer.pause(3.0)

    times = []
    for _ in range(3):
        async with pacer.slot():
            times.append(clock())

    assert times[0] >= started + 3.0
    assert times[1] - times[0] >= 0.1 and times[2] - times[1] >= 0.1


async def test_a_chat_gets_one_message_per_second() -> None:
    clock = VirtualClock()
    spacing = ChatSpacing(chat_interval=1.0, margin=0.05, monotonic=clock, sleep=clock.sleep)
    spacing.record(42)
    assert not spacing.is_ready(42)
    assert spacing.is_ready(43)
    await spacing.wait(42)
    assert clock() >= 1001.05


async def test_a_group_gets_at_most_20_messages_a_minute() -> None:
    clock = VirtualClock()
    spacing = ChatSpacing(monotonic=clock, sleep=clock.sleep)
    sent = []
    for _ in range(25):
        await spacing.wait(-100)
        spacing.record(-100)
        sent.append(clock())
    for first, later in zip(sent, sent[20:], strict=False):
        assert later - first >= 60.0
    assert sent[1] - sent[0] >= 1.0


def test_pruning_forgets_chats_whose_limits_have_lapsed() -> None:
    clock = VirtualClock()
    spacing = ChatSpacing(monotonic=clock)
    for chat_id in range(1, 1001):
        spacing.record(chat_id)
    spacing.record(-5)
    clock.now += 2
    spacing.prune()
    assert len(spacing) == 0
    assert spacing.is_ready(-5) and spacing.is_ready(1)


async def test_a_slow_answer_keeps_its_send_counted_until_a_window_after_it() -> None:
    pacer = GlobalPacer(20, window=0.2)  # at most 4 sends counted in any 0.2 s
    starts: list[float] = []
    slow_finished: list[float] = []

    async def send(n: int) -> None:
        async with pacer.slot():
            starts.append(time.monotonic())
            if n == 0:
                await asyncio.sleep(0.15)  # the first request hangs before Telegram answers
                slow_finished.append(time.monotonic())

    await asyncio.gather(*(send(n) for n in range(5)))

    assert starts[4] >= slow_finished[0] + 0.2
    assert starts[3] - starts[0] < 0.2  # the others were not held back


async def test_after_a_stall_sends_resume_evenly_instead_of_in_a_burst() -> None:
    pacer = GlobalPacer(100)
    starts: list[float] = []

    async def send() -> None:
        async with pacer.slot():
            starts.append(time.monotonic())

    tasks = [asyncio.create_task(send()) for _ in range(20)]
    await asyncio.sleep(0)  # every caller has its slot now
    time.sleep(0.15)  # the event loop stalls past all of them
    await asyncio.gather(*tasks)

    gaps = [later - earlier for earlier, later in zip(starts, starts[1:], strict=False)]
    assert sum(1 for gap in gaps if gap < 0.005) <= 2  # a slot or two of catch-up, no more
    assert len(starts) == 20


async def test_a_caller_that_comes_after_a_stall_does_not_overtake_one_that_woke_late() -> None:
    pacer = GlobalPacer(100)
    order: list[str] = []

    async def send(name: str) -> None:
        async with pacer.slot():
            order.append(name)

    first = asyncio.create_task(send("first"))
    await asyncio.sleep(0)  # "first" went out at once
    second = asyncio.create_task(send("second"))
    await asyncio.sleep(0)  # "second" sleeps towards its slot, 10 ms away
    time.sleep(0.05)  # the loop stalls past that slot...
    late = asyncio.create_task(send("late"))  # ...and a newcomer runs before "second" wakes
    await asyncio.gather(first, second, late)

    assert order == ["first", "second", "late"]


async def test_a_caller_cancelled_while_waiting_gives_up_its_turn() -> None:
    pacer = GlobalPacer(100)
    order: list[int] = []

    async def send(n: int) -> None:
        async with pacer.slot():
            order.append(n)

    tasks = [asyncio.create_task(send(n)) for n in range(5)]
    await asyncio.sleep(0)
    tasks[2].cancel()
    await asyncio.gather(*tasks, return_exceptions=True)

    assert order == [0, 1, 3, 4]
