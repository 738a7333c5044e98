"""The image's entrypoint outside Docker: the Dockerfile's CMD with its ENV, from an empty working
folder as WORKDIR is, brings the default SQLite database up in the VOLUME folder with the newest
schema, answers a user, and the Dockerfile's HEALTHCHECK command says healthy (exit 0); once the
database is gone it says unhealthy with the reason (exit 1), and after the process stops too."""

from __future__ import annotations

import asyncio
import os
import sqlite3
from pathlib import Path

import pytest

from tests.conftest import NEWEST_SCHEMA
from tests.deployment.container_files import exec_form, healthcheck_command, stages
from tests.deployment.harness import TOKEN, BotProcess, Deployment
from tests.deployment.test_http_server import wait_for_http
from tests.http.helpers import free_port

pytestmark = pytest.mark.slow

CHAT = 6_400_000_001


async def healthcheck(command: list[str], python: Path, port: int) -> tuple[int, str]:
    """Run the HEALTHCHECK command as Docker would inside the container, with the image's python."""
    assert command[0] == "python"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HTTP_", "PYTHONPATH"))}
    process = await asyncio.create_subprocess_exec(
        str(python), *command[1:], env={**env, "HTTP_PORT": str(port)},
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
    output, _ = await asyncio.wait_for(process.communicate(), timeout=20)
    assert process.returncode is not None
    return process.returncode, output.decode()


async def test_the_image_command_migrates_serves_and_its_healthcheck_follows_the_health(
        deployment: Deployment) -> None:
    final = stages()[-1]
    cmd = exec_form(final.last("CMD"))
    assert cmd[0] == "earnings-bot"
    _options, check = healthcheck_command(final)
    image_env = {k: v for k, v in final.env().items() if k != "PATH"}
    assert image_env["HTTP_PORT"] == "8080"
    port = free_port()  # 8080 may be taken on this machine: the same setting, another port

    env = deployment.env(extra={**image_env, "HTTP_PORT": str(port)})
    del env["DATABASE_URL"]  # the image sets none: the default file, relative to WORKDIR
    process = await asyncio.create_subprocess_exec(
        str(deployment.command), *cmd[1:], cwd=deployment.workdir, env=env,
        stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
    bot = BotProcess(process)
    deployment.processes.append(bot)

    health = await wait_for_http(bot, f"http://127.0.0.1:{port}/healthz")
    assert health.status_code == 200, health.text
    reply = await deployment.reply_to(bot, CHAT, "/start", timeout=20)
    assert "Earnings alerts" in reply.visible_text

    # the database is the default file inside the volume, migrated at start
    volume = Path(exec_form(final.last("VOLUME"))[0])
    in_workdir = volume.relative_to(final.last("WORKDIR"))
    [database] = (deployment.workdir / in_workdir).glob("*.sqlite3")
    with sqlite3.connect(database) as conn:
        [(revision,)] = conn.execute("SELECT version_num FROM alembic_version").fetchall()
        [(chats,)] = conn.execute("SELECT count(*) FROM chat").fetchall()
    assert revision.startswith(NEWEST_SCHEMA) and chats == 1

    python = deployment.command.parent / "python"
    code, said = await healthcheck(check, python, port)
    assert (code, said.strip()) == (0, f"healthy: http://127.0.0.1:{port}/healthz answered 200"), said

    database.unlink()  # the volume lost its file: /healthz answers 503
    code, said = await healthcheck(check, python, port)
    assert code == 1 and said.startswith(f"unhealthy: http://127.0.0.1:{port}/healthz answered 503: "), said
    assert "database" in said and len(said.strip().splitlines()) == 1

    await bot.terminate(timeout=10)
    code, said = await healthcheck(check, python, port)
    assert code == 1 and said.startswith(f"unhealthy: no answer from http://127.0.0.1:{port}/healthz"), said
    assert TOKEN.split(":")[1] not in bot.output
