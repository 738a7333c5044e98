"""`earnings-bot console`: type as a Telegram user, read the bot's replies in the terminal.

Same handlers, same loopback Bot API server, same database code as a real deployment.
"""

from __future__ import annotations

import asyncio
import threading
from datetime import UTC, datetime, timedelta
from typing import TextIO

from bot.sandbox.demo.sandbox import DemoClock, sandbox

CONSOLE_CHAT_ID = 7_200_000_001
CONSOLE_START = datetime(2025, 1, 27, 14, 0, tzinfo=UTC)
REPLY_WAIT_SECONDS = 5.0
BANNER = (
    "Earnings bot console: you are a Telegram user talking to the bot (loopback, no network).\n"
    "The company list and calendar are the January/February 2025 replay. Try /start, /watch NVDA,\n"
    "/watchlist, /help. Ctrl-D or 'quit' ends.\n"
)


async def run_console(stdin: TextIO, out: TextIO) -> int:
    """Read lines from stdin, send each as the user, print what the bot answers."""
    clock = DemoClock(CONSOLE_START)
    out.write(BANNER)
    async with sandbox(clock) as box:
        today = clock().date()
        tickers = [c.ticker for c in box.data.companies]
        await box.runtime.poller.poll(today - timedelta(days=3), today + timedelta(days=45), tickers, mode="full")
        shown = 0
        while True:
            out.write("you> ")
            out.flush()
            line = await _read_line(stdin)
            if not line or line.strip().lower() in {"quit", "exit"}:
                break
            text = line.strip()
            if not text:
                continue
            box.api.user_sends(CONSOLE_CHAT_ID, text, first_name="You")
            try:
                await box.api.wait_for_messages(CONSOLE_CHAT_ID, shown + 1, timeout=REPLY_WAIT_SECONDS)
            except TimeoutError:
                out.write("(no reply)\n")
                continue
            await asyncio.sleep(0.1)  # let a reply in several parts arrive
            messages = box.api.messages_to(CONSOLE_CHAT_ID)
            for message in messages[shown:]:
                out.write("bot> " + message.visible_text.replace("\n", "\n     ") + "\n")
            shown = len(messages)
    out.write("\nbye\n")
    return 0


async def _read_line(stdin: TextIO) -> str:
    """Read one line without blocking the event loop.

    A daemon thread of its own, not asyncio.to_thread: Ctrl-C cancels the wait at once, while a
    to_thread read would keep asyncio.run() (which joins its executor) waiting for Enter."""
    loop = asyncio.get_running_loop()
    future: asyncio.Future[str] = loop.create_future()

    def deliver(line: str) -> None:
        if not future.done():
            future.set_result(line)

    def read() -> None:
        try:
            line = stdin.readline()
        except (OSError, ValueError):
            line = ""
        try:
            loop.call_soon_threadsafe(deliver, line)
        except RuntimeError:  # the loop has closed: nobody is waiting for this line
            pass

    threading.Thread(target=read, name="console-stdin", daemon=True).start()
    return await future
