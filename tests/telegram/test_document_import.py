"""An administrator sends a CSV of expectations as a document (the real client over HTTP to the
loopback Bot API, which serves getFile and the download): imported whole, or nothing with the bad
lines named; everyone else refused; a non-CSV or too-large file answered clearly."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy import Engine
from sqlmodel import select

from bot.domain.expectation_csv import COLUMNS, MAX_CSV_BYTES
from bot.store.db import session_scope
from bot.store.tables import ExpectationRow
from tests.conftest import SHARED
from tests.telegram.bot_harness import RunningBot, running_bot, seed_universe
from tests.telegram.spec import spec_problems

ADMIN, USER = 5_500_000_001, 5_500_000_002
ADMIN_GROUP, OTHER_GROUP = -1_005_500_000_003, -1_005_500_000_004
GOOD = ("\n".join([",".join(COLUMNS),
                   "NVDA,Q1 FY2026,eps,0.95,per_share,USD,adjusted,mybank",
                   "NVDA,Q1 FY2026,data_center_revenue,39B,money,USD,gaap,mybank"]) + "\n").encode()


@pytest.fixture
async def bot(db: Engine, database_url: str) -> AsyncIterator[RunningBot]:
    seed_universe(db)
    async with running_bot(db, database_url, admin_chat_ids=f"{ADMIN},{ADMIN_GROUP}") as running:
        yield running
    spec = SHARED / "telegram-bot-api" / "api.json"
    if spec.exists():
        assert spec_problems(running.api.calls, spec) == []


def stored(db: Engine) -> list[tuple[str, str, str]]:
    with session_scope(db) as session:
        return sorted((r.metric, str(r.value), r.source) for r in session.exec(select(ExpectationRow)).all())


async def send(bot: RunningBot, chat: int, name: str | None, data: bytes, **kwargs: object) -> str:
    before = len(bot.api.messages_to(chat))
    bot.api.user_sends_document(chat, name, data, **kwargs)  # type: ignore[arg-type]
    messages = await bot.api.wait_for_messages(chat, before + 1, timeout=10)
    return messages[before].visible_text


async def test_an_admins_csv_is_imported_and_the_reply_counts_the_rows(bot: RunningBot, db: Engine) -> None:
    reply = await send(bot, ADMIN, "numbers.csv", GOOD)
    assert reply == "✅ Imported numbers.csv: 2 rows, 2 new, 0 already stored."
    assert stored(db) == [("eps", "0.95", "mybank"), ("kpi:data_center_revenue", "39000000000", "mybank")]
    assert len(bot.api.downloads) == 1 and bot.api.downloads[0][1] == 200
    again = await send(bot, ADMIN_GROUP, "numbers.csv", GOOD, chat_type="supergroup")
    assert again == "✅ Imported numbers.csv: 2 rows, 0 new, 2 already stored."


async def test_bad_lines_are_named_and_nothing_is_imported(bot: RunningBot, db: Engine) -> None:
    bad = GOOD + b"NVDAX,Q1 FY2026,eps,1,per_share,USD,adjusted,mybank\nNVDA,Q1 FY2026,eps,<b>,per_share,USD,adjusted,x\n"
    reply = await send(bot, ADMIN, "numbers.csv", bad)
    assert reply.splitlines()[0] == "⚠️ Nothing imported from numbers.csv: 2 bad lines. Fix them and send the file again."
    assert reply.splitlines()[1] == "line 4: unknown ticker NVDAX (did you mean NVDA?)"
    assert reply.splitlines()[2].startswith("line 5: value '<b>' is not a number")
    assert stored(db) == []


async def test_others_are_refused_and_odd_files_answered(bot: RunningBot, db: Engine) -> None:
    refused = await send(bot, USER, "numbers.csv", GOOD)
    assert refused.startswith("Sorry, only the bot's administrators can import expectations")
    bot.api.user_sends_document(OTHER_GROUP, "numbers.csv", GOOD, chat_type="supergroup")
    not_csv = await send(bot, ADMIN, "photo.png", b"\x89PNG....", mime_type="image/png")
    assert not_csv.startswith("📄 That file isn't a CSV file") and ",".join(COLUMNS) in not_csv
    too_big = await send(bot, ADMIN, "huge.csv", GOOD + b"#" * MAX_CSV_BYTES)
    assert too_big.startswith("📄 That file is too large")
    assert bot.api.messages_to(OTHER_GROUP) == []  # a file in another group is not for the bot
    assert bot.api.downloads == [] and stored(db) == []
