"""A deployed bot: after NVDA's 8-K, /chart NVDA answers with a photo of the quarter (EPS and
revenue against the consensus, beat bars green); an administrator sends a CSV of expectations as
a document and sees it imported, another user is refused, and `earnings-bot expectations export`
prints what was stored."""

from __future__ import annotations

import asyncio
import io
import os
from pathlib import Path

import pytest
from PIL import Image

from bot.sandbox.calendars import finnhub_row
from tests.deployment.harness import Deployment, result_verdict, results_8k, today_in_new_york
from tests.deployment.test_alerts import (
    IDLE,
    NVDA_ESTIMATE,
    nasdaq_refuses,
    next_accession,
    scheduled,
)

pytestmark = pytest.mark.slow

BEAT_GREEN, MISS_RED = (0x2E, 0x7D, 0x32), (0xC6, 0x28, 0x28)  # bot.delivery.chart_image.VERDICT_COLORS


async def test_chart_after_a_report_is_a_photo_of_that_quarter(deployment: Deployment) -> None:
    chat = 6_400_000_001
    nasdaq_refuses(deployment)
    deployment.calendars.finnhub_rows.append(
        finnhub_row("NVDA", today_in_new_york(), **NVDA_ESTIMATE, hour="amc", quarter=4, year=2025))
    bot = await deployment.start(finnhub=True, idle_seconds=IDLE)
    await deployment.new_watcher(bot, chat, "NVDA")
    before = await deployment.reply_to(bot, chat, "/chart NVDA")
    assert "No reported quarters of NVDA are stored yet" in before.visible_text, deployment.describe(chat)
    await scheduled(deployment, bot)
    deployment.edgar.publish(results_8k(accession=next_accession()))
    await deployment.until(lambda: any(result_verdict(m.visible_text, "NVDA") == "beat"
                                       for m in deployment.results(chat, "NVDA")),
                           timeout=20, what="NVDA result", bot=bot, chats=(chat,))

    deployment.api.user_sends(chat, "/chart nvda")
    await deployment.until(lambda: bool(deployment.api.photos_to(chat)), timeout=30, what="the chart photo",
                           bot=bot, chats=(chat,))
    [photo] = deployment.api.photos_to(chat)
    assert photo.photo is not None
    image = Image.open(io.BytesIO(photo.photo))
    assert image.format == "PNG" and image.size == (1200, 1000)
    plot = image.convert("RGB").crop((0, 0, 1200, 900))  # the bars, without the legend at the bottom
    pixels = {color: count for count, color in plot.getcolors(maxcolors=1 << 20) or []}
    assert pixels.get(BEAT_GREEN, 0) > 5000 and MISS_RED not in pixels  # EPS and revenue both beat
    if os.environ.get("CHART_PNG_OUT"):
        Path(os.environ["CHART_PNG_OUT"]).write_bytes(photo.photo)
    assert photo.visible_text.startswith("📊 NVDA NVIDIA CORP: EPS and revenue against the consensus")
    assert "1 quarter (Q4 FY25)" in photo.visible_text
    unknown = await deployment.reply_to(bot, chat, "/chart NVDAX")
    assert "I don't know the ticker NVDAX" in unknown.visible_text


async def test_an_admin_imports_a_csv_document(deployment: Deployment) -> None:
    admin, user = 6_400_000_002, 6_400_000_003
    bot = await deployment.start(idle_seconds=IDLE, extra_env={"ADMIN_CHAT_IDS": str(admin)})
    await deployment.new_watcher(bot, admin, "NVDA")
    csv = ("ticker,period,metric,value,unit,currency,basis,source\n"
           "NVDA,Q1 FY2026,eps,0.91,per_share,USD,adjusted,mybank\n"
           f"NVDA,Q1 FY2026,eps,0.95,per_share,USD,adjusted,chat:{admin}\n").encode()

    deployment.api.user_sends(user, "/start")
    await deployment.until(lambda: bool(deployment.messages(user)), timeout=10, what="welcome", bot=bot)
    deployment.api.user_sends_document(user, "numbers.csv", csv)
    await deployment.until(lambda: len(deployment.messages(user)) == 2, timeout=10, what="refusal", bot=bot,
                           chats=(user,))
    assert deployment.texts(user)[-1].startswith("Sorry, only the bot's administrators can import")

    bad = csv + b"NVDAX,Q1 FY2026,eps,1,per_share,USD,adjusted,mybank\n"
    for data in (bad, csv):
        count = len(deployment.messages(admin))
        deployment.api.user_sends_document(admin, "numbers.csv", data)
        await deployment.until(lambda count=count: len(deployment.messages(admin)) > count, timeout=15,
                               what="import reply", bot=bot, chats=(admin,))
    refused, imported = deployment.texts(admin)[-2:]
    assert refused.splitlines()[:2] == ["⚠️ Nothing imported from numbers.csv: 1 bad line. Fix them and send the "
                                        "file again.", "line 4: unknown ticker NVDAX (did you mean NVDA?)"]
    assert imported == "✅ Imported numbers.csv: 2 rows, 2 new, 0 already stored."
    listed = await deployment.reply_to(bot, admin, "/expectations NVDA")
    assert "NVDA Q1 FY2026 · adjusted EPS: yours $0.95 · consensus $0.91" in listed.visible_text, \
        deployment.describe(admin)

    export = await asyncio.create_subprocess_exec(
        str(deployment.command), "expectations", "export", cwd=deployment.workdir, env=deployment.env(),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(export.communicate(), 60)
    assert export.returncode == 0, err.decode()
    assert out.decode().splitlines() == [
        "ticker,period,metric,value,unit,currency,basis,source",
        f"NVDA,Q1 FY2026,eps,0.95,per_share,USD,adjusted,chat:{admin}",
        "NVDA,Q1 FY2026,eps,0.91,per_share,USD,adjusted,mybank",
    ]
