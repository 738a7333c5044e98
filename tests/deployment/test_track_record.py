"""A deployed bot on an empty database: a chat watches NVDA, the bot reads NVDA's past quarters once
(Finnhub's past surprises, SEC's companyfacts), NVDA's 8-K comes, and the result alert shows the
outlook against the next quarter's consensus, the year-over-year growth and the beat streak; /last
then shows the same result with the asking chat's own number, and clear replies for a company
unknown or not reported yet."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
from sqlalchemy import create_engine, text

from bot.sandbox.calendars import finnhub_row, finnhub_surprise_row
from tests.deployment.harness import (
    FINNHUB_KEY,
    NVDA_CIK,
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

NEXT_QUARTER_DAYS = 91


def companyfacts_fiscal_2024() -> bytes:
    """NVIDIA's fiscal 2024 as its 10-K states it: the year and the nine months give Q4's revenue."""
    def fact(start: str, end: str, value: int) -> dict[str, object]:
        return {"start": start, "end": end, "val": value, "accn": "0001045810-24-000029", "fy": 2024, "fp": "FY",
                "form": "10-K", "filed": "2024-02-21"}
    return json.dumps({"cik": NVDA_CIK, "entityName": "NVIDIA CORP", "facts": {"us-gaap": {"Revenues": {"units": {
        "USD": [fact("2023-01-30", "2024-01-28", 60_922_000_000), fact("2023-01-30", "2023-10-29", 38_819_000_000)],
    }}}}}).encode()


def scheduled_nvda_reports(database_url: str) -> int:
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            return int(connection.execute(text(
                "SELECT count(*) FROM earnings_event e JOIN company c ON c.id = e.company_id "
                "WHERE c.ticker = 'NVDA' AND e.state = 'scheduled' AND e.report_date IS NOT NULL")).scalar() or 0)
    finally:
        engine.dispose()


async def test_the_alert_and_last_show_outlook_growth_and_streak(deployment: Deployment) -> None:
    mine, other = 6_400_000_001, 6_400_000_002
    today = today_in_new_york()
    nasdaq_refuses(deployment)
    deployment.calendars.finnhub_rows += [
        finnhub_row("NVDA", today, **NVDA_ESTIMATE, hour="amc", quarter=4, year=2025),
        finnhub_row("NVDA", today + timedelta(days=NEXT_QUARTER_DAYS), eps=0.93, revenue=41_800_000_000, hour="amc",
                    quarter=1, year=2026),
    ]
    deployment.calendars.finnhub_surprises["NVDA"] = [  # the three quarters before: each a beat
        finnhub_surprise_row("NVDA", date(2024, 10, 31), actual=0.81, estimate=0.7518, quarter=3, year=2025),
        finnhub_surprise_row("NVDA", date(2024, 7, 31), actual=0.68, estimate=0.6434, quarter=2, year=2025),
        finnhub_surprise_row("NVDA", date(2024, 4, 30), actual=0.613, estimate=0.5594, quarter=1, year=2025),
    ]
    deployment.edgar.companyfacts[NVDA_CIK] = companyfacts_fiscal_2024()
    bot = await deployment.start(finnhub=True, idle_seconds=IDLE)
    await deployment.new_watcher(bot, mine, "NVDA")
    await deployment.new_watcher(bot, other, "NVDA")
    await deployment.until(lambda: "history seeded ticker=NVDA" in bot.output, timeout=30,
                           what="NVDA's past results read", bot=bot)
    assert deployment.edgar.requests["companyfacts"] == 1  # once for the company, whoever watches it
    await scheduled(deployment, bot)

    before = await deployment.reply_to(bot, mine, "/last NVDA")
    assert "No result stored yet" in before.visible_text, deployment.describe(mine)
    reply = await deployment.reply_to(bot, mine, "/expect NVDA eps 0.90")
    assert "adjusted EPS $0.90" in reply.visible_text, deployment.describe(mine)

    # EDGAR's acceptance time has whole seconds: a filing accepted in the very second the number
    # was typed would count it as set after the report
    deployment.edgar.publish(results_8k(accession=next_accession(), accepted_at=now_utc() + timedelta(seconds=1)))
    for chat in (mine, other):
        await deployment.until(lambda chat=chat: any(result_verdict(m.visible_text, "NVDA") == "beat"
                                                     for m in deployment.results(chat, "NVDA")),
                               timeout=20, what="NVDA result", bot=bot, chats=(chat,))
    await deployment.settle(bot=bot)

    [alert] = deployment.results(other, "NVDA")
    text = alert.visible_text
    assert "Outlook: revenue $43.0B ±2% vs $41.8B consensus (+2.9%)" in text, deployment.describe(other)
    assert "midpoint of the range" in text
    assert "Revenue +78% YoY · adjusted EPS +71% YoY" in text, deployment.describe(other)
    assert "🔁 4th straight EPS beat" in text, deployment.describe(other)

    last = await deployment.reply_to(bot, mine, "/last NVDA")
    shown = last.visible_text
    assert shown.startswith("🟢 NVDA beat"), deployment.describe(mine)
    assert "EPS $0.89 vs $0.90 yours (-1.1%) ❌ miss" in shown, deployment.describe(mine)
    for line in ("Outlook: revenue $43.0B ±2% vs $41.8B consensus (+2.9%)", "Revenue +78% YoY",
                 "🔁 4th straight EPS beat", "EPS $0.89 vs $0.85 est. (+4.7%) ✅ beat"):
        assert line in shown, deployment.describe(mine)
    theirs = await deployment.reply_to(bot, other, "/last nvda")
    assert "yours" not in theirs.visible_text and "4th straight EPS beat" in theirs.visible_text

    unknown = await deployment.reply_to(bot, other, "/last NVDQ")
    assert "I don't know the ticker NVDQ" in unknown.visible_text and "NVDA" in unknown.visible_text
    unreported = await deployment.reply_to(bot, other, "/last AMZN")
    assert "AMZN" in unreported.visible_text and "No result stored yet" in unreported.visible_text
    usage = await deployment.reply_to(bot, other, "/last")
    assert "/last NVDA" in usage.visible_text
    assert "Traceback" not in bot.output and FINNHUB_KEY not in bot.output, bot.tail(60)
