"""A chat's own in-line band judges its result only (another chat keeps the default verdict for the
same report), its own numbers too, once per distinct band; a result under a chat's minimum surprise
is still delivered once, marked to go without a sound."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import Engine
from sqlmodel import Session, select

from bot.engine.evaluate import evaluate_event
from bot.engine.preferences import set_band, set_min_surprise
from bot.engine.subscriptions import get_chat
from bot.store.figures import record_reported
from bot.store.tables import Alert, Delivery, saved_id
from tests.engine.helpers import NOW, OUTBOX, revenue
from tests.engine.test_own_numbers import (
    ALICE,
    BOB,
    CAROL,
    DAVE,
    expect,
    report,
    scheduled,
    texts_by_chat,
)

# NVDA reports EPS $0.89 against $0.84 (+6.0%) and revenue $39.33B against $37.72B (+4.3%).


def deliveries(session: Session, alert: Alert) -> dict[int, Delivery]:
    rows = session.exec(select(Delivery).where(Delivery.alert_id == alert.id)).all()
    pk_to_chat = {saved_id(get_chat(session, c)): c for c in (ALICE, BOB, CAROL, DAVE)}  # type: ignore[arg-type]
    return {pk_to_chat[d.chat_pk]: d for d in rows}


def test_a_wider_band_turns_that_chats_beat_into_in_line_and_no_one_elses(db: Engine) -> None:
    with Session(db) as session:
        event = scheduled(session)
        set_band(session, ALICE, 700, now=NOW)  # ±7%: both surprises inside
        set_band(session, CAROL, 500, now=NOW)  # ±5%: revenue inside, EPS still a beat
        report(session, event)
        evaluation = evaluate_event(session, event, outbox=OUTBOX, now=NOW + timedelta(hours=7))
        assert evaluation.alert is not None and evaluation.report is not None
        texts = texts_by_chat(session, evaluation.alert)
        assert texts[ALICE].startswith("⚪ <b>NVDA in line: Q4 FY2025</b>")
        assert "EPS $0.89 vs $0.84 est. (+6.0%) ➖ in line" in texts[ALICE]
        assert "Revenue $39.33B vs $37.72B est. (+4.3%) ➖ in line" in texts[ALICE]
        assert texts[CAROL].startswith("🟢 <b>NVDA beat: Q4 FY2025</b>")
        assert "EPS $0.89 vs $0.84 est. (+6.0%) ✅ beat" in texts[CAROL]
        assert "(+4.3%) ➖ in line" in texts[CAROL]
        for default_chat in (BOB, DAVE):
            assert texts[default_chat].startswith("🟢 <b>NVDA beat: Q4 FY2025</b>")
            assert "(+4.3%) ✅ beat" in texts[default_chat]
        assert evaluation.report.verdict.value == "beat"  # the alert's own text: the default band's
        assert len(deliveries(session, evaluation.alert)) == 4  # one each, never two


def test_a_band_that_judges_as_the_default_does_is_no_text_of_its_own(db: Engine) -> None:
    with Session(db) as session:
        event = scheduled(session)
        set_band(session, ALICE, 100, now=NOW)  # ±1%: both surprises are outside it, as by default
        report(session, event)
        evaluation = evaluate_event(session, event, outbox=OUTBOX, now=NOW + timedelta(hours=7))
        assert evaluation.alert is not None
        assert deliveries(session, evaluation.alert)[ALICE].text is None


def test_the_chats_band_judges_its_own_numbers_too(db: Engine) -> None:
    with Session(db) as session:
        event = scheduled(session)
        for chat in (ALICE, BOB, CAROL):
            expect(session, chat, "eps", "0.90")
        set_band(session, ALICE, 200, now=NOW)  # the headline reads as by default, her own number does not
        set_band(session, CAROL, 700, now=NOW)  # both differ
        report(session, event)
        evaluation = evaluate_event(session, event, outbox=OUTBOX, now=NOW + timedelta(hours=7))
        assert evaluation.alert is not None
        texts = texts_by_chat(session, evaluation.alert)
        assert "EPS $0.89 vs $0.90 yours (-1.1%) ➖ in line" in texts[ALICE]
        assert texts[ALICE].startswith("🟢 <b>NVDA beat")
        assert "EPS $0.89 vs $0.90 yours (-1.1%) ❌ miss" in texts[BOB]
        assert "EPS $0.89 vs $0.90 yours (-1.1%) ➖ in line" in texts[CAROL]
        assert texts[CAROL].startswith("⚪ <b>NVDA in line")
        assert "yours" not in texts[DAVE] and texts[DAVE].startswith("🟢 <b>NVDA beat")


def test_a_result_under_the_minimum_surprise_is_delivered_once_without_a_sound(db: Engine) -> None:
    with Session(db) as session:
        event = scheduled(session)
        set_min_surprise(session, ALICE, 1000, now=NOW)  # 10%: both surprises are under it
        set_min_surprise(session, BOB, 500, now=NOW)  # 5%: EPS's +6.0% is not
        set_min_surprise(session, CAROL, 600, now=NOW)  # 6%: +6.0% is not under it either
        report(session, event)
        evaluation = evaluate_event(session, event, outbox=OUTBOX, now=NOW + timedelta(hours=7))
        assert evaluation.alert is not None
        rows = deliveries(session, evaluation.alert)
        assert {chat: row.silent for chat, row in rows.items()} == {ALICE: True, BOB: False, CAROL: False,
                                                                     DAVE: False}
        assert rows[ALICE].text is None  # the same words as everyone's, only quieter


def test_a_correction_keeps_the_chats_band_and_its_quiet(db: Engine) -> None:
    with Session(db) as session:
        event = scheduled(session)
        set_band(session, ALICE, 700, now=NOW)
        set_min_surprise(session, ALICE, 1000, now=NOW)
        report(session, event)
        first = evaluate_event(session, event, outbox=OUTBOX, now=NOW + timedelta(hours=7))
        assert first.alert is not None
        record_reported(session, event, revenue("39500000000"), source="sec", reported_at=NOW + timedelta(hours=7),
                        accession="0001045810-25-000021")
        session.flush()
        corrected = evaluate_event(session, event, outbox=OUTBOX, now=NOW + timedelta(hours=8))
        assert corrected.is_correction and corrected.alert is not None
        texts = texts_by_chat(session, corrected.alert)
        assert texts[ALICE].startswith("⚪ <b>NVDA in line: Q4 FY2025</b> (updated)")
        assert "Revenue $39.50B vs $37.72B est. (+4.7%) ➖ in line" in texts[ALICE]
        assert "(+4.7%) ✅ beat" in texts[BOB]
        assert deliveries(session, corrected.alert)[ALICE].silent
