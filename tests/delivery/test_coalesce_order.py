"""A "has just filed" notice is not repeated beside the result of the same filing."""

from __future__ import annotations

from bot.delivery.coalesce import compose_messages


def test_a_superseded_notice_is_delivered_with_the_message_but_adds_no_text() -> None:
    [message] = compose_messages(["<b>NVDA beat</b>", "📄 <b>NVDA</b> has just filed", "MSFT note"],
                                 folded=[False, True, False])
    assert message.text == "<b>NVDA beat</b>\n\nMSFT note"
    assert message.sources == (0, 1, 2)


def test_only_superseded_texts_make_no_message() -> None:
    assert compose_messages(["📄 <b>NVDA</b> has just filed"], folded=[True]) == []


async def test_notice_and_result_of_one_filing_due_together_send_the_result_alone(db, api, bot) -> None:
    from bot.delivery.outbox import enqueue_alert
    from bot.delivery.sender import Sender
    from bot.domain.market_time import utc_now
    from bot.store.db import session_scope
    from bot.store.tables import AlertKind, DeliveryStatus, Filing
    from tests.delivery.helpers import add_chats, deliveries

    pks = add_chats(db, [1])
    now = utc_now()
    with session_scope(db) as session:
        filing = Filing(accession="0001045810-25-000021", cik=1045810, form="8-K", items="2.02",
                        accepted_at=now, url="https://www.sec.gov/x")
        session.add(filing)
        session.flush()
        enqueue_alert(session, kind=AlertKind.FILING, dedup_key="filing:x", text="📄 <b>NVDA</b> has just filed",
                      filing_id=filing.id, chat_pks=[pks[1]], now=now)
        enqueue_alert(session, kind=AlertKind.RESULT, dedup_key="result:x", text="🟢 <b>NVDA</b> beat",
                      filing_id=filing.id, chat_pks=[pks[1]], now=now)
    assert await Sender(db, bot, rate_per_second=30).drain_once() == 1
    [message] = api.messages_to(1)
    assert message.text == "🟢 <b>NVDA</b> beat"
    assert {(d.status, d.message_id) for d in deliveries(db)} == {(DeliveryStatus.SENT, message.message_id)}


def test_a_superseded_notice_beside_a_result_too_long_for_one_message_is_still_delivered() -> None:
    long_result = "\n".join(["<b>line of a long result</b>"] * 300)
    notice = "📄 <b>NVDA</b> has just filed"
    before = compose_messages([notice, long_result], folded=[True, False])
    after = compose_messages([long_result, notice], folded=[False, True])
    assert len(before) > 1 and len(after) > 1
    assert before[0].sources == (0, 1) and all(m.sources == (1,) for m in before[1:])
    assert after[-1].sources == (0, 1) and all(m.sources == (0,) for m in after[:-1])


def test_a_folded_notice_next_to_a_full_length_alert_still_rides_with_a_message() -> None:
    notice = "📄 <b>NVDA</b> has just filed"
    for texts, folded in (([notice, "x" * 4096], [True, False]),
                          (["y" * 5000, notice, "z" * 4095], [False, True, False])):
        covered = {i for message in compose_messages(texts, folded=folded) for i in message.sources}
        assert covered == set(range(len(texts)))
