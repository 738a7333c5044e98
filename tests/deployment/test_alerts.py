"""What a watcher's chat finally shows when a company reports: through EDGAR, the calendar, or both
in either order; for a second share class; and across a restart.

Schedule: POLL_ACTIVE_SECONDS=1 and POLL_IDLE_SECONDS=5, so that EDGAR and the calendar window are
read every five seconds even when no watched report is due (with the default idle interval of five
minutes, a watched company with no report date is read from EDGAR every five minutes). Where the
calendar path is exercised, Nasdaq answers 429 with Retry-After (so the bot backs off from it) and
the calendar is Finnhub's: the bot reads Nasdaq one day a second over a 32-day window, which would
make every calendar read take over half a minute.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bot.sandbox.calendars import finnhub_row
from tests.deployment.harness import (
    TOKEN,
    BotProcess,
    Deployment,
    is_filing_notice,
    result_verdict,
    results_8k,
    today_in_new_york,
)

pytestmark = pytest.mark.slow

IDLE = 5
NVDA_ESTIMATE = {"eps": 0.85, "revenue": 38_100_000_000}
NVDA_ACTUAL = {"eps_actual": 0.89, "revenue_actual": 39_331_000_000}  # what the EX-99.1 says
_accessions: Iterator[int] = iter(range(1, 10_000))


def next_accession(cik: int = 1045810) -> str:
    return f"{cik:010d}-26-{next(_accessions):06d}"


def nasdaq_refuses(world: Deployment) -> None:
    world.calendars.nasdaq_fail_with = 429
    world.calendars.nasdaq_retry_after = "3600"


def schedule_nvda_today(world: Deployment) -> dict:
    row = finnhub_row("NVDA", today_in_new_york(), **NVDA_ESTIMATE, hour="amc", quarter=4, year=2025)
    world.calendars.finnhub_rows.append(row)
    return row


async def scheduled(world: Deployment, bot: BotProcess) -> None:
    """Wait until a calendar read that started after the watch has been stored: the first Finnhub
    request after a watch is a window read; the one after it starts when that read is stored."""
    await world.calendar_cycles(bot, 2)


def assert_one_result_after_any_notice(world: Deployment, chat_id: int, ticker: str, verdict: str) -> None:
    shown = world.describe(chat_id)
    messages = world.messages(chat_id)
    results = [i for i, m in enumerate(messages) if result_verdict(m.visible_text, ticker)]
    assert len(results) == 1, f"expected exactly one result message for {ticker}\n{shown}"
    [at] = results
    final = messages[at].visible_text
    assert result_verdict(final, ticker) == verdict, f"final result text: {final!r}\n{shown}"
    late_notices = [i for i, m in enumerate(messages) if is_filing_notice(m, ticker) and i > at]
    assert not late_notices, f"the filing notice arrived after the result message\n{shown}"


async def test_results_8k_without_a_calendar_row_shows_the_figures(deployment: Deployment) -> None:
    chat = 6_200_000_001
    bot = await deployment.start(idle_seconds=IDLE)
    await deployment.new_watcher(bot, chat, "NVDA")
    await deployment.edgar_reads(bot, 1)  # EDGAR is read for NVDA now

    deployment.edgar.publish(results_8k(accession=next_accession()))
    await deployment.until(lambda: deployment.results(chat, "NVDA"), timeout=20,
                           what="NVDA result message", bot=bot, chats=(chat,))
    await deployment.settle(bot=bot)

    [result] = deployment.results(chat, "NVDA")
    text = result.visible_text
    assert "NVDA reported" in text, deployment.describe(chat)
    assert "$39.33B" in text, deployment.describe(chat)
    assert "beat" not in text and "miss" not in text, deployment.describe(chat)


async def test_calendar_actuals_first_then_8k_keeps_the_verdict(deployment: Deployment) -> None:
    chat = 6_200_000_002
    nasdaq_refuses(deployment)
    row = schedule_nvda_today(deployment)
    bot = await deployment.start(finnhub=True, idle_seconds=IDLE)
    await deployment.new_watcher(bot, chat, "NVDA")
    await scheduled(deployment, bot)

    row.update(epsActual=NVDA_ACTUAL["eps_actual"], revenueActual=NVDA_ACTUAL["revenue_actual"])
    await deployment.until(lambda: deployment.results(chat, "NVDA"), timeout=15,
                           what="NVDA result from the calendar", bot=bot, chats=(chat,))

    documents = deployment.edgar.requests["document"]
    deployment.edgar.publish(results_8k(accession=next_accession()))
    await deployment.until(lambda: deployment.edgar.requests["document"] > documents, timeout=15,
                           what="the bot reading the 8-K's EX-99.1", bot=bot, chats=(chat,))
    await deployment.edgar_reads(bot, 1)  # the poll that read the exhibit has finished
    await deployment.settle(bot=bot)

    assert_one_result_after_any_notice(deployment, chat, "NVDA", "beat")


async def test_8k_first_then_calendar_actuals_keeps_the_verdict(deployment: Deployment) -> None:
    chat = 6_200_000_003
    nasdaq_refuses(deployment)
    row = schedule_nvda_today(deployment)
    bot = await deployment.start(finnhub=True, idle_seconds=IDLE)
    await deployment.new_watcher(bot, chat, "NVDA")
    await scheduled(deployment, bot)

    deployment.edgar.publish(results_8k(accession=next_accession()))
    await deployment.until(lambda: any(result_verdict(m.visible_text, "NVDA") == "beat"
                                       for m in deployment.results(chat, "NVDA")),
                           timeout=15, what="NVDA beat from the 8-K", bot=bot, chats=(chat,))

    row.update(epsActual=NVDA_ACTUAL["eps_actual"], revenueActual=NVDA_ACTUAL["revenue_actual"])
    await deployment.calendar_cycles(bot, 2)  # the actuals were read and stored
    await deployment.settle(bot=bot)

    assert_one_result_after_any_notice(deployment, chat, "NVDA", "beat")


@pytest.mark.parametrize("googl_watched", [False, True], ids=["only-GOOG-watched", "GOOGL-watched-too"])
async def test_goog_watcher_gets_alphabets_result_from_the_calendar(deployment: Deployment, googl_watched: bool) -> None:
    goog_chat, googl_chat = 6_200_000_004, 6_200_000_005
    nasdaq_refuses(deployment)
    row = finnhub_row("GOOGL", today_in_new_york(), eps=2.10, revenue=94_500_000_000, hour="amc", quarter=4, year=2024)
    deployment.calendars.finnhub_rows.append(row)  # the calendar lists GOOGL only
    bot = await deployment.start(finnhub=True, idle_seconds=IDLE)
    await deployment.new_watcher(bot, goog_chat, "GOOG")
    if googl_watched:
        await deployment.new_watcher(bot, googl_chat, "GOOGL")
    await scheduled(deployment, bot)

    row.update(epsActual=2.15, revenueActual=96_469_000_000)
    if googl_watched:  # the harness sees the calendar result where the product does deliver it
        await deployment.until(lambda: deployment.results(googl_chat, "GOOGL"), timeout=15,
                               what="GOOGL result", bot=bot, chats=(googl_chat,))
    await deployment.until(
        lambda: deployment.results(goog_chat, "GOOG") or deployment.results(goog_chat, "GOOGL"),
        timeout=15, what="Alphabet result in the chat watching GOOG", bot=bot, chats=(goog_chat,))
    await deployment.settle(bot=bot)
    results = deployment.results(goog_chat, "GOOG") + deployment.results(goog_chat, "GOOGL")
    assert len(results) == 1, deployment.describe(goog_chat)
    assert "beat" in results[0].visible_text.split("\n", 1)[0], deployment.describe(goog_chat)


async def test_restart_sends_nothing_twice(deployment: Deployment) -> None:
    chat = 6_200_000_006
    nasdaq_refuses(deployment)
    schedule_nvda_today(deployment)
    bot = await deployment.start(finnhub=True, idle_seconds=IDLE)
    await deployment.new_watcher(bot, chat, "NVDA")
    await scheduled(deployment, bot)
    deployment.edgar.publish(results_8k(accession=next_accession()))
    await deployment.until(lambda: deployment.results(chat, "NVDA"), timeout=15,
                           what="NVDA result", bot=bot, chats=(chat,))
    await deployment.settle(bot=bot)
    alerts_before = [m.visible_text for m in deployment.messages(chat)
                     if is_filing_notice(m) or result_verdict(m.visible_text, "NVDA")]
    sent_before = len(deployment.messages(chat))

    code, seconds = await bot.terminate(timeout=5)
    assert code == 0, f"SIGTERM: exit code {code} after {seconds:.1f}s\n{bot.tail()}"
    assert "Traceback" not in bot.output, bot.output
    assert TOKEN not in bot.output and TOKEN.split(":")[1] not in bot.output

    again = await deployment.start(finnhub=True, idle_seconds=IDLE)
    back = await deployment.reply_to(again, chat, "/start", timeout=20)
    assert "Welcome back" in back.visible_text, deployment.describe(chat)
    await deployment.edgar_reads(again, 2)
    await deployment.calendar_cycles(again, 2)
    await deployment.settle(bot=again)

    after = deployment.messages(chat)[sent_before:]
    repeated = [m.visible_text for m in after if m is not back]
    assert not repeated, (f"after the restart the chat got {len(repeated)} more message(s) besides the "
                          f"reply to /start; alerts before: {alerts_before!r}\n{deployment.describe(chat)}")
    code, _ = await again.terminate(timeout=5)
    assert code == 0, again.tail()
    assert "Traceback" not in again.output, again.output
