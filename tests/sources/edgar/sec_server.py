"""A loopback stand-in for www.sec.gov and data.sec.gov: real HTTP, gzip, recorded requests."""

from __future__ import annotations

import asyncio
import gzip
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

from aiohttp import web
from aiohttp.test_utils import TestServer

from tests.conftest import FIXTURES

EDGAR = FIXTURES / "edgar"
RELEASES = FIXTURES / "press_releases"
Responder = Callable[[web.Request], Awaitable[web.Response]]


@dataclass(frozen=True, slots=True)
class Seen:
    """One request as the server received it."""

    path: str
    query: dict[str, str]
    headers: dict[str, str]


@dataclass
class SecServer:
    """Routes by path; a route is a file (served 200, gzipped when asked) or a responder."""

    routes: dict[str, Path | Responder] = field(default_factory=dict)
    requests: list[Seen] = field(default_factory=list)
    url: str = ""

    def file(self, path: str, source: Path, content_type: str = "text/html") -> None:
        """Serve a fixture file at path."""

        async def respond(request: web.Request) -> web.Response:
            return _maybe_gzip(request, source.read_bytes(), content_type)

        self.routes[path] = respond

    def status(self, path: str, status: int, body: bytes = b"", content_type: str = "text/html") -> None:
        """Answer path with a status and body."""

        async def respond(request: web.Request) -> web.Response:
            return web.Response(status=status, body=body, content_type=content_type)

        self.routes[path] = respond

    def slow(self, path: str, seconds: float) -> None:
        """Answer path only after a delay (to make the client time out)."""

        async def respond(request: web.Request) -> web.Response:
            await asyncio.sleep(seconds)
            return web.Response(text="late")

        self.routes[path] = respond

    async def handle(self, request: web.Request) -> web.Response:
        self.requests.append(Seen(request.path, dict(request.query), dict(request.headers)))
        route = self.routes.get(request.path)
        if route is None:
            return web.Response(status=404, text="Not Found")
        assert not isinstance(route, Path)
        return await route(request)


def _maybe_gzip(request: web.Request, body: bytes, content_type: str) -> web.Response:
    headers = {"Content-Type": content_type}
    if "gzip" in request.headers.get("Accept-Encoding", ""):
        return web.Response(body=gzip.compress(body), headers={**headers, "Content-Encoding": "gzip"})
    return web.Response(body=body, headers=headers)


async def start(sec: SecServer) -> TestServer:
    """Start the loopback server and remember its base URL."""
    app = web.Application()
    app.router.add_route("GET", "/{tail:.*}", sec.handle)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    sec.url = str(server.make_url("")).rstrip("/")
    return server
