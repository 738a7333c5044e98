"""GET /healthz through real HTTP (httpx against uvicorn on a loopback port) on a real database."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine

from bot.http_server import HttpServer, create_app
from bot.metrics import BotCollector
from bot.store.db import make_engine
from tests.http.helpers import (
    IDLE,
    alert_with_deliveries,
    free_port,
    serving,
    source_state,
    watched_company,
)

NOW = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)
STARTED = NOW - timedelta(hours=2)


async def get_health(base: str) -> httpx.Response:
    async with httpx.AsyncClient(trust_env=False) as client:
        return await client.get(f"{base}/healthz", timeout=10)


async def test_a_healthy_bot_answers_200_with_its_sources_lag_and_role(db: Engine) -> None:
    watched_company(db, NOW)
    source_state(db, "nasdaq", success=NOW - timedelta(minutes=2))
    source_state(db, "finnhub", success=NOW - timedelta(hours=1), error="finnhub: HTTP 503", error_at=NOW - timedelta(minutes=1))
    async with serving(db, now=lambda: NOW, running_since=STARTED) as base:
        response = await get_health(base)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["healthy"] is True and body["role"] == "leader" and body["problems"] == []
    assert body["database"] == {"reachable": True}
    assert body["sender_lag_seconds"] == 0
    assert body["sources"]["nasdaq"]["last_success_at"] == (NOW - timedelta(minutes=2)).isoformat()
    assert body["sources"]["nasdaq"]["last_error"] is None
    assert body["sources"]["finnhub"]["last_error"] == "finnhub: HTTP 503"
    assert body["last_poll_at"] == (NOW - timedelta(minutes=2)).isoformat()


async def test_an_unreachable_postgresql_is_503_naming_the_database(db: Engine) -> None:
    closed = make_engine(f"postgresql+psycopg://bot:pw@127.0.0.1:{free_port()}/bot",
                         connect_args={"connect_timeout": 3})
    try:
        async with serving(closed, now=lambda: NOW, running_since=STARTED) as base:
            response = await get_health(base)
    finally:
        closed.dispose()
    assert response.status_code == 503
    body = response.json()
    assert body["healthy"] is False and body["database"] == {"reachable": False} and body["role"] == "leader"
    assert body["problems"][0].startswith("database unreachable: OperationalError")
    assert "pw" not in response.text


async def test_a_sqlite_file_removed_under_the_running_bot_is_503(db: Engine, database_url: str) -> None:
    if not database_url.startswith("sqlite"):
        pytest.skip("a SQLite file")
    path = Path(database_url.removeprefix("sqlite:///"))
    async with serving(db, now=lambda: NOW, running_since=STARTED) as base:
        before = await get_health(base)
        path.unlink()  # the pool's connections still read the removed file
        after = await get_health(base)
    assert before.status_code == 200
    assert after.status_code == 503
    assert after.json()["database"] == {"reachable": False}
    assert after.json()["problems"] == [f"database unreachable: the file {path} does not exist"]


async def test_a_sqlite_folder_that_is_gone_is_503(tmp_path: Path) -> None:
    folder = tmp_path / "gone"
    gone = make_engine(f"sqlite:///{folder / 'bot.sqlite3'}", create_folder=False)
    try:
        async with serving(gone, now=lambda: NOW, running_since=STARTED) as base:
            response = await get_health(base)
    finally:
        gone.dispose()
    assert response.status_code == 503
    assert response.json()["database"] == {"reachable": False}
    assert not folder.exists()


async def test_a_due_message_waiting_over_five_minutes_is_503_and_under_is_200(db: Engine) -> None:
    _company, chat = watched_company(db, NOW)
    source_state(db, "nasdaq", success=NOW - timedelta(minutes=1))
    alert_with_deliveries(db, kind="broadcast", created_at=NOW - timedelta(minutes=4, seconds=59), chat_pks=[chat],
                          key="b1")
    async with serving(db, now=lambda: NOW, running_since=STARTED) as base:
        under = await get_health(base)
        alert_with_deliveries(db, kind="broadcast", created_at=NOW - timedelta(minutes=5, seconds=1), chat_pks=[chat],
                              key="b2")
        over = await get_health(base)
        # a delivery not due yet (quiet hours, a retry later) is no lag
        alert_with_deliveries(db, kind="reminder", created_at=NOW - timedelta(hours=1), chat_pks=[chat], key="r",
                              next_attempt_at=NOW + timedelta(hours=1))
        still_over = await get_health(base)
    assert under.status_code == 200 and under.json()["sender_lag_seconds"] == 299
    assert over.status_code == 503, over.text
    assert over.json()["sender_lag_seconds"] == 301
    assert "sender lag 301 s" in over.json()["problems"][0]
    assert still_over.json()["sender_lag_seconds"] == 301


async def test_no_poll_for_three_idle_intervals_is_503(db: Engine) -> None:
    watched_company(db, NOW)
    stale = NOW - timedelta(seconds=3 * IDLE + 1)
    source_state(db, "nasdaq", success=stale)
    source_state(db, "sec_tickers", success=NOW - timedelta(seconds=10))  # the company list is no poll
    async with serving(db, now=lambda: NOW, running_since=STARTED) as base:
        response = await get_health(base)
    assert response.status_code == 503
    body = response.json()
    assert body["last_poll_at"] == stale.isoformat()
    assert body["problems"] == [f"no poll succeeded since {stale.isoformat()} (limit 900 s, 3 x POLL_IDLE_SECONDS)"]


async def test_a_fresh_start_gets_three_idle_intervals_before_missing_polls_count(db: Engine) -> None:
    watched_company(db, NOW)
    source_state(db, "nasdaq", success=NOW - timedelta(days=2))  # from before the restart
    async with serving(db, now=lambda: NOW, running_since=NOW - timedelta(seconds=30)) as base:
        response = await get_health(base)
    assert response.status_code == 200, response.text
    async with serving(db, now=lambda: NOW, running_since=NOW - timedelta(seconds=3 * IDLE + 1)) as base:
        late = await get_health(base)
    assert late.status_code == 503


async def test_nothing_watched_needs_no_poll(db: Engine) -> None:
    async with serving(db, now=lambda: NOW, running_since=NOW - timedelta(days=1)) as base:
        response = await get_health(base)
    assert response.status_code == 200 and response.json()["watched_companies"] == 0


async def test_uvicorn_stops_within_the_bots_stop_grace_with_a_keep_alive_connection_open(db: Engine) -> None:
    from bot.app import STOP_GRACE_SECONDS

    app = create_app(db, clock=lambda: NOW, poll_idle_seconds=IDLE, running_since=STARTED,
                     collector=BotCollector(db, messages_sent=lambda: 0, source_counts=None))
    server = HttpServer(app, port=0, host="127.0.0.1")
    await server.start()
    port = server.port
    async with httpx.AsyncClient(trust_env=False) as client:  # keeps its connection open
        assert (await client.get(f"http://127.0.0.1:{port}/healthz")).status_code == 200
        started = time.monotonic()
        await server.stop()
        took = time.monotonic() - started
        assert took < STOP_GRACE_SECONDS, f"uvicorn took {took:.2f}s to stop"
        try:
            await client.get(f"http://127.0.0.1:{port}/healthz", timeout=2)
        except httpx.TransportError:
            pass
        else:
            raise AssertionError("the server still answers after stop()")


async def test_a_port_in_use_is_one_line_naming_http_port(db: Engine) -> None:
    from bot.http_server import HttpPortError

    app = create_app(db, clock=lambda: NOW, poll_idle_seconds=IDLE, running_since=STARTED,
                     collector=BotCollector(db, messages_sent=lambda: 0, source_counts=None))
    first = HttpServer(app, port=0, host="127.0.0.1")
    await first.start()
    try:
        with pytest.raises(HttpPortError) as refused:
            await HttpServer(app, port=first.port, host="127.0.0.1").start()
    finally:
        await first.stop()
    assert str(refused.value).startswith(f"HTTP_PORT: can't listen on port {first.port} (")
    assert "\n" not in str(refused.value)


async def test_a_standby_says_so_and_its_leader_gauge_is_0_until_it_leads(db: Engine) -> None:
    role = ["standby"]
    async with serving(db, now=lambda: NOW, running_since=STARTED, role=lambda: role[0]) as base:
        standby = (await get_health(base)).json()
        async with httpx.AsyncClient(trust_env=False) as client:
            gauge_then = (await client.get(f"{base}/metrics", timeout=10)).text
            role[0] = "leader"  # the election made it the leader
            leads = (await get_health(base)).json()
            gauge_now = (await client.get(f"{base}/metrics", timeout=10)).text
    assert standby["role"] == "standby" and standby["healthy"] is True
    assert leads["role"] == "leader"
    assert "earnings_bot_leader 0.0" in gauge_then.splitlines()
    assert "earnings_bot_leader 1.0" in gauge_now.splitlines()
