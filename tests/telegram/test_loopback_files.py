"""The loopback Bot API's files, through the real python-telegram-bot client: sendPhoto uploads
kept byte for byte, images Telegram would refuse refused, documents users send fetched with
getFile and downloaded from /file/bot<token>/<file_path>."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator

import pytest
from PIL import Image
from telegram import Bot
from telegram.error import BadRequest

from bot.sandbox.bot_api import LoopbackBotApi
from bot.sandbox.bot_api_spec import image_size
from tests.conftest import BOT_API_SPEC

CHAT = 5_300_000_001


@pytest.fixture
async def api() -> AsyncIterator[LoopbackBotApi]:
    async with LoopbackBotApi(spec_path=BOT_API_SPEC) as server:
        yield server


@pytest.fixture
async def bot(api: LoopbackBotApi) -> AsyncIterator[Bot]:
    async with Bot(api.token, base_url=api.bot_base_url, base_file_url=f"{api.base_url}/file/bot") as client:
        yield client


def image(width: int, height: int, kind: str = "PNG") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), "white").save(buffer, format=kind)
    return buffer.getvalue()


async def test_a_photo_upload_is_kept_byte_for_byte_with_its_size_and_caption(api: LoopbackBotApi, bot: Bot) -> None:
    png = image(1200, 900)
    message = await bot.send_photo(CHAT, png, caption="<b>NVDA</b> chart", parse_mode="HTML")
    [sent] = api.photos_to(CHAT)
    assert sent.photo == png and sent.photo_size == (1200, 900)
    assert sent.visible_text == "NVDA chart" and sent.text == "<b>NVDA</b> chart"
    assert message.caption == "NVDA chart" and message.photo[-1].width == 1200 and message.text is None
    with pytest.raises(BadRequest, match="(?i)no text in the message"):
        await bot.edit_message_text("new", CHAT, message.message_id)


async def test_what_telegram_refuses_is_refused(api: LoopbackBotApi, bot: Bot) -> None:
    with pytest.raises(BadRequest, match="(?i)image_process_failed"):
        await bot.send_photo(CHAT, b"not an image at all")
    with pytest.raises(BadRequest, match="(?i)photo_invalid_dimensions"):
        await bot.send_photo(CHAT, image(2000, 20))
    with pytest.raises(BadRequest, match="(?i)caption is too long"):
        await bot.send_photo(CHAT, image(100, 100), caption="x" * 1025)
    with pytest.raises(BadRequest, match="(?i)wrong file identifier"):
        await bot.send_photo(CHAT, "no-such-file-id")
    assert api.photos_to(CHAT) == []


def test_image_size_reads_png_and_jpeg() -> None:
    assert image_size(image(321, 123)) == (321, 123)
    assert image_size(image(640, 480, "JPEG")) == (640, 480)
    assert image_size(b"GIF89a....") is None


async def test_a_document_a_user_sends_is_fetched_and_downloaded(api: LoopbackBotApi, bot: Bot) -> None:
    api.user_sends_document(CHAT, "numbers.csv", b"ticker,period\nNVDA,Q4 FY2025\n")
    [update] = await bot.get_updates()
    document = update.message.document  # type: ignore[union-attr]
    assert document is not None and document.file_name == "numbers.csv" and document.mime_type == "text/csv"
    assert document.file_size == 29
    file = await bot.get_file(document.file_id)
    assert bytes(await file.download_as_bytearray()) == b"ticker,period\nNVDA,Q4 FY2025\n"
    assert api.downloads == [(api.files[document.file_id].file_path, 200)]
    with pytest.raises(BadRequest, match="(?i)invalid file_id"):
        await bot.get_file("nope")
