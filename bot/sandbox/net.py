"""What every loopback server needs from aiohttp: the port it was given."""

from __future__ import annotations

import asyncio

from aiohttp import web


def bound_port(site: web.TCPSite) -> int:
    """The port a site started on port 0 listens on."""
    server = site._server
    if not isinstance(server, asyncio.Server) or not server.sockets:
        raise RuntimeError("the site is not listening")
    port: int = server.sockets[0].getsockname()[1]
    return port
