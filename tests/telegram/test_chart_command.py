"""/chart as the user sees it (the real client over HTTP to the loopback Bot API): a photo that
decodes at phone size with a caption, or a clear text reply when there is nothing to draw."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator

import pytest
from PIL import Image
from sqlalchemy import Engine
from sqlmodel import select

from bot.delivery import chart_image
from bot.delivery.chart_image import HEIGHT_PX, WIDTH_PX
from bot.store.db import session_scope
from bot.store.tables import Company
from tests.conftest import SHARED
from tests.engine.chart_seed import nvda_history
from tests.telegram.bot_harness import RunningBot, running_bot, seed_universe
from tests.telegram.spec import spec_problems

ALICE = 5_200_000_001


@pytest.fixture
async def bot(db: Engine, database_url: str) -> AsyncIterator[RunningBot]:
    seed_universe(db)
    with session_scope(db) as session:
        nvda = session.exec(select(Company).where(Company.ticker == "NVDA")).one()
        nvda_history(session, nvda)
    async with running_bot(db, database_url) as running:
        yield running
    spec = SHARED / "telegram-bot-api" / "api.json"
    if spec.exists():
        assert spec_problems(running.api.calls, spec) == []


async def test_chart_is_a_photo_that_decodes_at_phone_size(bot: RunningBot) -> None:
    bot.api.user_sends(ALICE, "/chart nvda")
    [photo] = await bot.api.wait_for_messages(ALICE, 1, timeout=30)
    assert photo.photo is not None
    image = Image.open(io.BytesIO(photo.photo))
    assert image.format == "PNG" and image.size == (WIDTH_PX, HEIGHT_PX)
    image.load()  # the whole image decodes, not just its header
    assert photo.photo_size == (WIDTH_PX, HEIGHT_PX)
    assert photo.visible_text.startswith("📊 NVDA NVIDIA CORP: EPS and revenue")
    assert "8 quarters (Q1 FY20 to Q4 FY21)" in photo.visible_text
    assert [c.params["action"] for c in bot.api.calls if c.method == "sendChatAction"] == ["upload_photo"]


async def test_nothing_to_draw_is_a_clear_text_reply(bot: RunningBot) -> None:
    [unknown] = await bot.say(ALICE, "/chart NVDAX")
    assert "I don't know the ticker NVDAX" in unknown and "NVDA" in unknown
    [nothing] = await bot.say(ALICE, "/chart AAPL")
    assert "No reported quarters of AAPL are stored yet" in nothing
    [usage] = await bot.say(ALICE, "/chart")
    assert "/chart NVDA" in usage
    [garbage] = await bot.say(ALICE, "/chart <b>")
    assert "I don't know the ticker <b>" in garbage
    assert bot.api.photos_to(ALICE) == []


async def test_other_chats_are_answered_while_a_chart_is_drawn(bot: RunningBot) -> None:
    other = ALICE + 1
    with chart_image._RENDER_LOCK:  # the drawing can't finish until the lock is released
        bot.api.user_sends(ALICE, "/chart NVDA")
        [reply] = await bot.say(other, "/help")
        assert "/chart" in reply
        [again] = await bot.say(ALICE, "/chart NVDA")  # one chart at a time per chat
        assert again.startswith("📊 Still drawing your last chart")
        assert bot.api.photos_to(ALICE) == []
    await bot.api.wait_for_messages(ALICE, 2, timeout=30)
    assert len(bot.api.photos_to(ALICE)) == 1
