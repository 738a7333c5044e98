"""The loopback Bot API's webhook: setWebhook, and updates POSTed to the URL as Telegram does.

While a webhook is set, getUpdates answers 409 Conflict; every queued update is POSTed to the URL,
oldest first, with the secret in X-Telegram-Bot-Api-Secret-Token; a 2xx answer takes it off the
queue, anything else is tried again a moment later (Telegram retries too).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass, field
from typing import Any

import aiohttp

logger = logging.getLogger(__name__)

WEBHOOK_CONFLICT = ("Conflict: can't use getUpdates method while webhook is active; "
                    "use deleteWebhook to delete the webhook first")
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
RETRY_SECONDS = 0.2


@dataclass
class WebhookPost:
    """One POST of an update to the webhook, and the status it got (0: no answer)."""

    update_id: int
    status: int


@dataclass
class LoopbackWebhook:
    """What setWebhook set, and what was POSTed to it."""

    url: str
    secret_token: str | None
    allowed_updates: list[str] | None = None
    posts: list[WebhookPost] = field(default_factory=list)


class WebhookPusher:
    """POSTs the server's queued updates to its webhook until the webhook is deleted or it stops."""

    def __init__(self, server: Any) -> None:
        self.server = server  # the LoopbackBotApi: its _updates, _wait_change and webhook
        self._task: asyncio.Task[None] | None = None
        self._stopping = False

    def start(self) -> None:
        self._stopping = False
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._run(), name="loopback-webhook")

    async def stop(self) -> None:
        if self._task is not None:
            # a flag as well as the cancel: wait_for may swallow a cancel that meets a wake-up
            self._stopping = True
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self) -> None:
        async with aiohttp.ClientSession(trust_env=False) as session:
            while (hook := self.server.webhook) is not None and not self._stopping:
                if not self.server._updates:
                    await self.server._wait_change(1.0)
                    continue
                update = self.server._updates[0]
                status = await _post(session, hook, update)
                hook.posts.append(WebhookPost(update["update_id"], status))
                if 200 <= status < 300:
                    if self.server._updates and self.server._updates[0] is update:
                        self.server._updates.pop(0)
                    self.server._pulse()
                else:
                    await asyncio.sleep(RETRY_SECONDS)


async def _post(session: aiohttp.ClientSession, hook: LoopbackWebhook, update: dict[str, Any]) -> int:
    headers = {SECRET_HEADER: hook.secret_token} if hook.secret_token else {}
    try:
        async with session.post(hook.url, json=update, headers=headers,
                                timeout=aiohttp.ClientTimeout(total=10)) as response:
            await response.read()
            return response.status
    except (aiohttp.ClientError, TimeoutError) as exc:
        logger.debug("webhook POST to %s failed: %s", hook.url, type(exc).__name__)
        return 0
