"""Each chat reads an alert in its own time zone: one rendering per zone, a delivery's own text, a
correction that edits each chat's message with that chat's own rendering."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime
from decimal import Decimal

from sqlalchemy import Engine, update
from telegram import Bot

from bot.delivery.outbox import enqueue_alert
from bot.delivery.publisher import OutboxPublisher
from bot.delivery.sender import Sender
from bot.domain.figures import Basis, Figure, Metric, Unit
from bot.domain.market_time import Timing
from bot.domain.verdicts import EventVerdict
from bot.engine.alerts import DateChangeAlert, DateChangeNotice, ResultAlert, ResultReport
from bot.sandbox.bot_api import LoopbackBotApi
from bot.store.db import session_scope
from bot.store.tables import AlertKind, Chat, EarningsEvent
from tests.delivery.helpers import add_chats, add_company, deliveries

NOW = datetime(2026, 2, 20, 15, 0, tzinfo=UTC)
OUTBOX = OutboxPublisher()
NEW_YORK_CHAT, SHANGHAI_CHAT, TORONTO_CHAT = 1, 2, 3


def in_zones(db: Engine, pks: dict[int, int], zones: dict[int, str]) -> None:
    with session_scope(db) as session:
        for chat_id, zone in zones.items():
            session.exec(update(Chat).where(Chat.id == pks[chat_id]).values(timezone=zone))  # type: ignore[call-overload]


def add_event(db: Engine, company: int) -> int:
    with session_scope(db) as session:
        event = EarningsEvent(company_id=company, fiscal_period="2026-01", period_label="Q4 FY2026",
                              report_date=date(2026, 2, 25), timing=Timing.AMC)
        session.add(event)
        session.flush()
        return event.id  # type: ignore[return-value]


def three_chats(db: Engine) -> tuple[int, int, dict[int, int]]:
    company = add_company(db)
    pks = add_chats(db, [NEW_YORK_CHAT, SHANGHAI_CHAT, TORONTO_CHAT], company_id=company)
    in_zones(db, pks, {NEW_YORK_CHAT: "America/New_York", SHANGHAI_CHAT: "Asia/Shanghai",
                       TORONTO_CHAT: "America/Toronto"})
    return company, add_event(db, company), pks


def texts(api: LoopbackBotApi, chat_ids: Sequence[int]) -> dict[int, list[str]]:
    return {chat_id: [m.visible_text for m in api.messages_to(chat_id)] for chat_id in chat_ids}


async def test_a_date_change_reaches_shanghai_and_new_york_each_in_its_own_time(
    db: Engine, api: LoopbackBotApi, bot: Bot
) -> None:
    company, event, pks = three_chats(db)
    notice = DateChangeNotice("NVDA", "NVIDIA CORP", "Q4 FY2026", date(2026, 2, 25), Timing.AMC,
                              date(2026, 2, 26), Timing.AMC, "nasdaq")
    with session_scope(db) as session:
        published = OUTBOX.publish(session, DateChangeAlert(notice, event, company, tuple(pks.values())), now=NOW)
        assert published.alert is not None

    await Sender(db, bot, rate_per_second=30).drain_once()

    seen = texts(api, [NEW_YORK_CHAT, SHANGHAI_CHAT, TORONTO_CHAT])
    assert seen[NEW_YORK_CHAT] == [
        "📅 NVDA Q4 FY2026 report is now expected Thu Feb 26, 2026, after the close\n"
        "was Wed Feb 25, 2026, after the close\nNVIDIA CORP · date from Nasdaq"
    ]
    assert seen[SHANGHAI_CHAT] == [
        "📅 NVDA Q4 FY2026 report is now expected Fri Feb 27, 2026, ~05:05 your time "
        "(Thu Feb 26, 2026, after the close)\n"
        "was Thu Feb 26, 2026, ~05:05 your time (Wed Feb 25, 2026, after the close)\n"
        "NVIDIA CORP · date from Nasdaq"
    ]
    assert seen[TORONTO_CHAT] == seen[NEW_YORK_CHAT]  # Toronto's clock is New York's: the same text
    own = {row.chat_pk: row.text for row in deliveries(db)}
    assert own[pks[NEW_YORK_CHAT]] is None and own[pks[TORONTO_CHAT]] is None  # the alert's text
    assert own[pks[SHANGHAI_CHAT]] is not None and "your time" in own[pks[SHANGHAI_CHAT]]


def test_an_alert_is_rendered_once_per_distinct_zone_not_once_per_chat(db: Engine) -> None:
    company = add_company(db)
    zones = ["America/New_York", "Asia/Shanghai", "Europe/London", "UTC", "Not/A_Zone"]
    pks = add_chats(db, range(1, 501), company_id=company)
    in_zones(db, pks, {chat_id: zones[chat_id % len(zones)] for chat_id in pks})
    asked: list[str] = []

    def render(zone: str) -> str:
        asked.append(zone)
        return "alert" if zone == "Not/A_Zone" else f"alert in {zone}"

    with session_scope(db) as session:
        enqueue_alert(session, kind=AlertKind.RESULT, dedup_key="result:1:a", text="alert",
                      company_id=company, now=NOW, zone_text=render)

    assert sorted(asked) == ["Asia/Shanghai", "Europe/London", "Not/A_Zone", "UTC"]  # New York's is the text
    rows = deliveries(db)
    assert len(rows) == 500
    by_zone = {zones[chat_id % len(zones)]: set() for chat_id in pks}
    chat_of = {pk: chat_id for chat_id, pk in pks.items()}
    for row in rows:
        by_zone[zones[chat_of[row.chat_pk] % len(zones)]].add(row.text)
    assert by_zone == {"America/New_York": {None}, "Not/A_Zone": {None}, "Asia/Shanghai": {"alert in Asia/Shanghai"},
                       "Europe/London": {"alert in Europe/London"}, "UTC": {"alert in UTC"}}


def _report(eps: str) -> ResultReport:
    figure = Figure(Metric.EPS, Basis.ADJUSTED, Unit.PER_SHARE, "USD", Decimal(eps))
    return ResultReport("NVDA", "NVIDIA CORP", "Q4 FY2026", Timing.AMC, EventVerdict.REPORTED, [], [],
                        [figure], uncompared=[figure], reported_at=datetime(2026, 2, 25, 21, 20, tzinfo=UTC))


async def test_a_correction_edits_each_chats_message_with_its_own_rendering(
    db: Engine, api: LoopbackBotApi, bot: Bot
) -> None:
    company, event, pks = three_chats(db)
    audience = tuple(pks.values())
    worker = Sender(db, bot, rate_per_second=30)
    with session_scope(db) as session:
        OUTBOX.publish(session, ResultAlert(_report("0.89"), event, company, None, audience), now=NOW)
    await worker.drain_once()
    with session_scope(db) as session:
        revised = OUTBOX.publish(session, ResultAlert(_report("0.91"), event, company, None, audience), now=NOW)
        assert revised.is_correction

    await worker.drain_once()

    new_york, shanghai = api.messages_to(NEW_YORK_CHAT), api.messages_to(SHANGHAI_CHAT)
    assert len(new_york) == len(shanghai) == 1 and new_york[0].edited and shanghai[0].edited
    assert new_york[0].visible_text.splitlines()[:4] == [
        "📣 NVDA reported: Q4 FY2026 (updated)", "NVIDIA CORP · Feb 25 16:20 ET", "", "Reported: adjusted EPS $0.91",
    ]
    assert shanghai[0].visible_text.splitlines()[:4] == [
        "📣 NVDA reported: Q4 FY2026 (updated)", "NVIDIA CORP · Thu Feb 26, 05:20 your time (Wed 16:20 ET)", "",
        "Reported: adjusted EPS $0.91",
    ]
    assert "your time" in api.messages_to(SHANGHAI_CHAT)[0].history[0]
    assert api.messages_to(TORONTO_CHAT)[0].visible_text == new_york[0].visible_text


def test_the_result_header_keeps_the_new_york_form_for_new_york() -> None:
    from bot.delivery.render import render_result
    from bot.domain.moments import zone_of

    report = _report("0.89")
    assert "Feb 25 16:20 ET" in render_result(report)
    assert "Thu Feb 26, 05:20 your time (Wed 16:20 ET)" in render_result(report, zone_of("Asia/Shanghai"))
