"""The installed bot races a newswire against EDGAR: the wire's release reaches the watcher first as
the result alert, then the 8-K adds its link to that same message by an edit (no second message,
no "has just filed" notice after it), and /status tells who came first. A feed stuck on an old item
shows as stale in /status and in `earnings-bot status`. NEWSWIRE_FEEDS points at loopback
GlobeNewswire and PR Newswire feeds, SEC at the loopback EDGAR, Finnhub gives the consensus."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from bot.sandbox.feeds import FakeFeeds, Release, globenewswire_rss, prnewswire_rss
from tests.deployment.harness import (
    FIXTURES,
    Deployment,
    is_filing_notice,
    now_utc,
    result_verdict,
    results_8k,
)
from tests.deployment.test_alerts import (
    nasdaq_refuses,
    next_accession,
    schedule_nvda_today,
    scheduled,
)

pytestmark = pytest.mark.slow

FEED = "/globenewswire/rss"
STUCK = "/prnewswire/rss/financial-services-latest-news-list.rss"
PAGE = (FIXTURES / "press_releases" / "nvda_q4_fy2025_ex99-1.htm").read_text(encoding="utf-8")


def wire_release(url: str) -> Release:
    return Release(
        title="NVIDIA Announces Financial Results for Fourth Quarter and Fiscal 2025",
        paragraphs=("SANTA CLARA, Calif. (GLOBE NEWSWIRE) -- NVIDIA (NASDAQ: NVDA) today reported revenue for the "
                    "fourth quarter ended January 26, 2025, of $39.3 billion, up 12% from the previous quarter.",),
        published=now_utc() - timedelta(seconds=5), organization="NVIDIA Corporation", url=url,
    )


async def test_the_wire_alerts_first_and_the_8k_edits_in_its_link(deployment: Deployment) -> None:
    chat = 6_300_000_001
    nasdaq_refuses(deployment)
    schedule_nvda_today(deployment)
    async with FakeFeeds() as feeds:
        feeds.publish(FEED, globenewswire_rss([]))
        bot = await deployment.start(finnhub=True, idle_seconds=5,
                                     extra_env={"NEWSWIRE_FEEDS": feeds.url + FEED, "IR_FEEDS_FILE": "none"})
        await deployment.new_watcher(bot, chat, "NVDA")
        await scheduled(deployment, bot)
        # the feed's first read (history only) has been stored when a second request comes
        await deployment.until(lambda: len(feeds.statuses(FEED)) >= 2, timeout=15, what="two wire reads", bot=bot)

        page = feeds.publish_page("/news-release/nvda-q4.htm", PAGE)
        feeds.publish(FEED, globenewswire_rss([wire_release(page)]))
        await deployment.until(lambda: any("Release on GlobeNewswire" in m.visible_text
                                           for m in deployment.results(chat, "NVDA")),
                               timeout=20, what="NVDA result from the wire", bot=bot, chats=(chat,))
        [first] = deployment.results(chat, "NVDA")
        assert result_verdict(first.visible_text, "NVDA") == "beat", deployment.describe(chat)
        assert "SEC EDGAR" not in first.visible_text

        deployment.edgar.publish(results_8k(accession=next_accession()))
        await deployment.until(lambda: any("8-K on SEC EDGAR" in m.visible_text
                                           for m in deployment.results(chat, "NVDA")),
                               timeout=20, what="the 8-K's link in the result", bot=bot, chats=(chat,))
        await deployment.settle(bot=bot)

    [result] = deployment.results(chat, "NVDA")
    assert result.message_id == first.message_id and result.edited, deployment.describe(chat)
    assert "Release on GlobeNewswire · 8-K on SEC EDGAR" in result.visible_text
    assert result_verdict(result.visible_text, "NVDA") == "beat"
    assert not any(is_filing_notice(m, "NVDA") for m in deployment.messages(chat)), deployment.describe(chat)

    status = (await deployment.reply_to(bot, chat, "/status")).visible_text.splitlines()
    assert "GlobeNewswire: first 1/1" in status, status
    assert any(line.startswith("SEC EDGAR: first 0/1, median lag ") for line in status), status


async def test_a_feed_stuck_on_an_old_item_is_stale_in_status(deployment: Deployment) -> None:
    chat = 6_300_000_002
    nasdaq_refuses(deployment)
    async with FakeFeeds() as feeds:
        feeds.publish(FEED, globenewswire_rss([wire_release(feeds.url + "/news-release/today.htm")]))
        old = Release("Orion Widgets Reports Third Quarter 2025 Results",
                      ("AUSTIN, Texas /PRNewswire/ -- Orion Widgets, Inc. (NASDAQ: ORWG) today reported results.",),
                      published=now_utc() - timedelta(days=40), number=302000001)
        feeds.publish(STUCK, prnewswire_rss([old]))
        wires = f"{feeds.url}{FEED},{feeds.url}{STUCK}"
        bot = await deployment.start(finnhub=True, idle_seconds=5,
                                     extra_env={"NEWSWIRE_FEEDS": wires, "IR_FEEDS_FILE": "none"})
        await deployment.new_watcher(bot, chat, "NVDA")  # feeds are read once somebody watches
        # polls run one after another: a second request means the first read has been stored
        await deployment.until(lambda: len(feeds.statuses(STUCK)) >= 2, timeout=30, what="two reads of each wire",
                               bot=bot)
        status = (await deployment.reply_to(bot, chat, "/status")).visible_text
        cli = await asyncio.create_subprocess_exec(
            str(deployment.command), "status", cwd=deployment.workdir, env=deployment.env(),
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
        printed = (await asyncio.wait_for(cli.communicate(), 60))[0].decode()

    [stuck] = [line for line in status.splitlines() if line.startswith("PR Newswire feed:")]
    assert "⚠️ stale: no new item for 30 days" in stuck, status
    [fresh] = [line for line in status.splitlines() if line.startswith("GlobeNewswire feed:")]
    assert "stale" not in fresh, status
    assert "feed PR Newswire: stale: no new item for 30 days" in printed.splitlines(), printed
    assert "feed GlobeNewswire: stale" not in printed, printed
