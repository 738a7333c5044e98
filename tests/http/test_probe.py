"""bot.http_probe, the image's HEALTHCHECK, without a port to ask: one line naming HTTP_PORT, exit 1.
(Against the running bot it is tested in tests/deployment/test_image_entrypoint.py.)"""

from __future__ import annotations

import io

import pytest

from bot.http_probe import probe


@pytest.mark.parametrize("port", [None, "", "eighty", "0", "70000"])
def test_no_usable_port_is_one_line_naming_http_port(port: str | None) -> None:
    out = io.StringIO()
    assert probe(port, out) == 1
    [line] = out.getvalue().splitlines()
    assert line.startswith("HTTP_PORT: must be a port from 1 to 65535")
