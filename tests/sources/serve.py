"""Serve provider answers over httpx's in-process transport and remember what was asked."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from bot.sources.http import make_client

Handler = Callable[[httpx.Request], httpx.Response]


def file_response(path: Path, status: int = 200, headers: dict[str, str] | None = None) -> httpx.Response:
    """Answer with a file's bytes as JSON."""
    return httpx.Response(
        status, content=path.read_bytes(),
        headers={"Content-Type": "application/json", **(headers or {})},
    )


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> httpx.Response:
    """Answer with a JSON body."""
    return httpx.Response(
        status, content=json.dumps(body).encode(),
        headers={"Content-Type": "application/json", **(headers or {})},
    )


class Recorder:
    """A transport that records every request and answers through handler."""

    def __init__(self, handler: Handler) -> None:
        self.requests: list[httpx.Request] = []
        self._handler = handler

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return self._handler(request)

    def client(self) -> httpx.AsyncClient:
        """Return a client of the project's kind whose requests land here."""
        return make_client(transport=httpx.MockTransport(self))
