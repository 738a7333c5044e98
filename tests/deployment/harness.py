"""The pieces of a deployment test: the bot as a subprocess, the loopback world it talks to, waits.

Everything the bot reaches is a real HTTP server on 127.0.0.1 in the pytest process: the Bot API
(LoopbackBotApi), SEC EDGAR (LoopbackEdgar, company_tickers.json included) and the calendar
providers (FakeCalendars: Nasdaq and Finnhub). The bot runs on real time, so filings are published
with accepted_at = now and calendar rows are dated today in New York.
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.sandbox.bot_api import LoopbackBotApi, SentMessage
from bot.sandbox.calendars import FakeCalendars
from bot.sandbox.edgar import LoopbackEdgar, PublishedFiling

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
NEW_YORK = ZoneInfo("America/New_York")

TOKEN = "5550001234:DEPLOYtestSECRETtokenVALUE_abc-xyz"
FINNHUB_KEY = "deploy-test-finnhub-key"
SEC_USER_AGENT = "Test Runner test@example.com"
# What a deployer would have in the environment and we must not pass on.
STRIPPED_PREFIXES = ("TELEGRAM_", "SEC_", "FINNHUB_", "DATABASE_", "POLL_", "NASDAQ_", "ADMIN_", "PTB_",
                     "LOG_LEVEL", "PYTHONPATH", "PYTHONHOME", "HTTP_PORT")

NVDA_CIK, ALPHABET_CIK = 1045810, 1652044
COMPANY_TICKERS = [  # SEC's order, roughly by market value; GOOGL and GOOG share Alphabet's CIK
    ("MSFT", 789019, "MICROSOFT CORP"),
    ("AAPL", 320193, "Apple Inc."),
    ("NVDA", NVDA_CIK, "NVIDIA CORP"),
    ("GOOGL", ALPHABET_CIK, "Alphabet Inc."),
    ("AMZN", 1018724, "AMAZON COM INC"),
    ("GOOG", ALPHABET_CIK, "Alphabet Inc."),
    ("BABA", 1577552, "Alibaba Group Holding Ltd"),
]

# Result alerts start "🟢 <b>NVDA beat: Q4 FY2025</b>"; filing notices "📄 <b>NVDA</b> has just filed".
_RESULT = re.compile(r"\b(?P<ticker>[A-Z][A-Z.\-]{0,9}) (?P<verdict>beat|miss|mixed|in line|reported)\b")
FILING_NOTICE = "has just filed"


def today_in_new_york() -> date:
    return datetime.now(NEW_YORK).date()


def now_utc() -> datetime:
    return datetime.now(UTC)


def result_verdict(text: str, ticker: str) -> str | None:
    """Return the verdict word of a result alert about ticker, or None when text is not one."""
    first_line = text.split("\n", 1)[0]
    match = _RESULT.search(first_line)
    return match["verdict"] if match and match["ticker"] == ticker else None


def is_result(message: SentMessage, ticker: str) -> bool:
    return result_verdict(message.visible_text, ticker) is not None


def is_filing_notice(message: SentMessage, ticker: str | None = None) -> bool:
    text = message.visible_text
    return FILING_NOTICE in text and (ticker is None or text.startswith(f"📄 {ticker} "))


def results_8k(*, cik: int = NVDA_CIK, company: str = "NVIDIA CORP", accession: str,
               release: str = "nvda_q4_fy2025_ex99-1.htm", accepted_at: datetime | None = None,
               ) -> PublishedFiling:
    """An 8-K with Items 2.02 and 9.01 whose EX-99.1 is a real press release from the fixtures."""
    text = (FIXTURES / "press_releases" / release).read_text(encoding="utf-8")
    return PublishedFiling(
        cik=cik, company=company, form="8-K", accession=accession, accepted_at=accepted_at or now_utc(),
        items=("2.02", "9.01"),
        documents=(("8-K", f"{accession.replace('-', '')}_8k.htm", "<html><body>8-K</body></html>"),
                   ("EX-99.1", f"{accession.replace('-', '')}_ex99-1.htm", text)),
    )


class BotProcess:
    """One `earnings-bot run`; stdout and stderr merged and read as it comes."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process
        self.lines: list[str] = []
        self._reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        assert self.process.stdout is not None
        async for line in self.process.stdout:
            self.lines.append(line.decode("utf-8", "replace"))

    @property
    def output(self) -> str:
        return "".join(self.lines)

    @property
    def exited(self) -> bool:
        return self.process.returncode is not None

    def tail(self, lines: int = 40) -> str:
        return "".join(self.lines[-lines:])

    async def terminate(self, timeout: float = 5.0) -> tuple[int | None, float]:
        """Send SIGTERM; return (exit code or None when it did not exit in time, seconds taken)."""
        loop = asyncio.get_running_loop()
        started = loop.time()
        if not self.exited:
            self.process.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(self.process.wait(), timeout)
        except TimeoutError:
            return None, loop.time() - started
        elapsed = loop.time() - started
        await self._reader
        return self.process.returncode, elapsed

    async def kill(self) -> None:
        if not self.exited:
            self.process.kill()
        await self.process.wait()
        await self._reader


@dataclass
class Deployment:
    """The loopback world of one test and the bot processes started in it."""

    command: Path
    workdir: Path
    database_url: str
    api: LoopbackBotApi
    edgar: LoopbackEdgar
    calendars: FakeCalendars
    processes: list[BotProcess] = field(default_factory=list)

    def env(self, *, finnhub: bool = False, idle_seconds: float | None = None,
            extra: dict[str, str] | None = None) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(STRIPPED_PREFIXES)}
        env.update({
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "TELEGRAM_API_URL": self.api.base_url,
            "SEC_USER_AGENT": SEC_USER_AGENT,
            "SEC_WWW_URL": self.edgar.url,
            "SEC_DATA_URL": self.edgar.url,
            "NASDAQ_API_URL": self.calendars.url,
            "FINNHUB_API_URL": self.calendars.url + "/api/v1",
            "DATABASE_URL": self.database_url,
            "POLL_ACTIVE_SECONDS": "1",
            "LOG_LEVEL": "INFO",
            "NEWSWIRE_FEEDS": "none",  # no real newswire or IR site: a test names its loopback feeds
            "IR_FEEDS_FILE": "none",
        })
        if finnhub:
            env["FINNHUB_API_KEY"] = FINNHUB_KEY
        if idle_seconds is not None:
            env["POLL_IDLE_SECONDS"] = str(idle_seconds)
        env.update(extra or {})
        return env

    async def start(self, *, finnhub: bool = False, idle_seconds: float | None = None,
                    extra_env: dict[str, str] | None = None) -> BotProcess:
        """Start `earnings-bot run` in an empty working directory (extra_env: more settings)."""
        env = self.env(finnhub=finnhub, idle_seconds=idle_seconds, extra=extra_env)
        process = await asyncio.create_subprocess_exec(
            str(self.command), "run", cwd=self.workdir, env=env,
            stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
        )
        bot = BotProcess(process)
        self.processes.append(bot)
        return bot

    # -- what a chat shows -----------------------------------------------------------------------

    def messages(self, chat_id: int) -> list[SentMessage]:
        """The bot's messages in the chat as the user sees them now (edits applied), oldest first."""
        return self.api.messages_to(chat_id)

    def texts(self, chat_id: int) -> list[str]:
        return [m.visible_text for m in self.messages(chat_id)]

    def results(self, chat_id: int, ticker: str) -> list[SentMessage]:
        return [m for m in self.messages(chat_id) if is_result(m, ticker)]

    def describe(self, *chat_ids: int) -> str:
        parts = []
        for chat_id in chat_ids:
            shown = "\n".join(f"  [{i}]{' (edited)' if m.edited else ''} {m.visible_text!r}"
                              for i, m in enumerate(self.messages(chat_id)))
            parts.append(f"chat {chat_id} shows:\n{shown or '  (nothing)'}")
        return "\n".join(parts)

    # -- waits -----------------------------------------------------------------------------------

    async def until(self, condition: Callable[[], bool], *, timeout: float, what: str,
                    bot: BotProcess | None = None, chats: tuple[int, ...] = ()) -> float:
        """Wait until condition() holds; fail with what the chats show and the bot's log when it
        does not in time, or as soon as the bot process exits. Return the seconds waited."""
        loop = asyncio.get_running_loop()
        started = loop.time()
        while not condition():
            if bot is not None and bot.exited:
                await bot.kill()
                pytest.fail(f"earnings-bot exited with code {bot.process.returncode} while waiting for "
                            f"{what}\n{self.describe(*chats)}\n--- bot output ---\n{bot.tail(100)}")
            if loop.time() - started > timeout:
                log = f"\n--- bot output (tail) ---\n{bot.tail()}" if bot is not None else ""
                pytest.fail(f"no {what} within {timeout:.0f}s\n{self.describe(*chats)}{log}")
            await asyncio.sleep(0.05)
        return loop.time() - started

    async def reply_to(self, bot: BotProcess, chat_id: int, text: str, *, timeout: float = 10.0) -> SentMessage:
        """Send text as the user and return the bot's next message in the chat."""
        before = len(self.messages(chat_id))
        self.api.user_sends(chat_id, text)
        await self.until(lambda: len(self.messages(chat_id)) > before, timeout=timeout,
                         what=f"reply to {text!r}", bot=bot, chats=(chat_id,))
        return self.messages(chat_id)[before]

    async def calendar_cycles(self, bot: BotProcess, count: int = 1, *, timeout: float = 20.0,
                              path: str = "/api/v1/calendar/earnings") -> None:
        """Wait until the bot has asked the calendar `count` more times (by default Finnhub, the
        last source of a poll: when the next request comes, the previous poll has been stored)."""
        start = sum(1 for p, _q, _h in self.calendars.requests if p == path)
        await self.until(lambda: sum(1 for p, _q, _h in self.calendars.requests if p == path) >= start + count,
                         timeout=timeout, what=f"{count} more calendar requests to {path}", bot=bot)

    async def edgar_reads(self, bot: BotProcess, count: int = 1, *, timeout: float = 20.0) -> None:
        """Wait until the bot has read EDGAR's current-filings feed `count` more times."""
        start = self.edgar.requests["feed"]
        await self.until(lambda: self.edgar.requests["feed"] >= start + count, timeout=timeout,
                         what=f"{count} more EDGAR feed reads", bot=bot)

    async def settle(self, *, quiet: float = 1.5, timeout: float = 15.0, bot: BotProcess | None = None) -> None:
        """Wait until the bot has sent or edited nothing for `quiet` seconds: before asserting that
        something did NOT arrive."""
        loop = asyncio.get_running_loop()
        last_count, last_change = -1, loop.time()

        def quiet_now() -> bool:
            nonlocal last_count, last_change
            count = sum(1 for c in self.api.calls if c.method in ("sendMessage", "editMessageText", "deleteMessage"))
            if count != last_count:
                last_count, last_change = count, loop.time()
            return loop.time() - last_change >= quiet

        await self.until(quiet_now, timeout=timeout, what=f"{quiet}s without a message sent or edited", bot=bot)

    async def new_watcher(self, bot: BotProcess, chat_id: int, *tickers: str) -> None:
        """A new user: /start, then /watch TICKERS, accepted."""
        welcome = await self.reply_to(bot, chat_id, "/start", timeout=20)
        assert "Earnings alerts" in welcome.visible_text, self.describe(chat_id)
        reply = await self.reply_to(bot, chat_id, "/watch " + " ".join(tickers))
        assert "Watching" in reply.visible_text and "don't know" not in reply.visible_text, (
            f"/watch {' '.join(tickers)} was not accepted (is SEC's company list loaded?)\n"
            f"{self.describe(chat_id)}\n--- bot output (tail) ---\n{bot.tail()}")
