"""Run one sender against a database and a Bot API until killed: the crash-safety test's victim.

    python -m tests.delivery.sender_process DATABASE_URL BOT_BASE_URL TOKEN RATE
"""

from __future__ import annotations

import asyncio
import logging
import sys

from telegram import Bot
from telegram.request import HTTPXRequest

from bot.delivery.sender import Sender
from bot.store.db import make_engine


async def main(database_url: str, base_url: str, token: str, rate: float) -> None:
    db = make_engine(database_url)
    request = HTTPXRequest(httpx_kwargs={"trust_env": False})
    async with Bot(token, base_url=base_url, request=request) as bot:
        await Sender(db, bot, rate_per_second=rate).run(asyncio.Event())


if __name__ == "__main__":
    logging.basicConfig(level=logging.WARNING)
    url, base, token, rate = sys.argv[1:5]
    asyncio.run(main(url, base, token, float(rate)))
