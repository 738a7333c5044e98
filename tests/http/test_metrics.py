"""GET /metrics: Prometheus text, parsed with prometheus_client's parser, against the database."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import Engine

from bot.sources.http import SourceCounts, make_client
from bot.store.db import session_scope
from bot.store.tables import EarningsEvent, Filing, FloodWait
from tests.http.helpers import alert_with_deliveries, chats, free_port, serving, watched_company

NOW = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def seed_report(db: Engine, company_id: int) -> tuple[int, int]:
    """NVDA's 8-K accepted at 21:20:00 and its event reported at 21:20:05; return (event, filing)."""
    accepted = datetime(2026, 2, 26, 21, 20, tzinfo=UTC)
    with session_scope(db) as session:
        event = EarningsEvent(company_id=company_id, fiscal_period="2026-01", period_label="Q4 FY2026",
                              report_date=date(2026, 2, 26), reported_at=accepted + timedelta(seconds=5),
                              state="reported", updated_at=NOW)
        filing = Filing(accession="0001045810-26-000010", company_id=company_id, cik=1045810, form="8-K",
                        accepted_at=accepted, url="https://www.sec.gov/x", kind="earnings_release", seen_at=NOW)
        session.add_all([event, filing])
        session.flush()
        return event.id, filing.id  # type: ignore[return-value]


async def test_metrics_are_what_the_database_holds(db: Engine) -> None:
    company, first_chat = watched_company(db, NOW)
    others = chats(db, [502, 503], NOW)
    event, filing = seed_report(db, company)
    accepted = datetime(2026, 2, 26, 21, 20, tzinfo=UTC)
    # "has just filed" 3 s after acceptance (first message: 3 s detection), result 2 s later
    alert_with_deliveries(db, kind="filing", key="f", created_at=accepted + timedelta(seconds=2.5),
                          chat_pks=[first_chat], sent_at=[accepted + timedelta(seconds=3)],
                          event_id=event, filing_id=filing)
    alert_with_deliveries(db, kind="result", key="r", created_at=accepted + timedelta(seconds=4.6),
                          chat_pks=[first_chat, *others],
                          sent_at=[accepted + timedelta(seconds=5), accepted + timedelta(seconds=5.2), None],
                          event_id=event, filing_id=filing)
    alert_with_deliveries(db, kind="broadcast", key="b", created_at=NOW - timedelta(minutes=10),
                          chat_pks=[first_chat], sent_at=[NOW - timedelta(minutes=10) + timedelta(seconds=40)])
    with session_scope(db) as session:
        session.add_all([FloodWait(occurred_at=NOW - timedelta(days=3), retry_after=5),
                         FloodWait(occurred_at=NOW, retry_after=1)])
    closed = f"http://127.0.0.1:{free_port()}"
    async with serving(db, now=lambda: NOW, running_since=NOW, messages_sent=7) as base:
        # the provider client, counting per source: two answers (200) and a refused connection
        counts = SourceCounts([(base, "nasdaq"), (closed, "sec")])
        async with make_client(counts=counts) as client:
            await client.get(f"{base}/metrics")
            await client.get(f"{base}/metrics")
            with pytest.raises(httpx.ConnectError):
                await client.get(f"{closed}/files/company_tickers.json")
    async with serving(db, now=lambda: NOW, running_since=NOW, messages_sent=7, counts=counts) as base, \
            httpx.AsyncClient(trust_env=False) as http:
        response = await http.get(f"{base}/metrics")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    found = samples(response.text)
    assert found[("earnings_bot_alerts_total", (("kind", "result"),))] == 1
    assert found[("earnings_bot_alerts_total", (("kind", "filing"),))] == 1
    assert found[("earnings_bot_alerts_total", (("kind", "broadcast"),))] == 1
    assert found[("earnings_bot_alerts_total", (("kind", "reminder"),))] == 0
    assert found[("earnings_bot_deliveries", (("state", "sent"),))] == 4
    assert found[("earnings_bot_deliveries", (("state", "pending"),))] == 1
    assert found[("earnings_bot_deliveries", (("state", "failed"),))] == 0
    assert found[("earnings_bot_messages_sent_total", ())] == 7
    assert found[("earnings_bot_telegram_429_total", ())] == 2
    assert found[("earnings_bot_source_requests_total", (("source", "nasdaq"),))] == 2
    assert found[("earnings_bot_source_errors_total", (("source", "nasdaq"),))] == 0
    assert found[("earnings_bot_source_requests_total", (("source", "sec"),))] == 1
    assert found[("earnings_bot_source_errors_total", (("source", "sec"),))] == 1
    assert found[("earnings_bot_leader", ())] == 1
    # one report: first seen at acceptance, first message 3 s later
    assert found[("earnings_bot_detection_latency_seconds_count", ())] == 1
    assert found[("earnings_bot_detection_latency_seconds_sum", ())] == 3.0
    assert found[("earnings_bot_detection_latency_seconds_bucket", (("le", "2.0"),))] == 0
    assert found[("earnings_bot_detection_latency_seconds_bucket", (("le", "5.0"),))] == 1
    assert found[("earnings_bot_detection_latency_seconds_bucket", (("le", "+Inf"),))] == 1
    # each sent delivery: 0.5 s, 0.4 s, 0.6 s after its alert, and the broadcast 40 s
    assert found[("earnings_bot_delivery_latency_seconds_count", ())] == 4
    assert abs(found[("earnings_bot_delivery_latency_seconds_sum", ())] - 41.5) < 0.01
    assert found[("earnings_bot_delivery_latency_seconds_bucket", (("le", "0.5"),))] == 2
    assert found[("earnings_bot_delivery_latency_seconds_bucket", (("le", "1.0"),))] == 3
    assert found[("earnings_bot_delivery_latency_seconds_bucket", (("le", "30.0"),))] == 3
    assert found[("earnings_bot_delivery_latency_seconds_bucket", (("le", "60.0"),))] == 4
    assert not [name for name, _labels in found if not name.startswith("earnings_bot_")]  # no global registry


async def test_metrics_of_an_empty_database_are_zeros(db: Engine) -> None:
    async with serving(db, now=lambda: NOW, running_since=NOW) as base, httpx.AsyncClient(trust_env=False) as http:
        found = samples((await http.get(f"{base}/metrics")).text)
    assert found[("earnings_bot_detection_latency_seconds_count", ())] == 0
    assert found[("earnings_bot_delivery_latency_seconds_bucket", (("le", "+Inf"),))] == 0
    assert found[("earnings_bot_alerts_total", (("kind", "result"),))] == 0
