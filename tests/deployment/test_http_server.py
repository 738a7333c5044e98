"""The installed `earnings-bot run` with HTTP_PORT: /healthz and /metrics answer; with a webhook URL
and secret, a user's /start sent through the webhook is answered; SIGTERM still stops it cleanly."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.deployment.harness import TOKEN, BotProcess, Deployment
from tests.http.helpers import free_port

pytestmark = pytest.mark.slow

CHAT = 6_300_000_001
WEBHOOK_SECRET = "deploy-Webhook_secret-77"


async def wait_for_http(bot: BotProcess, url: str, timeout: float = 30.0) -> httpx.Response:
    """GET url until the server answers (the bot starts it once the database and Telegram are ready)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    async with httpx.AsyncClient(trust_env=False, timeout=5) as client:
        while True:
            try:
                return await client.get(url)
            except httpx.TransportError:
                if bot.exited or loop.time() > deadline:
                    pytest.fail(f"no answer from {url}\n{bot.tail()}")
            await asyncio.sleep(0.05)


async def test_health_and_metrics_answer_and_sigterm_stops_the_server_too(deployment: Deployment) -> None:
    port = free_port()
    bot = await deployment.start(extra_env={"HTTP_PORT": str(port)})
    base = f"http://127.0.0.1:{port}"
    health = await wait_for_http(bot, f"{base}/healthz")
    assert health.status_code == 200, health.text
    assert health.json()["role"] == "leader" and health.json()["database"] == {"reachable": True}
    reply = await deployment.reply_to(bot, CHAT, "/start", timeout=20)
    assert "Earnings alerts" in reply.visible_text
    await deployment.until(lambda: deployment.edgar.requests["company_tickers"] >= 1, timeout=20,
                           what="the company list read", bot=bot)

    async with httpx.AsyncClient(trust_env=False, timeout=5) as client:
        metrics = await client.get(f"{base}/metrics")
    assert metrics.status_code == 200
    found = {(s.name, tuple(sorted(s.labels.items()))): s.value
             for family in text_string_to_metric_families(metrics.text) for s in family.samples}
    assert found[("earnings_bot_leader", ())] == 1
    assert found[("earnings_bot_source_requests_total", (("source", "sec"),))] >= 1
    assert ("earnings_bot_deliveries", (("state", "pending"),)) in found

    code, seconds = await bot.terminate(timeout=5)
    assert code == 0, f"exit code {code} after {seconds:.1f}s\n{bot.tail()}"
    assert "Traceback" not in bot.output and TOKEN.split(":")[1] not in bot.output
    async with httpx.AsyncClient(trust_env=False, timeout=2) as client:
        with pytest.raises(httpx.TransportError):
            await client.get(f"{base}/healthz")


async def test_a_start_sent_through_the_webhook_is_answered(deployment: Deployment) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}/telegram/webhook"
    bot = await deployment.start(extra_env={"HTTP_PORT": str(port), "TELEGRAM_WEBHOOK_URL": url,
                                            "TELEGRAM_WEBHOOK_SECRET": WEBHOOK_SECRET, "LOG_LEVEL": "DEBUG"})
    await deployment.until(lambda: deployment.api.webhook is not None, timeout=20, what="setWebhook", bot=bot)
    assert deployment.api.webhook is not None
    assert (deployment.api.webhook.url, deployment.api.webhook.secret_token) == (url, WEBHOOK_SECRET)

    reply = await deployment.reply_to(bot, CHAT, "/start", timeout=20)
    assert "Earnings alerts" in reply.visible_text
    assert not [c for c in deployment.api.calls if c.method == "getUpdates"]

    code, seconds = await bot.terminate(timeout=5)
    assert code == 0, f"exit code {code} after {seconds:.1f}s\n{bot.tail()}"
    assert "Traceback" not in bot.output
    assert WEBHOOK_SECRET not in bot.output, "the webhook secret reached the log"
    assert TOKEN.split(":")[1] not in bot.output
