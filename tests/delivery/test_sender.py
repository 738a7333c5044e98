"""The sender through the real python-telegram-bot client, over HTTP, to the loopback Bot API."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, update
from sqlmodel import Session
from telegram import Bot
from telegram.request import HTTPXRequest

from bot.delivery import sender as sender_module
from bot.delivery.outbox import enqueue_broadcast, enqueue_correction
from bot.delivery.sender import Sender
from bot.delivery.split import visible_text
from bot.delivery.throttle import ChatSpacing
from bot.domain.market_time import utc_now
from bot.engine.subscriptions import reactivate_chat
from bot.sandbox.bot_api import FloodLimits, LoopbackBotApi
from bot.store.db import session_scope
from bot.store.stats import delivery_stats
from bot.store.tables import AlertKind, ChatStatus, Delivery, DeliveryStatus
from tests.conftest import BOT_API_SPEC
from tests.delivery.helpers import add_chats, add_company, alert, chat, deliveries
from tests.delivery.test_split import digest, squeeze


def sender(db: Engine, bot: Bot, **kwargs: Any) -> Sender:
    kwargs.setdefault("rate_per_second", 30)
    kwargs.setdefault("backoff_seconds", 0.05)
    kwargs.setdefault("stop_grace", 0.2)
    return Sender(db, bot, **kwargs)


@asynccontextmanager
async def running(worker: Sender) -> AsyncIterator[asyncio.Event]:
    stop, wake = asyncio.Event(), asyncio.Event()
    task = asyncio.create_task(worker.run(stop, wake=wake))
    try:
        yield wake
    finally:
        stop.set()
        await asyncio.wait_for(task, timeout=5)


async def eventually(check: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.02)


def sends(api: LoopbackBotApi, status: int | None = None) -> list[Any]:
    return [c for c in api.calls if c.method == "sendMessage" and (status is None or c.status == status)]


# -- order and limits ---------------------------------------------------------------------------


async def test_results_go_out_first_then_filings_then_reminders_and_digests(
    db: Engine, api: LoopbackBotApi, bot: Bot
) -> None:
    pks = add_chats(db, [1, 2, 3, 4])
    now = utc_now()
    alert(db, "digest", "digest", kind=AlertKind.DIGEST, chat_pks=[pks[1]], now=now)
    alert(db, "reminder", "reminder", kind=AlertKind.REMINDER, chat_pks=[pks[2]], now=now)
    alert(db, "filing", "filing", kind=AlertKind.FILING, chat_pks=[pks[3]], now=now)
    alert(db, "result", "result", kind=AlertKind.RESULT, chat_pks=[pks[4]], now=now)

    assert await sender(db, bot).drain_once() == 4

    assert [c.params["text"] for c in sends(api)] == ["result", "filing", "reminder", "digest"]


async def test_a_chat_gets_at_most_one_message_a_second_and_telegram_never_refuses(
    db: Engine, bot: Bot
) -> None:
    async with LoopbackBotApi(bot.token, flood=FloodLimits(per_chat_burst=1), spec_path=BOT_API_SPEC) as strict:
        strict_bot = Bot(bot.token, base_url=strict.bot_base_url,
                         request=HTTPXRequest(httpx_kwargs={"trust_env": False}))
        async with strict_bot:
            pks = add_chats(db, [1, 2])
            alert(db, "digest", digest(195), kind=AlertKind.DIGEST, chat_pks=[pks[1]])
            alert(db, "short", "short", chat_pks=[pks[2]])

            await sender(db, strict_bot).drain_once()

    to_first = [m.sent_at for m in strict.messages_to(1)]
    assert len(to_first) == 3
    assert all(later - earlier >= 1.0 for earlier, later in zip(to_first, to_first[1:], strict=False))
    assert len(strict.messages_to(2)) == 1
    assert strict.sends_429 == 0


async def test_a_group_gets_no_more_than_its_per_minute_allowance(
    db: Engine, bot: Bot
) -> None:
    async with LoopbackBotApi(bot.token, flood=FloodLimits(per_group_per_minute=2), spec_path=BOT_API_SPEC) as api:
        group_bot = Bot(bot.token, base_url=api.bot_base_url,
                        request=HTTPXRequest(httpx_kwargs={"trust_env": False}))
        async with group_bot:
            pks = add_chats(db, [-100])
            alert(db, "digest", digest(195), kind=AlertKind.DIGEST, chat_pks=[pks[-100]])
            delays: list[float] = []
            holding = asyncio.Event()

            async def sleep(seconds: float) -> None:  # the spacing's waits, seen from outside
                delays.append(seconds)
                if seconds > 2:  # longer than a chat's 1 s spacing: the group's minute
                    holding.set()
                await asyncio.sleep(seconds)

            worker = sender(db, group_bot, spacing=ChatSpacing(group_per_minute=2, sleep=sleep))
            async with running(worker):
                await api.wait_for_messages(-100, 2)
                await asyncio.wait_for(holding.wait(), timeout=5)
                assert max(delays) > 55  # the third part waits for the minute to pass

    assert len(api.messages_to(-100)) == 2
    assert api.sends_429 == 0
    [row] = deliveries(db)
    assert row.status == DeliveryStatus.PENDING


# -- faults -------------------------------------------------------------------------------------


async def test_a_429_pauses_every_send_for_retry_after_then_resumes_and_loses_nothing(
    db: Engine, api: LoopbackBotApi, bot: Bot
) -> None:
    nvda = add_company(db)
    add_chats(db, range(1, 7), company_id=nvda)
    alert(db, "result", "<b>NVDA</b> beat", company_id=nvda)
    api.fail_next("sendMessage", 429, "Too Many Requests: retry after 1", retry_after=1)

    await sender(db, bot).drain_once()

    [refused] = sends(api, 429)
    delivered = sends(api, 200)
    assert all(not (refused.time < c.time < refused.time + 1.0) for c in delivered)
    assert sorted(c.chat_id for c in delivered) == [1, 2, 3, 4, 5, 6]
    assert {r.status for r in deliveries(db)} == {DeliveryStatus.SENT}
    with Session(db) as session:
        assert delivery_stats(session, utc_now()).flood_waits_last_hour == 1


async def test_blocked_kicked_and_unknown_chats_are_deactivated_and_their_queue_cancelled(
    db: Engine, api: LoopbackBotApi, bot: Bot
) -> None:
    pks = add_chats(db, [1, -2, 3, 5])
    everyone = list(pks.values())
    alert(db, "now", "now", chat_pks=everyone)
    alert(db, "later", "later", kind=AlertKind.DIGEST, chat_pks=everyone, now=utc_now() + timedelta(hours=1))
    api.block(1)
    api.kick(-2)
    api.chat_not_found(3)

    await sender(db, bot).drain_once()

    for chat_id in (1, -2, 3):
        assert chat(db, pks[chat_id]).status == ChatStatus.BLOCKED
        rows = [r for r in deliveries(db) if r.chat_pk == pks[chat_id]]
        assert {r.status for r in rows} == {DeliveryStatus.CANCELLED}
    reasons = {r.last_error for r in deliveries(db) if r.chat_pk == pks[1]}
    assert reasons == {"Forbidden: Forbidden: bot was blocked by the user"}
    assert {r.status for r in deliveries(db) if r.chat_pk == pks[5]} == {
        DeliveryStatus.SENT, DeliveryStatus.PENDING}

    api.restore(1)  # the user unblocks the bot and sends /start
    with session_scope(db) as session:
        reactivate_chat(session, pks[1], now=utc_now())
    alert(db, "again", "welcome back", chat_pks=[pks[1]])
    await sender(db, bot).drain_once()
    assert [m.text for m in api.messages_to(1)] == ["welcome back"]


async def test_a_group_where_the_bot_lost_its_rights_is_handled_like_a_blocked_chat(
    db: Engine, api: LoopbackBotApi, bot: Bot
) -> None:
    pks = add_chats(db, [-4])
    alert(db, "a", "alert", chat_pks=[pks[-4]])
    api.fail_next("sendMessage", 400, "Bad Request: not enough rights to send text messages to the chat")

    await sender(db, bot).drain_once()

    assert chat(db, pks[-4]).status == ChatStatus.BLOCKED
    assert [r.status for r in deliveries(db)] == [DeliveryStatus.CANCELLED]


async def test_a_migrated_group_gets_its_new_id_and_the_message(
    db: Engine, api: LoopbackBotApi, bot: Bot
) -> None:
    pks = add_chats(db, [-5])
    alert(db, "a", "<b>NVDA</b> beat", chat_pks=[pks[-5]])
    api.migrate(-5, -1005)

    await sender(db, bot).drain_once()

    assert chat(db, pks[-5]).chat_id == -1005
    assert [m.text for m in api.messages_to(-1005)] == ["<b>NVDA</b> beat"]
    assert [r.status for r in deliveries(db)] == [DeliveryStatus.SENT]


async def test_server_errors_back_off_exponentially_then_fail_with_the_error_kept(
    db: Engine, api: LoopbackBotApi, bot: Bot
) -> None:
    pks = add_chats(db, [1])
    alert(db, "a", "alert", chat_pks=[pks[1]])
    api.fail_next("sendMessage", 502, "Bad Gateway", times=10)

    async with running(sender(db, bot, max_attempts=3, backoff_seconds=0.2)):
        await eventually(lambda: deliveries(db)[0].status == DeliveryStatus.FAILED)

    [row] = deliveries(db)
    assert row.attempts == 3
    assert "Bad Gateway" in (row.last_error or "")
    times = [c.time for c in sends(api)]
    assert len(times) == 3
    assert times[1] - times[0] >= 0.2 and times[2] - times[1] >= 0.4


async def test_a_timeout_is_retried_and_the_message_arrives_once(
    db: Engine, api: LoopbackBotApi
) -> None:
    request = HTTPXRequest(read_timeout=0.3, httpx_kwargs={"trust_env": False})
    async with Bot(api.token, base_url=api.bot_base_url, request=request) as quick_bot:
        pks = add_chats(db, [1, 2])
        alert(db, "a", "alert", chat_pks=[pks[1]])
        api.hang_next("sendMessage", 2.0, deliver=False)

        async with running(sender(db, quick_bot)):
            await eventually(lambda: deliveries(db)[0].status == DeliveryStatus.SENT)

    [row] = deliveries(db)
    assert row.attempts == 1  # one timed out, the retry went through
    assert [m.text for m in api.messages_to(1)] == ["alert"]


async def test_timeouts_up_to_the_limit_fail_the_delivery(db: Engine, api: LoopbackBotApi) -> None:
    request = HTTPXRequest(read_timeout=0.2, httpx_kwargs={"trust_env": False})
    async with Bot(api.token, base_url=api.bot_base_url, request=request) as quick_bot:
        pks = add_chats(db, [1])
        alert(db, "a", "alert", chat_pks=[pks[1]])
        api.hang_next("sendMessage", 1.0, times=5, deliver=False)

        async with running(sender(db, quick_bot, max_attempts=2)):
            await eventually(lambda: deliveries(db)[0].status == DeliveryStatus.FAILED)

    [row] = deliveries(db)
    assert row.attempts == 2
    assert "TimedOut" in (row.last_error or "")


# -- shape of messages --------------------------------------------------------------------------


async def test_alerts_due_together_for_one_chat_go_out_as_one_message(
    db: Engine, api: LoopbackBotApi, bot: Bot
) -> None:
    pks = add_chats(db, [1, 2])
    alert(db, "filing", "📄 <b>MSFT</b> filed an 8-K", kind=AlertKind.FILING, chat_pks=[pks[1]])
    alert(db, "result", "🟢 <b>NVDA</b> beat", chat_pks=[pks[1], pks[2]])

    assert await sender(db, bot).drain_once() == 2

    [message] = api.messages_to(1)
    assert message.text == "🟢 <b>NVDA</b> beat\n\n📄 <b>MSFT</b> filed an 8-K"
    rows = [r for r in deliveries(db) if r.chat_pk == pks[1]]
    assert {(r.status, r.message_id) for r in rows} == {(DeliveryStatus.SENT, message.message_id)}


async def test_a_10000_character_digest_arrives_as_valid_parts(
    db: Engine, api: LoopbackBotApi, bot: Bot
) -> None:
    pks = add_chats(db, [1])
    text = digest(195)
    alert(db, "digest", text, kind=AlertKind.DIGEST, chat_pks=[pks[1]])

    await sender(db, bot).drain_once()

    messages = api.messages_to(1)
    assert len(messages) == 3
    assert all(c.status == 200 for c in api.calls if c.method == "sendMessage")
    assert api.spec_violations == []
    assert squeeze("".join(m.visible_text for m in messages)) == squeeze(visible_text(text))
    [row] = deliveries(db)
    assert (row.message_id, row.message_parts) == (messages[0].message_id, 3)


# -- corrections --------------------------------------------------------------------------------


def correct(db: Engine, original: str, key: str, text: str) -> int:
    with session_scope(db) as session:
        created = enqueue_correction(session, original_dedup_key=original, dedup_key=key, text=text,
                                     now=utc_now())
        assert created is not None
        return created.id  # type: ignore[return-value]


async def test_a_correction_edits_the_sent_message_in_place(
    db: Engine, api: LoopbackBotApi, bot: Bot
) -> None:
    nvda = add_company(db)
    add_chats(db, [1, 2], company_id=nvda)
    original = alert(db, "result:1:a", "<b>NVDA</b> EPS $0.89", company_id=nvda)
    worker = sender(db, bot)
    await worker.drain_once()
    correction = correct(db, "result:1:a", "result:1:b", "<b>NVDA</b> EPS $0.91 (revised)")

    assert await worker.drain_once() == 2

    for chat_id in (1, 2):
        [message] = api.messages_to(chat_id)
        assert message.edited
        assert message.text == "<b>NVDA</b> EPS $0.91 (revised)"
        assert message.history == ["<b>NVDA</b> EPS $0.89"]
    assert all(r.edited_at is not None for r in deliveries(db, original))
    assert {r.status for r in deliveries(db, correction)} == {DeliveryStatus.SENT}


async def test_a_correction_of_one_alert_in_a_coalesced_message_keeps_the_others(
    db: Engine, api: LoopbackBotApi, bot: Bot
) -> None:
    pks = add_chats(db, [1])
    alert(db, "result:1:a", "NVDA EPS $0.89", chat_pks=[pks[1]])
    alert(db, "filing:2", "MSFT filed", kind=AlertKind.FILING, chat_pks=[pks[1]])
    worker = sender(db, bot)
    await worker.drain_once()
    correct(db, "result:1:a", "result:1:b", "NVDA EPS $0.91")
    await worker.drain_once()
    correct(db, "result:1:a", "result:1:c", "NVDA EPS $0.92")
    await worker.drain_once()

    [message] = api.messages_to(1)
    assert message.text == "NVDA EPS $0.92\n\nMSFT filed"
    assert message.history == ["NVDA EPS $0.89\n\nMSFT filed", "NVDA EPS $0.91\n\nMSFT filed"]


async def test_a_correction_before_sending_sends_only_the_revised_text(
    db: Engine, api: LoopbackBotApi, bot: Bot
) -> None:
    pks = add_chats(db, [1])
    alert(db, "result:1:a", "EPS $0.89", chat_pks=[pks[1]])
    correct(db, "result:1:a", "result:1:b", "EPS $0.91")

    await sender(db, bot).drain_once()

    assert [m.text for m in api.messages_to(1)] == ["EPS $0.91"]
    assert not api.messages_to(1)[0].edited


# -- crash recovery and broadcast ---------------------------------------------------------------


async def test_deliveries_left_in_flight_are_sent_once_more_and_never_a_third_time(
    db: Engine, api: LoopbackBotApi, bot: Bot
) -> None:
    pks = add_chats(db, [1, 2])
    alert(db, "a", "alert", chat_pks=list(pks.values()))
    with session_scope(db) as session:
        session.exec(update(Delivery).values(status=DeliveryStatus.SENDING))  # type: ignore[call-overload]
    worker = sender(db, bot)

    assert worker.recover_in_flight() == 2
    assert {(r.status, r.in_doubt) for r in deliveries(db)} == {(DeliveryStatus.PENDING, True)}
    with session_scope(db) as session:  # the process dies again with one of them on the wire
        session.exec(update(Delivery).where(Delivery.chat_pk == pks[1])  # type: ignore[call-overload]
                     .values(status=DeliveryStatus.SENDING))
    assert worker.recover_in_flight() == 0
    await worker.drain_once()

    by_chat = {r.chat_pk: r for r in deliveries(db)}
    assert by_chat[pks[1]].status == DeliveryStatus.FAILED
    assert "may have been delivered" in (by_chat[pks[1]].last_error or "")
    assert by_chat[pks[2]].status == DeliveryStatus.SENT
    assert api.messages_to(1) == [] and len(api.messages_to(2)) == 1


async def test_a_broadcast_reaches_every_active_chat_once(
    db: Engine, api: LoopbackBotApi, bot: Bot
) -> None:
    active = [1, 2, 3, -10]
    add_chats(db, active)
    add_chats(db, [4], status=ChatStatus.BLOCKED)
    add_chats(db, [5], status=ChatStatus.STOPPED)
    with session_scope(db) as session:
        enqueue_broadcast(session, text="Maintenance at 22:00 UTC", now=utc_now(), admin_chat_id=1)

    async with running(sender(db, bot)) as wake:
        wake.set()
        await eventually(lambda: api.sends_ok == 4)

    assert {chat_id: [m.text for m in api.messages_to(chat_id)] for chat_id in [*active, 4, 5]} == {
        **{chat_id: ["Maintenance at 22:00 UTC"] for chat_id in active}, 4: [], 5: []}


async def test_a_wake_gets_new_work_out_in_milliseconds(
    db: Engine, api: LoopbackBotApi, bot: Bot
) -> None:
    pks = add_chats(db, [1])
    async with running(sender(db, bot)) as wake:
        await asyncio.sleep(0.3)  # the sender is idle, waiting
        started = time.monotonic()
        alert(db, "a", "fresh", chat_pks=[pks[1]])
        wake.set()
        await api.wait_for_messages(1, 1, timeout=2)
        assert time.monotonic() - started < 0.5


async def test_with_a_shared_outbox_only_rows_whose_lease_ran_out_are_taken_back(
    db: Engine, bot: Bot
) -> None:
    pks = add_chats(db, [1, 2])
    alert(db, "a", "alert", chat_pks=list(pks.values()))
    now = utc_now()
    with session_scope(db) as session:  # chat 1: a live sender's claim; chat 2: a dead one's
        for chat_id, lease_end in ((1, now + timedelta(minutes=4)), (2, now - timedelta(seconds=1))):
            session.exec(update(Delivery).where(Delivery.chat_pk == pks[chat_id])  # type: ignore[call-overload]
                         .values(status=DeliveryStatus.SENDING, next_attempt_at=lease_end))

    assert sender(db, bot, shared_outbox=True).recover_in_flight() == 1

    by_chat = {r.chat_pk: r for r in deliveries(db)}
    assert by_chat[pks[1]].status == DeliveryStatus.SENDING
    assert (by_chat[pks[2]].status, by_chat[pks[2]].in_doubt) == (DeliveryStatus.PENDING, True)


async def test_with_a_shared_outbox_a_running_job_keeps_its_lease_and_no_other_sender_takes_it(
    db: Engine, api: LoopbackBotApi, bot: Bot, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sender_module, "SHARED_LEASE", timedelta(seconds=0.3))
    monkeypatch.setattr(sender_module, "LEASE_RENEWAL", 0.1)
    pks = add_chats(db, [1])
    alert(db, "a", "slow to answer", chat_pks=[pks[1]])
    api.hang_next("sendMessage", 0.9)  # on the wire three leases long (python-telegram-bot waits 1 s)
    async with running(sender(db, bot, shared_outbox=True)):
        await eventually(lambda: deliveries(db)[0].status == DeliveryStatus.SENDING)
        await asyncio.sleep(0.6)  # twice the lease: only renewals keep it
        [row] = deliveries(db)
        assert row.status == DeliveryStatus.SENDING and row.next_attempt_at > utc_now()
        assert sender(db, bot, shared_outbox=True).recover_in_flight() == 0  # another process's reaper
        await api.wait_for_messages(1, 1, timeout=3)
        await eventually(lambda: deliveries(db)[0].status == DeliveryStatus.SENT)
    assert len(api.messages_to(1)) == 1


async def test_a_delivery_taken_back_from_a_dead_sender_is_due_before_its_alerts_waiting_ones(
    db: Engine, bot: Bot
) -> None:
    pks = add_chats(db, [1, 2])
    created = utc_now() - timedelta(minutes=1)
    alert_id = alert(db, "a", "alert", chat_pks=list(pks.values()), now=created)
    with session_scope(db) as session:  # chat 1: claimed by a process that died; chat 2 retried later
        session.exec(update(Delivery).where(Delivery.chat_pk == pks[1])  # type: ignore[call-overload]
                     .values(status=DeliveryStatus.SENDING, next_attempt_at=utc_now() - timedelta(seconds=1)))
        session.exec(update(Delivery).where(Delivery.chat_pk == pks[2])  # type: ignore[call-overload]
                     .values(next_attempt_at=utc_now() - timedelta(seconds=30)))

    assert sender(db, bot, shared_outbox=True).recover_in_flight() == 1

    by_chat = {r.chat_pk: r for r in deliveries(db, alert_id)}
    assert by_chat[pks[1]].status == DeliveryStatus.PENDING
    assert by_chat[pks[1]].next_attempt_at == created < by_chat[pks[2]].next_attempt_at


# -- faults found in review -----------------------------------------------------------------------


async def test_a_group_that_migrates_under_two_jobs_at_once_stays_active_and_gets_both(
    db: Engine, api: LoopbackBotApi, bot: Bot
) -> None:
    pks = add_chats(db, [-5])
    worker = sender(db, bot)
    alert(db, "result:A:1", "<b>AAPL</b> EPS $1.00", chat_pks=[pks[-5]])
    await worker.drain_once()
    await eventually(lambda: worker.spacing.is_ready(-5))  # one message a second per chat
    correct(db, "result:A:1", "result:A:2", "<b>AAPL</b> EPS $1.10 (revised)")  # an edit job
    alert(db, "result:B:1", "<b>MSFT</b> EPS $2.00", chat_pks=[pks[-5]])  # and a send job
    api.migrate(-5, -1005)

    await worker.drain_once()
    await eventually(lambda: worker.spacing.is_ready(-5) and worker.spacing.is_ready(-1005))
    await worker.drain_once()

    moved = chat(db, pks[-5])
    assert (moved.chat_id, moved.status) == (-1005, ChatStatus.ACTIVE)
    assert sorted(m.text for m in api.messages_to(-1005)) == [
        "<b>AAPL</b> EPS $1.10 (revised)", "<b>MSFT</b> EPS $2.00",  # the old group's message can't be edited
    ]
    assert {r.status for r in deliveries(db)} == {DeliveryStatus.SENT}


async def test_one_alert_telegram_refuses_fails_alone(db: Engine, api: LoopbackBotApi, bot: Bot) -> None:
    pks = add_chats(db, [1])
    good = alert(db, "good", "🟢 NVDA beat", chat_pks=[pks[1]])
    bad = alert(db, "bad", '<a href="https://x">unclosed link', chat_pks=[pks[1]])
    later = alert(db, "later", "MSFT " + "z " * 2500, chat_pks=[pks[1]])  # goes in a message of its own

    async with running(sender(db, bot)):
        await eventually(lambda: all(r.status != DeliveryStatus.SENDING for r in deliveries(db))
                         and len(api.messages_to(1)) >= 3)

    shown = [visible_text(m.text) for m in api.messages_to(1)]
    assert shown[0] == "🟢 NVDA beat"
    assert "".join(shown[1:]).startswith("MSFT z z")
    status = {r.alert_id: r.status for r in deliveries(db)}
    assert status == {good: DeliveryStatus.SENT, bad: DeliveryStatus.FAILED, later: DeliveryStatus.SENT}


async def test_a_group_waiting_out_its_minute_does_not_hold_up_other_chats(
    db: Engine, api: LoopbackBotApi, bot: Bot
) -> None:
    pks = add_chats(db, [-100, 1])
    worker = sender(db, bot)
    for _ in range(20):
        worker.spacing.record(-100)  # the group used its 20 a minute just now
    for i in range(30):
        alert(db, f"group-{i}", f"group alert {i}", chat_pks=[pks[-100]])
    alert(db, "private", "private chat alert", chat_pks=[pks[1]])

    started = time.monotonic()
    async with running(worker):
        await api.wait_for_messages(1, 1, timeout=10)
    assert time.monotonic() - started < 3
    assert [m.text for m in api.messages_to(1)] == ["private chat alert"]


async def test_stopping_between_two_messages_of_a_job_does_not_send_the_first_again(
    db: Engine, api: LoopbackBotApi, bot: Bot
) -> None:
    pks = add_chats(db, [-100])
    first = "<b>A</b> " + "x " * 1500
    second = "<b>B</b> " + "y " * 1500  # together over 4096: two messages, a minute apart in a group
    alert(db, "a", first, chat_pks=[pks[-100]])
    alert(db, "b", second, chat_pks=[pks[-100]])
    between = asyncio.Event()

    async def sleep(seconds: float) -> None:  # the second message waits out the group's minute
        between.set()
        await asyncio.sleep(seconds)

    async with running(sender(db, bot, spacing=ChatSpacing(group_per_minute=1, sleep=sleep))):
        await api.wait_for_messages(-100, 1)
        await asyncio.wait_for(between.wait(), timeout=5)

    restarted = sender(db, bot, group_per_minute=100)
    restarted.recover_in_flight()
    await restarted.drain_once()
    assert [m.text for m in api.messages_to(-100)] == [first, second]


async def test_an_original_that_failed_after_its_correction_came_is_never_shown(
    db: Engine, api: LoopbackBotApi
) -> None:
    request = HTTPXRequest(read_timeout=0.3, httpx_kwargs={"trust_env": False})
    async with Bot(api.token, base_url=api.bot_base_url, request=request) as quick_bot:
        pks = add_chats(db, [1])
        alert(db, "result:A:1", "AAPL EPS $1.00", chat_pks=[pks[1]])
        api.hang_next("sendMessage", 1.0, deliver=False)  # the original times out on the wire
        async with running(sender(db, quick_bot)) as wake:
            await asyncio.sleep(0.1)
            correct(db, "result:A:1", "result:A:2", "AAPL EPS $1.10 (revised)")
            wake.set()
            await eventually(lambda: len(api.messages_to(1)) == 1)
            # settled: the hung request is over (its client gave up) and no delivery waits or flies
            await eventually(lambda: api.in_flight == 0 and all(
                row.status not in (DeliveryStatus.PENDING, DeliveryStatus.SENDING) for row in deliveries(db)))

    assert [m.text for m in api.messages_to(1)] == ["AAPL EPS $1.10 (revised)"]


async def test_a_correction_keeps_a_folded_notice_out_and_the_order_of_the_message(
    db: Engine, api: LoopbackBotApi, bot: Bot
) -> None:
    pks = add_chats(db, [1])
    with session_scope(db) as session:
        from bot.store.tables import Filing

        filing = Filing(accession="0001045810-25-000021", company_id=None, cik=1045810, form="8-K", items="2.02",
                        accepted_at=utc_now(), url="https://www.sec.gov/x", kind="earnings_release", seen_at=utc_now())
        session.add(filing)
        session.flush()
        filing_id = filing.id
    with session_scope(db) as session:
        from bot.delivery.outbox import enqueue_alert

        enqueue_alert(session, kind=AlertKind.DATE_CHANGE, dedup_key="date", text="📅 MSFT now expected Thu",
                      chat_pks=[pks[1]], now=utc_now())
        enqueue_alert(session, kind=AlertKind.FILING, dedup_key="filing", text="📄 NVDA has just filed",
                      filing_id=filing_id, chat_pks=[pks[1]], now=utc_now())
        enqueue_alert(session, kind=AlertKind.RESULT, dedup_key="result:1:a", text="🟢 NVDA EPS $0.89",
                      filing_id=filing_id, chat_pks=[pks[1]], now=utc_now())
    worker = sender(db, bot)
    await worker.drain_once()
    [message] = api.messages_to(1)
    assert message.text == "🟢 NVDA EPS $0.89\n\n📅 MSFT now expected Thu"

    await eventually(lambda: worker.spacing.is_ready(1))
    correct(db, "result:1:a", "result:1:b", "🟢 NVDA EPS $0.91")
    await worker.drain_once()
    [message] = api.messages_to(1)
    assert message.edited and message.text == "🟢 NVDA EPS $0.91\n\n📅 MSFT now expected Thu"


async def test_an_outage_of_half_a_minute_loses_nothing_with_the_default_retries(
    db: Engine, api: LoopbackBotApi, bot: Bot
) -> None:
    pks = add_chats(db, [1, 2])
    alert(db, "a", "alert", chat_pks=[pks[1], pks[2]])
    api.fail_next("sendMessage", 502, "Bad Gateway", times=16)  # 8 tries each at the default settings' pace

    async with running(Sender(db, bot, rate_per_second=30, backoff_seconds=0.01, max_backoff_seconds=0.05)):
        await eventually(lambda: all(r.status == DeliveryStatus.SENT for r in deliveries(db)), timeout=10)

    assert [m.text for m in api.messages_to(1)] == ["alert"]
    assert [m.text for m in api.messages_to(2)] == ["alert"]
