"""A deployed bot: a chat sets its own EPS and Data Center numbers for NVDA's report, the 8-K comes,
and that chat's result shows both as "yours" with their verdict (Data Center read from the release),
while another watcher's result has no "yours" line."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.sandbox.calendars import finnhub_row
from tests.deployment.harness import (
    Deployment,
    now_utc,
    result_verdict,
    results_8k,
    today_in_new_york,
)
from tests.deployment.test_alerts import (
    IDLE,
    NVDA_ESTIMATE,
    nasdaq_refuses,
    next_accession,
    scheduled,
)

pytestmark = pytest.mark.slow


async def test_own_numbers_reach_the_result_of_the_chat_that_set_them(deployment: Deployment) -> None:
    mine, other = 6_300_000_001, 6_300_000_002
    nasdaq_refuses(deployment)
    deployment.calendars.finnhub_rows.append(
        finnhub_row("NVDA", today_in_new_york(), **NVDA_ESTIMATE, hour="amc", quarter=4, year=2025))
    bot = await deployment.start(finnhub=True, idle_seconds=IDLE)
    await deployment.new_watcher(bot, mine, "NVDA")
    await deployment.new_watcher(bot, other, "NVDA")
    await scheduled(deployment, bot)

    reply = await deployment.reply_to(bot, mine, "/expect NVDA eps 0.90")
    assert "adjusted EPS $0.90 (USD per share)" in reply.visible_text, deployment.describe(mine)
    reply = await deployment.reply_to(bot, mine, "/expect NVDA data_center_revenue 36B")
    assert "Data Center revenue $36B (USD)" in reply.visible_text, deployment.describe(mine)

    # EDGAR's acceptance time has whole seconds: a filing accepted in the very second a number was
    # typed would count it as set after the report
    deployment.edgar.publish(results_8k(accession=next_accession(), accepted_at=now_utc() + timedelta(seconds=1)))
    for chat in (mine, other):
        await deployment.until(lambda chat=chat: any(result_verdict(m.visible_text, "NVDA") == "beat"
                                                     for m in deployment.results(chat, "NVDA")),
                               timeout=20, what="NVDA result", bot=bot, chats=(chat,))
    await deployment.settle(bot=bot)

    [result] = deployment.results(mine, "NVDA")
    text = result.visible_text
    assert "EPS $0.89 vs $0.90 yours (-1.1%) ❌ miss" in text, deployment.describe(mine)
    assert "Data center revenue $35.60B vs $36.00B yours (-1.1%) ❌ miss" in text, deployment.describe(mine)
    [theirs] = deployment.results(other, "NVDA")
    assert "yours" not in theirs.visible_text, deployment.describe(other)
    assert "EPS $0.89 vs $0.85 est." in theirs.visible_text, deployment.describe(other)


async def test_an_own_number_for_a_quarter_no_calendar_knows_yet_reaches_its_result(deployment: Deployment) -> None:
    """A new deployment, no calendar answering: NVDA's fiscal year end is unknown, so "Q4FY2025" can
    only be named by its fiscal quarter; the 8-K's "fourth quarter ended January 26, 2025" is it."""
    mine, other = 6_300_000_011, 6_300_000_012
    nasdaq_refuses(deployment)
    bot = await deployment.start(idle_seconds=IDLE)
    await deployment.new_watcher(bot, mine, "NVDA")
    await deployment.new_watcher(bot, other, "NVDA")

    reply = await deployment.reply_to(bot, mine, "/expect NVDA eps 0.95 Q4FY2025")
    assert "adjusted EPS $0.95 (USD per share)" in reply.visible_text, deployment.describe(mine)
    assert "Q4 FY2025" in reply.visible_text, deployment.describe(mine)

    # EDGAR's acceptance time has whole seconds: a filing accepted in the very second the number
    # was typed would count it as set after the report
    deployment.edgar.publish(results_8k(accession=next_accession(), accepted_at=now_utc() + timedelta(seconds=1)))
    for chat in (mine, other):
        await deployment.until(lambda chat=chat: bool(deployment.results(chat, "NVDA")),
                               timeout=20, what="NVDA result", bot=bot, chats=(chat,))
    await deployment.settle(bot=bot)

    [result] = deployment.results(mine, "NVDA")
    assert result.visible_text.startswith("📣 NVDA reported: Q4 FY2025"), deployment.describe(mine)
    assert "EPS $0.89 vs $0.95 yours (-6.3%) ❌ miss" in result.visible_text, deployment.describe(mine)
    [theirs] = deployment.results(other, "NVDA")
    assert "yours" not in theirs.visible_text, deployment.describe(other)
    assert "No consensus stored" in theirs.visible_text, deployment.describe(other)
    last = await deployment.reply_to(bot, mine, "/last NVDA")
    assert "EPS $0.89 vs $0.95 yours (-6.3%) ❌ miss" in last.visible_text, deployment.describe(mine)
