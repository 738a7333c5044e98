"""What every loopback server does with aiohttp: listen on a free port of 127.0.0.1."""

from __future__ import annotations

from aiohttp import web


async def listen_on_loopback(runner: web.AppRunner, *, backlog: int = 128) -> str:
    """Set the runner up on a free port of 127.0.0.1; return its base URL ("http://127.0.0.1:PORT")."""
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0, backlog=backlog)
    await site.start()
    port: int = runner.addresses[0][1]
    return f"http://127.0.0.1:{port}"
