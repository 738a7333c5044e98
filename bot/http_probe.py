"""`python -m bot.http_probe`: the container's HEALTHCHECK. Asks the running bot's /healthz on
127.0.0.1:HTTP_PORT and exits 0 on 200, 1 otherwise (a 503, no answer, HTTP_PORT unset), printing
one line. Standard library only: it starts fast every interval and a slim image needs no curl."""

from __future__ import annotations

import json
import os
import sys
import urllib.error
import urllib.request
from typing import TextIO

TIMEOUT_SECONDS = 8.0


def probe(port: str | None, out: TextIO, *, timeout: float = TIMEOUT_SECONDS) -> int:
    """GET /healthz on 127.0.0.1:port; print one line; return 0 when it answered 200."""
    if not port or not port.isdigit() or not 1 <= int(port) <= 65535:
        print(f"HTTP_PORT: must be a port from 1 to 65535 for the health check, not {port!r}", file=out)
        return 1
    url = f"http://127.0.0.1:{port}/healthz"
    # no proxy for a loopback address, whatever the environment says
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(url, timeout=timeout) as answer:
            status, body = answer.status, answer.read()
    except urllib.error.HTTPError as error:  # 503: unhealthy, with the same JSON
        status, body = error.code, error.read()
    except (OSError, ValueError) as exc:
        print(f"unhealthy: no answer from {url} ({getattr(exc, 'reason', None) or exc})", file=out)
        return 1
    problems = _problems(body)
    if status == 200:
        print(f"healthy: {url} answered 200", file=out)
        return 0
    print(f"unhealthy: {url} answered {status}{': ' + '; '.join(problems) if problems else ''}", file=out)
    return 1


def _problems(body: bytes) -> list[str]:
    try:
        problems = json.loads(body).get("problems", [])
    except (ValueError, AttributeError):
        return []
    return [str(p) for p in problems] if isinstance(problems, list) else []


if __name__ == "__main__":
    raise SystemExit(probe(os.environ.get("HTTP_PORT"), sys.stdout))
