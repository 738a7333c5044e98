"""The bot's one HTTP server: GET /healthz, GET /metrics and, in webhook mode, POST /telegram/webhook.

A Starlette app on uvicorn, run as a task in the bot's own event loop (`HttpServer.start`/`stop`).
uvicorn's signal handling is off: the bot's SIGTERM handling stops the server with everything else.
Every database read runs in a worker thread.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import logging
import os
import socket
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import uvicorn
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from telegram import Update
from telegram.ext import Application

from bot.engine.health import ROLE, HealthReport, health_report, unreachable
from bot.metrics import CONTENT_TYPE, BotCollector, metrics_registry, render
from bot.redaction import redact
from bot.settings import SettingsError
from bot.store.db import session_scope, sqlite_file

logger = logging.getLogger(__name__)

WEBHOOK_PATH = "/telegram/webhook"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
DATABASE_TIMEOUT = 5.0  # a health check waits this long for the database, then says unreachable
SHUTDOWN_GRACE = 1  # open connections get this long to finish when the bot stops


class HttpPortError(SettingsError):
    """The port can't be listened on (in use, not allowed); the message names HTTP_PORT."""


@dataclass(frozen=True)
class Webhook:
    """What POST /telegram/webhook needs: the secret Telegram sends, and where an update goes."""

    secret: str
    feed: Callable[[dict[str, Any]], Awaitable[None]]  # raises ValueError for what is no update


def webhook_for(secret: str, application: Application) -> Webhook:
    """The webhook of a python-telegram-bot Application: each update goes to its update queue."""

    async def feed(data: dict[str, Any]) -> None:
        try:
            update = Update.de_json(data, application.bot)
        except (KeyError, TypeError, AttributeError) as exc:
            raise ValueError(f"not an update: {type(exc).__name__}") from None
        await application.update_queue.put(update)

    return Webhook(secret, feed)


def read_health(db: Engine, *, now: datetime, poll_idle_seconds: float,
                running_since: datetime | None = None, role: str | None = ROLE) -> HealthReport:
    """The health facts, or an unreachable report when the database can't be read (blocking).

    A SQLite file removed under a running bot still answers through the connections open on it,
    but everything written from then on is lost: its absence is reported as unreachable."""
    path = sqlite_file(db.url.render_as_string(hide_password=True))
    if path is not None and not os.path.exists(path):
        return unreachable(now, f"the file {os.path.abspath(path)} does not exist", role)
    try:
        with session_scope(db) as session:
            return health_report(session, now=now, poll_idle_seconds=poll_idle_seconds,
                                 running_since=running_since, role=role)
    except (SQLAlchemyError, OSError) as exc:
        return unreachable(now, database_error(exc), role)


def database_error(exc: BaseException) -> str:
    """One line describing a database error, with no secret in it."""
    detail = getattr(exc, "orig", None) or exc
    return redact(f"{type(detail).__name__}: {detail}".strip()).splitlines()[0][:300]


def create_app(
    db: Engine, *, clock: Callable[[], datetime], poll_idle_seconds: float, running_since: datetime,
    collector: BotCollector, webhook: Webhook | None = None, role: Callable[[], str] = lambda: ROLE,
) -> Starlette:
    """Return the ASGI app; POST /telegram/webhook exists only when `webhook` is given; `role`
    tells whether this process leads ("leader") or waits ("standby")."""
    registry = metrics_registry(collector)

    async def healthz(_request: Request) -> Response:
        now = clock()
        try:
            report = await asyncio.wait_for(asyncio.to_thread(
                read_health, db, now=now, poll_idle_seconds=poll_idle_seconds, running_since=running_since,
                role=role(),
            ), DATABASE_TIMEOUT)
        except TimeoutError:
            report = unreachable(now, f"no answer within {DATABASE_TIMEOUT:g} s", role())
        return JSONResponse(report.as_json(), status_code=200 if report.healthy else 503)

    async def metrics(_request: Request) -> Response:
        try:
            body = await asyncio.to_thread(render, registry)
        except (SQLAlchemyError, OSError) as exc:
            return Response(f"database unreachable: {database_error(exc)}\n", status_code=503,
                            media_type="text/plain")
        return Response(body, media_type=CONTENT_TYPE)

    routes = [Route("/healthz", healthz, methods=["GET"]), Route("/metrics", metrics, methods=["GET"])]
    if webhook is not None:
        routes.append(Route(WEBHOOK_PATH, _webhook_endpoint(webhook), methods=["POST"]))
    return Starlette(routes=routes)


def _webhook_endpoint(webhook: Webhook) -> Callable[[Request], Awaitable[Response]]:
    expected = webhook.secret.encode()

    async def receive(request: Request) -> Response:
        given = request.headers.get(SECRET_HEADER, "").encode()
        if not hmac.compare_digest(given, expected):
            logger.warning("webhook: refused an update with a %s secret token", "wrong" if given else "missing")
            return JSONResponse({"ok": False, "error": "unauthorized"}, status_code=401)
        try:
            data = await request.json()
            if not isinstance(data, dict):
                raise ValueError("not a JSON object")
            await webhook.feed(data)
        except ValueError as exc:
            logger.warning("webhook: refused a body that is no update (%s)", type(exc).__name__)
            return JSONResponse({"ok": False, "error": "not an update"}, status_code=400)
        return JSONResponse({"ok": True})

    return receive


class _Server(uvicorn.Server):
    """uvicorn without signal handlers of its own: the bot's stop stops the server."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


class HttpServer:
    """The app served on host:port by uvicorn, as a task of the running event loop."""

    def __init__(self, app: Starlette, *, port: int, host: str = "0.0.0.0") -> None:  # noqa: S104
        self.app = app
        self.host = host
        self.port = port
        self._server: _Server | None = None
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Listen (HttpPortError when the port can't be had) and serve until stop()."""
        sock = bind(self.host, self.port)
        self.port = sock.getsockname()[1]
        config = uvicorn.Config(self.app, log_config=None, access_log=False, lifespan="off",
                                timeout_graceful_shutdown=SHUTDOWN_GRACE, server_header=False)
        self._server = _Server(config)
        self._task = asyncio.create_task(self._server.serve(sockets=[sock]), name="http-server")
        while not self._server.started and not self._task.done():
            await asyncio.sleep(0.01)
        if self._task.done():
            self._task.result()
        logger.info("HTTP server listening on port %d (/healthz, /metrics)", self.port)

    async def stop(self) -> None:
        """Stop accepting, let open requests finish for SHUTDOWN_GRACE, then return."""
        if self._server is None or self._task is None:
            return
        self._server.should_exit = True
        try:
            await asyncio.wait_for(asyncio.shield(self._task), SHUTDOWN_GRACE + 2)
        except TimeoutError:
            self._task.cancel()
        self._server = None


def bind(host: str, port: int) -> socket.socket:
    """Return a listening socket on host:port; HttpPortError naming HTTP_PORT when it can't be."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
        sock.listen(128)
    except OSError as exc:
        sock.close()
        raise HttpPortError(f"HTTP_PORT: can't listen on port {port} ({exc.strerror or exc})") from None
    sock.set_inheritable(True)
    return sock


async def run_webhook(
    application: Application, *, url: str, secret: str, stop: asyncio.Event,
    before_stop: Callable[[], Awaitable[None]],
) -> None:
    """Run the application in webhook mode until `stop` is set: the hooks run_polling would call,
    setWebhook with the URL and secret once the HTTP server listens, and no getUpdates."""
    from telegram.error import TelegramError

    await application.initialize()
    try:
        if application.post_init:
            await application.post_init(application)  # starts the HTTP server, the sender, the jobs
        try:
            await application.bot.set_webhook(url, secret_token=secret, allowed_updates=Update.ALL_TYPES)
        except TelegramError as exc:
            reason = redact(str(exc) or type(exc).__name__).splitlines()[0]
            raise SettingsError(f"TELEGRAM_WEBHOOK_URL: Telegram refused setWebhook for {url} ({reason})") from None
        logger.info("webhook mode: Telegram posts updates to %s", url)
        await application.start()
        try:
            await stop.wait()
        finally:
            await before_stop()  # no update arrives once the application stops
            await application.stop()
            if application.post_stop:
                await application.post_stop(application)
    finally:
        await application.shutdown()
        if application.post_shutdown:
            await application.post_shutdown(application)
