"""The Dockerfile, .dockerignore and compose.yaml: linted with hadolint and the Compose
specification's schema (and `docker compose config` where Docker has the compose plugin), and read
for what a deployment relies on. The image's entrypoint itself runs in test_image_entrypoint.py."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bot.settings import DEFAULT_DATABASE_URL
from tests.deployment.container_files import (
    COMPOSE,
    DOCKERFILE,
    DOCKERIGNORE,
    ROOT,
    exec_form,
    healthcheck_command,
    stages,
)


def _tool(name: str) -> str:
    """The executable, from PATH or beside this Python (the project's virtualenv); skip when absent."""
    found = shutil.which(name) or shutil.which(name, path=os.path.dirname(sys.executable))
    if found is None:
        pytest.skip(f"{name} is not installed (`uv sync` installs it with the dev dependencies)")
    return found


def _run(args: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, capture_output=True, text=True, timeout=120, check=False, cwd=ROOT)


# -- lint ----------------------------------------------------------------------------------------


def test_hadolint_finds_nothing_in_the_dockerfile() -> None:
    done = _run([_tool("hadolint"), "--no-color", "--failure-threshold", "info", str(DOCKERFILE)])
    assert done.returncode == 0, done.stdout + done.stderr


def test_hadolint_would_catch_a_mistake(tmp_path: Path) -> None:
    """The lint can fail: a root image with an unpinned pip install and a shell-form CMD is flagged."""
    bad = tmp_path / "Dockerfile"
    bad.write_text("FROM python:latest\nRUN pip install uv\nCMD earnings-bot run\n", encoding="utf-8")
    done = _run([_tool("hadolint"), "--no-color", str(bad)])
    assert done.returncode != 0
    assert "DL3007" in done.stdout and "DL3013" in done.stdout and "DL3025" in done.stdout


def test_compose_file_is_valid_under_the_compose_specification() -> None:
    done = _run([_tool("check-jsonschema"), "--builtin-schema", "vendor.compose-spec", str(COMPOSE)])
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_compose_schema_check_would_catch_a_mistake(tmp_path: Path) -> None:
    bad = tmp_path / "compose.yaml"
    bad.write_text(COMPOSE.read_text(encoding="utf-8").replace("service_healthy", "service_healty"),
                   encoding="utf-8")
    done = _run([_tool("check-jsonschema"), "--builtin-schema", "vendor.compose-spec", str(bad)])
    assert done.returncode != 0 and "service_healty" in done.stdout


def test_docker_compose_config_accepts_the_file(tmp_path: Path) -> None:
    """Docker's own reading of the file (interpolation, merge): only where the compose plugin is."""
    docker = shutil.which("docker")
    if docker is None or _run([docker, "compose", "version"]).returncode != 0:
        pytest.skip("`docker compose` is not available here (the schema check above still runs)")
    env_file = tmp_path / ".env"
    env_file.write_text("TELEGRAM_BOT_TOKEN=1:x\nSEC_USER_AGENT=Jane Doe jane@example.com\n"
                        "POSTGRES_PASSWORD=s3cret\n", encoding="utf-8")
    done = _run([docker, "compose", "--env-file", str(env_file), "-f", str(COMPOSE), "config", "--quiet"])
    assert done.returncode == 0, done.stdout + done.stderr


# -- what the files say --------------------------------------------------------------------------


def test_the_image_builds_the_wheel_in_one_stage_and_installs_it_in_a_slim_second_as_non_root() -> None:
    build, final = stages()
    assert build.name and build.base.endswith("-slim") and final.base.endswith("-slim")
    assert any("uv build --wheel" in run for run in build.all("RUN"))
    installs = " ".join(final.all("RUN"))
    assert f"from={build.name}" in installs and "earnings_bot-*.whl" in installs
    assert "--require-hashes" in installs  # the locked versions, checked
    user = final.last("USER").split(":")[0]
    assert user.isdigit() and int(user) != 0, f"USER {user}: must be a numeric non-root user"
    assert not final.all("COPY"), "the final stage installs the wheel and copies nothing else"


def test_the_image_runs_the_bot_with_its_data_in_the_volume_and_a_healthcheck_on_healthz() -> None:
    final = stages()[-1]
    assert exec_form(final.last("CMD")) == ["earnings-bot", "run"]
    assert final.env()["HTTP_PORT"] == "8080" and final.last("EXPOSE") == "8080"
    # the default SQLite file, relative to the working folder, lands in the volume
    workdir = Path(final.last("WORKDIR"))
    volume = Path(exec_form(final.last("VOLUME"))[0])
    default_file = workdir / DEFAULT_DATABASE_URL.removeprefix("sqlite:///")
    assert volume in Path(os.path.normpath(default_file)).parents, (default_file, volume)
    options, command = healthcheck_command(final)
    assert command == ["python", "-m", "bot.http_probe"]
    assert {"interval", "timeout", "start-period", "retries"} <= options.keys()


def _context(tmp_path: Path, names: list[str]) -> set[str]:
    """Which of these files Docker would send as the build context, per .dockerignore."""
    from docker.utils.build import exclude_paths

    for name in names:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("x", encoding="utf-8")
    patterns = [line.strip() for line in DOCKERIGNORE.read_text(encoding="utf-8").splitlines()
                if line.strip() and not line.startswith("#")]
    return set(exclude_paths(str(tmp_path), patterns))


def test_the_build_context_holds_what_the_dockerfile_copies_and_no_secret_or_database(tmp_path: Path) -> None:
    pytest.importorskip("docker")
    wanted = ["pyproject.toml", "uv.lock", "README.md", "bot/__init__.py", "bot/store/db.py",
              "alembic/env.py", "alembic/versions/0001_initial_schema.py", "config/catalog.toml"]
    unwanted = [".env", "config/.env", ".git/config", ".venv/bin/python", "data/earnings-bot.sqlite3",
                "bot/__pycache__/cli.cpython-312.pyc", "tests/test_x.py", "bench/x.py", "docs/x.md",
                "earnings-bot.sqlite3-wal", "compose.yaml", ".pytest_cache/x"]
    sent = _context(tmp_path, wanted + unwanted)
    assert set(wanted) <= sent, set(wanted) - sent
    assert not sent & set(unwanted), sent & set(unwanted)
    # every COPY source of the build stage is in the context
    for copy in stages()[0].all("COPY"):
        for source in copy.split()[:-1]:
            assert any(name == source or name.startswith(source.rstrip("/") + "/") for name in sent), source


def _compose() -> dict:
    yaml = pytest.importorskip("ruamel.yaml")
    return yaml.YAML(typ="safe").load(COMPOSE.read_text(encoding="utf-8"))


def test_compose_runs_two_bots_on_postgresql_16_once_it_is_healthy() -> None:
    compose = _compose()
    db, bot = compose["services"]["db"], compose["services"]["bot"]
    assert db["image"].split(":")[1].split(".")[0] == "16"
    assert "pg_isready" in " ".join(db["healthcheck"]["test"])
    volume, mount = db["volumes"][0].split(":", 1)
    assert mount == "/var/lib/postgresql/data" and volume in compose["volumes"], "a named volume"
    assert bot["depends_on"]["db"]["condition"] == "service_healthy"
    assert bot["deploy"]["replicas"] == 2
    assert bot["build"] == "." and bot["env_file"] == ".env"
    url = bot["environment"]["DATABASE_URL"]
    assert url.startswith("postgresql+psycopg://") and "@db:5432/" in url
    assert bot["environment"]["HTTP_PORT"] == "8080"
    assert db["environment"]["POSTGRES_DB"] == url.rsplit("/", 1)[1]
    assert db["environment"]["POSTGRES_USER"] == url.split("//", 1)[1].split(":", 1)[0]
