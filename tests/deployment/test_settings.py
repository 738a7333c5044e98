"""A deployed bot: a chat widens its in-line band to ±5% (typed) and sets a minimum surprise of 5%
(on the /settings pages, by buttons); NVDA's 8-K comes (+4.7% EPS, +3.2% revenue): that chat's one
result reads "in line" and arrived without a sound, while a chat on the defaults reads "beat" with a
sound, for the same report."""

from __future__ import annotations

import pytest

from bot.sandbox.bot_api import SentMessage
from tests.deployment.harness import Deployment, result_verdict, results_8k
from tests.deployment.test_alerts import (
    IDLE,
    assert_one_result_after_any_notice,
    nasdaq_refuses,
    next_accession,
    schedule_nvda_today,
    scheduled,
)

pytestmark = pytest.mark.slow


def answered(deployment: Deployment) -> list[str | None]:
    return [c.params.get("text") for c in deployment.api.calls if c.method == "answerCallbackQuery"]


async def test_a_wider_band_and_a_minimum_surprise_make_that_chats_beat_a_quiet_in_line(
    deployment: Deployment,
) -> None:
    mine, other = 6_400_000_001, 6_400_000_002
    nasdaq_refuses(deployment)
    schedule_nvda_today(deployment)
    bot = await deployment.start(finnhub=True, idle_seconds=IDLE)
    await deployment.new_watcher(bot, mine, "NVDA")
    await deployment.new_watcher(bot, other, "NVDA")
    await scheduled(deployment, bot)

    reply = await deployment.reply_to(bot, mine, "/settings band 5%")
    assert reply.visible_text.startswith("✅ In-line band: ±5%"), deployment.describe(mine)
    menu = await deployment.reply_to(bot, mine, "/settings")
    assert "In-line band: ±5% for revenue, other amounts and EPS" in menu.visible_text, deployment.describe(mine)

    async def tap(data: str, shows: str) -> SentMessage:
        deployment.api.user_clicks(mine, menu.message_id, data)
        await deployment.until(lambda: shows in current(deployment, mine, menu).visible_text, timeout=10,
                               what=f"the menu after {data}", bot=bot, chats=(mine,))
        return current(deployment, mine, menu)

    await tap("set:min", "Minimum surprise\n")
    page = await tap("min:500", "✅ Minimum surprise: 5%")
    assert "Now: 5%: results with every surprise under 5% come without a sound" in page.visible_text
    assert answered(deployment)[-1] == "Minimum surprise: 5%"
    await tap("set:main", "Minimum surprise: 5%: results with every surprise under 5%")

    deployment.edgar.publish(results_8k(accession=next_accession()))
    for chat in (mine, other):
        await deployment.until(lambda chat=chat: bool(deployment.results(chat, "NVDA")), timeout=20,
                               what="NVDA result", bot=bot, chats=(chat,))
    await deployment.settle(bot=bot)

    assert_one_result_after_any_notice(deployment, mine, "NVDA", "in line")
    assert_one_result_after_any_notice(deployment, other, "NVDA", "beat")
    [quiet] = deployment.results(mine, "NVDA")
    assert "EPS $0.89 vs $0.85 est. (+4.7%) ➖ in line" in quiet.visible_text, deployment.describe(mine)
    assert quiet.silent, f"the result rang\n{deployment.describe(mine)}"
    [loud] = deployment.results(other, "NVDA")
    assert "EPS $0.89 vs $0.85 est. (+4.7%) ✅ beat" in loud.visible_text, deployment.describe(other)
    assert result_verdict(loud.visible_text, "NVDA") == "beat" and not loud.silent


def current(deployment: Deployment, chat_id: int, message: SentMessage) -> SentMessage:
    """The message as the chat shows it now (edits applied)."""
    return next(m for m in deployment.messages(chat_id) if m.message_id == message.message_id)
