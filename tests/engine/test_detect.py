"""EDGAR detection over real HTTP against the loopback EDGAR: a watched company's 8-K Item 2.02 is
alerted at once and once, its press release read for the figures, a results 6-K recognised by its
exhibit, announcements sent only to chats that opted in, refusals backed off."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from bot.engine.detect import EdgarDetector
from bot.engine.preferences import set_announcement
from bot.engine.sync import apply_calendar_rows
from bot.sandbox.edgar import LoopbackEdgar, PublishedFiling
from bot.sources.edgar.client import EdgarClient
from bot.sources.http import RateLimiter, make_client
from bot.store.db import ThreadedTransactions, session_scope
from bot.store.tables import (
    Alert,
    Chat,
    Company,
    Delivery,
    EarningsEvent,
    Filing,
    FilingKind,
    FilingState,
    ReportedFigure,
    SourceState,
)
from tests.conftest import FIXTURES
from tests.engine.helpers import (
    OUTBOX,
    Clock,
    add_company,
    calendar_row,
    eps,
    revenue,
    watching_chat,
)

AGENT = "Jane Doe jane@example.com"
ACCEPTED = datetime(2025, 2, 26, 21, 21, 32, tzinfo=UTC)
RELEASES = FIXTURES / "press_releases"


@dataclass
class Setup:
    edgar: LoopbackEdgar
    detector: EdgarDetector
    clock: Clock


@pytest.fixture
async def setup(db: Engine) -> AsyncIterator[Setup]:
    clock = Clock(ACCEPTED + timedelta(seconds=20))
    async with LoopbackEdgar() as edgar, make_client() as http:
        client = EdgarClient(http, edgar.url, edgar.url, AGENT, RateLimiter(10))
        yield Setup(edgar, EdgarDetector(ThreadedTransactions(db), client, outbox=OUTBOX, active_seconds=15, idle_seconds=300, clock=clock), clock)


def nvda_filing(accession: str = "0001045810-25-000021", items: tuple[str, ...] = ("2.02", "9.01")) -> PublishedFiling:
    release = (RELEASES / "nvda_q4_fy2025_ex99-1.htm").read_text(encoding="utf-8")
    return PublishedFiling(cik=1045810, company="NVIDIA CORP", form="8-K", accession=accession,
                           accepted_at=ACCEPTED, items=items,
                           documents=(("8-K", "nvda-20250226.htm", "<html>8-K</html>"),
                                      ("EX-99.1", "q4fy25pr.htm", release)))


def scheduled_nvda(session: Session) -> None:
    add_company(session)
    watching_chat(session, 42, "NVDA")
    row = calendar_row(day=date(2025, 2, 26), estimates=(eps("0.84"), revenue("37720000000")))
    apply_calendar_rows(session, [row], now=ACCEPTED - timedelta(days=1))
    session.commit()


async def test_item_202_is_alerted_then_the_figures_evaluated(db: Engine, setup: Setup) -> None:
    with Session(db) as session:
        scheduled_nvda(session)
    setup.edgar.publish(nvda_filing())
    setup.edgar.publish(PublishedFiling(cik=999, company="OTHER CO", form="8-K", accession="0000000999-25-000001",
                                        accepted_at=ACCEPTED, items=("2.02",)))
    outcome = await setup.detector.poll()
    assert outcome.errors == []
    with session_scope(db) as session:
        filing = session.exec(select(Filing)).one()
        assert (filing.accession, filing.kind, filing.state) == ("0001045810-25-000021",
                                                                 FilingKind.EARNINGS_RELEASE, FilingState.DONE)
        assert filing.accepted_at == ACCEPTED
        alerts = session.exec(select(Alert).order_by(Alert.id)).all()
        assert [a.dedup_key.split(":")[0] for a in alerts] == ["filing", "result"]
        assert "NVDA</b> has just filed its results (8-K Item 2.02, Item 9.01)" in alerts[0].text
        assert "/Archives/edgar/data/1045810/000104581025000021/0001045810-25-000021-index.htm" in alerts[0].text
        assert "NVDA beat: Q4 FY2025" in alerts[1].text
        assert "EPS $0.89 vs $0.84 est. (+6.0%)" in alerts[1].text
        assert "Revenue $39.33B vs $37.72B est. (+4.3%)" in alerts[1].text
        assert session.exec(select(EarningsEvent)).one().state == "reported"
    again = await setup.detector.poll()
    assert again.new_filings == 0 and again.alerts == 0
    assert setup.edgar.requests["index"] == 1 and setup.edgar.requests["document"] == 1


async def test_unwatched_companies_cost_no_requests_beyond_the_feed(db: Engine, setup: Setup) -> None:
    with Session(db) as session:
        add_company(session)
        session.commit()
    setup.edgar.publish(nvda_filing())
    await setup.detector.poll()
    assert setup.edgar.requests["index"] == 0
    with session_scope(db) as session:
        assert session.exec(select(Filing)).all() == []


async def test_a_results_6k_is_recognised_by_its_exhibit_and_a_monthly_return_is_not(
    db: Engine, setup: Setup
) -> None:
    with Session(db) as session:
        add_company(session, "BABA", "Alibaba Group Holding Ltd", 1577552, fiscal_year_end_month=3, currency="CNY")
        watching_chat(session, 42, "BABA")
        session.commit()
    results = (RELEASES / "baba_dec_q_2024_ex99-1.htm").read_text(encoding="utf-8")
    monthly = (FIXTURES / "edgar" / "6k_monthly_return_ex99-1.htm").read_text(encoding="utf-8")
    for accession, doc in (("0001104659-25-015202", results), ("0001104659-25-001655", monthly)):
        setup.edgar.publish(PublishedFiling(cik=1577552, company="Alibaba Group Holding Ltd", form="6-K",
                                            accession=accession, accepted_at=ACCEPTED,
                                            documents=(("EX-99.1", f"{accession}_ex99-1.htm", doc),)))
    await setup.detector.poll()
    with session_scope(db) as session:
        kinds = {f.accession: f.kind for f in session.exec(select(Filing)).all()}
        alerts = session.exec(select(Alert)).all()
    assert kinds == {"0001104659-25-015202": FilingKind.EARNINGS_RELEASE, "0001104659-25-001655": FilingKind.OTHER}
    # the results 6-K alone is told: its notice, then its figures (no calendar knows the event, so
    # the release makes it); the monthly return says nothing
    notice, result = alerts
    assert "BABA</b> has just filed its results (6-K)" in notice.text
    assert result.kind == "result" and "BABA reported: Q3 FY2025" in result.text
    with session_scope(db) as session:
        assert session.exec(select(Company).where(Company.ticker == "BABA")).one().filer_kind == "foreign"


async def test_announcements_go_only_to_chats_that_opted_in(db: Engine, setup: Setup) -> None:
    with Session(db) as session:
        add_company(session)
        watching_chat(session, 1, "NVDA")
        watching_chat(session, 2, "NVDA")
        set_announcement(session, 2, "officers", True, now=ACCEPTED)
        session.commit()
    setup.edgar.publish(nvda_filing("0001045810-26-000024", items=("5.02", "9.01")))
    await setup.detector.poll()
    with session_scope(db) as session:
        alert = session.exec(select(Alert)).one()
        deliveries = session.exec(select(Delivery)).all()
    assert "has just filed an announcement (8-K Item 5.02, Item 9.01)" in alert.text
    assert "Departure/Election of Directors or Officers" in alert.text
    assert len(deliveries) == 1


async def test_a_refusal_backs_off_at_least_ten_minutes_and_loses_nothing(db: Engine, setup: Setup) -> None:
    with Session(db) as session:
        scheduled_nvda(session)
    setup.edgar.publish(nvda_filing())
    setup.edgar.refuse_with = 403
    outcome = await setup.detector.poll()
    assert outcome.errors and "SEC" in outcome.errors[0]
    with session_scope(db) as session:
        state = session.exec(select(SourceState).where(SourceState.key == "sec_edgar")).one()
        assert state.backoff_until is not None and state.backoff_until >= setup.clock.now + timedelta(minutes=10)
    setup.edgar.refuse_with = None
    assert (await setup.detector.poll()).skipped  # still backing off
    setup.clock.now += timedelta(minutes=16)
    await setup.detector.poll()
    with session_scope(db) as session:
        assert len(session.exec(select(Alert)).all()) == 2


async def test_a_failure_after_the_notice_is_finished_on_the_next_run(db: Engine, setup: Setup) -> None:
    with Session(db) as session:
        scheduled_nvda(session)
    setup.edgar.publish(nvda_filing())
    setup.edgar.fail_documents = 1
    first = await setup.detector.poll()
    assert first.errors
    with session_scope(db) as session:
        assert session.exec(select(Filing)).one().state == FilingState.SEEN
        assert [a.dedup_key.split(":")[0] for a in session.exec(select(Alert)).all()] == ["filing"]
    setup.clock.now += timedelta(minutes=2)
    await setup.detector.poll()
    with session_scope(db) as session:
        assert session.exec(select(Filing)).one().state == FilingState.DONE
        keys = sorted(a.dedup_key.split(":")[0] for a in session.exec(select(Alert)).all())
    assert keys == ["filing", "result"]


async def test_a_filing_without_a_press_release_is_done_with_the_reason(db: Engine, setup: Setup) -> None:
    with Session(db) as session:
        scheduled_nvda(session)
    setup.edgar.publish(PublishedFiling(**{**nvda_filing().__dict__, "documents": ()}))
    await setup.detector.poll()
    with session_scope(db) as session:
        row = session.exec(select(Filing)).one()
        assert row.state == FilingState.DONE and row.last_error == "no EX-99.1 exhibit"


async def test_every_request_declares_the_user_agent(db: Engine, setup: Setup) -> None:
    with Session(db) as session:
        scheduled_nvda(session)
    setup.edgar.user_agent_required = True
    setup.edgar.publish(nvda_filing())
    outcome = await setup.detector.poll()
    assert outcome.errors == []
    assert setup.edgar.requests["feed"] >= 2  # 8-K and 6-K


async def test_xbrl_fills_in_what_the_release_did_not_state(db: Engine, setup: Setup) -> None:
    from bot.engine.confirm import confirm_reported_events
    from bot.engine.evaluate import evaluate_event
    from bot.store.figures import record_reported

    with Session(db) as session:
        scheduled_nvda(session)
        event = session.exec(select(EarningsEvent)).one()
        record_reported(session, event, eps("0.89"), source="finnhub", reported_at=ACCEPTED)
        first = evaluate_event(session, event, outbox=OUTBOX, now=ACCEPTED)
        session.commit()
        assert first.alert is not None and "Revenue" not in first.alert.text
    setup.edgar.companyfacts[1045810] = (FIXTURES / "edgar" / "companyfacts_CIK0001045810_q4_derivation.json").read_bytes()
    stored = await confirm_reported_events(ThreadedTransactions(db), setup.detector.client, outbox=OUTBOX, clock=setup.clock)
    assert stored == 1
    with session_scope(db) as session:
        xbrl = session.exec(select(ReportedFigure).where(ReportedFigure.source == "xbrl")).one()
        assert (xbrl.metric, xbrl.value) == ("revenue", 39331000000)
        correction = session.exec(select(Alert).order_by(Alert.id.desc())).first()  # type: ignore[union-attr]
        assert correction is not None and "Revenue $39.33B vs $37.72B est. (+4.3%)" in correction.text
    assert await confirm_reported_events(ThreadedTransactions(db), setup.detector.client, outbox=OUTBOX, clock=setup.clock) == 0


async def test_a_filing_reaches_the_watchers_of_every_share_class_once(db: Engine, setup: Setup) -> None:
    with Session(db) as session:
        add_company(session, "GOOGL", "Alphabet Inc.", 1652044)
        add_company(session, "GOOG", "Alphabet Inc.", 1652044)
        watching_chat(session, 1, "GOOG")
        watching_chat(session, 2, "GOOGL")
        watching_chat(session, 3, "GOOG", "GOOGL")
        for chat_id in (1, 2, 3):
            set_announcement(session, chat_id, "officers", True, now=ACCEPTED)
        session.commit()
    for accession, items in (("0001652044-25-000014", ("2.02", "9.01")), ("0001652044-25-000015", ("5.02",))):
        setup.edgar.publish(PublishedFiling(cik=1652044, company="Alphabet Inc.", form="8-K", accession=accession,
                                            accepted_at=ACCEPTED, items=items))
    await setup.detector.poll()
    with session_scope(db) as session:
        alerts = session.exec(select(Alert).order_by(Alert.id)).all()
        assert len(alerts) == 2
        for alert in alerts:
            deliveries = session.exec(select(Delivery).where(Delivery.alert_id == alert.id)).all()
            assert sorted(d.chat_pk for d in deliveries) == sorted(
                c.id for c in session.exec(select(Chat)).all()  # type: ignore[misc]
            )


async def test_an_exhibit_that_cannot_be_read_does_not_hold_up_other_filings(
    db: Engine, setup: Setup, monkeypatch: pytest.MonkeyPatch
) -> None:
    import bot.engine.detect as detect

    with Session(db) as session:
        scheduled_nvda(session)
        add_company(session, "AAA", "TRIPLE A INC", 1111)
        watching_chat(session, 43, "AAA")
        session.commit()
    setup.edgar.publish(PublishedFiling(
        cik=1111, company="TRIPLE A INC", form="8-K", accession="0000001111-25-000001",
        accepted_at=ACCEPTED - timedelta(minutes=5), items=("2.02",),
        documents=(("EX-99.1", "ex991.htm", "<html><body><p>CHOKES THE READER</p></body></html>"),),
    ))
    setup.edgar.publish(nvda_filing())
    read = detect.extract_figures

    def reader_with_a_bug(content: bytes):  # type: ignore[no-untyped-def]  # a fault no test foresaw
        if b"CHOKES THE READER" in content:
            raise ArithmeticError("a bug in the reader")
        return read(content)

    monkeypatch.setattr(detect, "extract_figures", reader_with_a_bug)
    for _ in range(2):
        await setup.detector.poll()

    with session_scope(db) as session:
        by_accession = {f.accession: f for f in session.exec(select(Filing)).all()}
        results = [a.text for a in session.exec(select(Alert)).all() if a.dedup_key.startswith("result")]
    assert by_accession["0001045810-25-000021"].state == FilingState.DONE
    assert len(results) == 1 and "NVDA beat" in results[0]
    stuck = by_accession["0000001111-25-000001"]
    assert stuck.state == FilingState.SEEN and stuck.attempts == 2
    assert "unreadable exhibit (ArithmeticError)" in (stuck.last_error or "")


async def test_a_busy_feed_is_paged_back_to_the_previous_read(db: Engine, setup: Setup) -> None:
    with Session(db) as session:
        scheduled_nvda(session)
    setup.clock.now = ACCEPTED - timedelta(minutes=10)
    await setup.detector.poll()  # the previous read, ten minutes before
    setup.edgar.publish(nvda_filing())
    for n in range(150):  # then a rush of other companies' 8-Ks pushes NVDA's off the first page;
        # some are co-registrant filings, listed once per registrant, so a full page holds fewer filings
        accession = f"0000002{n // 2 if n >= 130 else n:03d}-25-000001"
        setup.edgar.publish(PublishedFiling(
            cik=2000 + n, company=f"OTHER {n}", form="8-K", accession=accession,
            accepted_at=ACCEPTED + timedelta(seconds=1 + n), items=("7.01",),
        ))
    setup.clock.now = ACCEPTED + timedelta(minutes=5)

    outcome = await setup.detector.poll()

    assert outcome.errors == []
    with session_scope(db) as session:
        assert [f.accession for f in session.exec(select(Filing)).all()] == ["0001045810-25-000021"]


async def test_xbrl_gives_the_first_figures_when_the_release_gave_none(db: Engine, setup: Setup) -> None:
    from bot.engine.confirm import confirm_reported_events

    with Session(db) as session:
        scheduled_nvda(session)
    silent = "<html><body><p>NVIDIA Announces Financial Results for Fourth Quarter</p>" \
             "<p>Please see the attached presentation.</p></body></html>"
    setup.edgar.publish(PublishedFiling(
        cik=1045810, company="NVIDIA CORP", form="8-K", accession="0001045810-25-000021", accepted_at=ACCEPTED,
        items=("2.02",), documents=(("EX-99.1", "q4fy25pr.htm", silent),),
    ))
    await setup.detector.poll()
    with session_scope(db) as session:
        assert session.exec(select(EarningsEvent)).one().state == "scheduled"
    setup.edgar.companyfacts[1045810] = (FIXTURES / "edgar" / "companyfacts_CIK0001045810_q4_derivation.json").read_bytes()

    assert await confirm_reported_events(ThreadedTransactions(db), setup.detector.client, outbox=OUTBOX, clock=setup.clock) == 1

    with session_scope(db) as session:
        assert session.exec(select(EarningsEvent)).one().state == "reported"
        result = session.exec(select(Alert).where(Alert.dedup_key.startswith("result"))).one()  # type: ignore[attr-defined]
        assert "Revenue $39.33B vs $37.72B est. (+4.3%)" in result.text


async def test_results_reach_the_watchers_of_every_share_class(db: Engine, setup: Setup) -> None:
    with Session(db) as session:
        for ticker in ("GOOGL", "GOOG"):
            add_company(session, ticker, "Alphabet Inc.", 1652044)
        watching_chat(session, 1, "GOOG")
        watching_chat(session, 2, "GOOGL")
        watching_chat(session, 3, "GOOG", "GOOGL")
        rows = [calendar_row(t, day=date(2025, 2, 26), estimates=(eps("0.84"),)) for t in ("GOOGL", "GOOG")]
        apply_calendar_rows(session, rows, now=ACCEPTED - timedelta(days=1))
        session.commit()
    filing = nvda_filing()
    setup.edgar.publish(PublishedFiling(cik=1652044, company="Alphabet Inc.", form="8-K",
                                        accession="0001652044-25-000014", accepted_at=ACCEPTED,
                                        items=("2.02",), documents=filing.documents))
    await setup.detector.poll()
    with session_scope(db) as session:
        results = session.exec(select(Alert).where(Alert.dedup_key.startswith("result"))).all()  # type: ignore[attr-defined]
        readers = {
            a.text.split(" beat")[0].split()[-1].removeprefix("<b>"): [
                session.get(Chat, d.chat_pk).chat_id  # type: ignore[union-attr]
                for d in session.exec(select(Delivery).where(Delivery.alert_id == a.id)).all()
            ]
            for a in results
        }
        events = session.exec(select(EarningsEvent)).all()
    # the issuer reports once: both classes' calendar rows are one event, and its result reaches
    # every class's watchers, once each (chat 3 watches both)
    assert len(events) == 1
    assert {ticker: sorted(chats) for ticker, chats in readers.items()} == {"GOOGL": [1, 2, 3]}


async def test_an_estimate_rolled_after_a_release_without_figures_does_not_move_the_bar(
    db: Engine, setup: Setup
) -> None:
    from bot.engine.confirm import confirm_reported_events

    with Session(db) as session:
        scheduled_nvda(session)  # consensus EPS 0.84, revenue $37.72B, the day before
    silent = "<html><body><p>NVIDIA Announces Financial Results for Fourth Quarter</p></body></html>"
    setup.edgar.publish(PublishedFiling(
        cik=1045810, company="NVIDIA CORP", form="8-K", accession="0001045810-25-000021", accepted_at=ACCEPTED,
        items=("2.02",), documents=(("EX-99.1", "q4fy25pr.htm", silent),),
    ))
    await setup.detector.poll()
    with Session(db) as session:  # the next morning a vendor already shows next quarter's bar
        rolled = calendar_row(day=date(2025, 2, 26), estimates=(revenue("43000000000"),))
        apply_calendar_rows(session, [rolled], now=ACCEPTED + timedelta(hours=16))
        session.commit()
    setup.edgar.companyfacts[1045810] = (FIXTURES / "edgar" / "companyfacts_CIK0001045810_q4_derivation.json").read_bytes()
    setup.clock.now = ACCEPTED + timedelta(days=20)

    await confirm_reported_events(ThreadedTransactions(db), setup.detector.client, outbox=OUTBOX, clock=setup.clock)

    with session_scope(db) as session:
        result = session.exec(select(Alert).where(Alert.dedup_key.startswith("result"))).one()  # type: ignore[attr-defined]
    assert "Revenue $39.33B vs $37.72B est. (+4.3%)" in result.text


@pytest.mark.parametrize("refusal", [404, 503, "html"])
async def test_consecutive_failures_back_off_longer_each_time_until_a_success(
    db: Engine, setup: Setup, refusal: int | str,
) -> None:
    with Session(db) as session:
        scheduled_nvda(session)
    setup.edgar.refuse_with = 200 if refusal == "html" else refusal  # type: ignore[assignment]
    gaps: list[float] = []
    for _ in range(6):
        outcome = await setup.detector.tick()
        assert outcome.errors and not outcome.skipped
        assert (await setup.detector.tick()).skipped  # asked again at once: still backing off
        with session_scope(db) as session:
            state = session.exec(select(SourceState).where(SourceState.key == "sec_edgar")).one()
        assert state.backoff_until is not None
        gaps.append((state.backoff_until.replace(tzinfo=UTC) - setup.clock.now).total_seconds())
        setup.clock.now = state.backoff_until.replace(tzinfo=UTC) + timedelta(seconds=1)
    assert all(later > earlier for earlier, later in zip(gaps, gaps[1:], strict=False)), gaps
    setup.edgar.refuse_with = None
    assert not (await setup.detector.tick()).errors
    with session_scope(db) as session:
        state = session.exec(select(SourceState).where(SourceState.key == "sec_edgar")).one()
    assert (state.failures, state.backoff_until) == (0, None)


async def test_a_sec_block_backs_off_at_least_fifteen_minutes(db: Engine, setup: Setup) -> None:
    with Session(db) as session:
        scheduled_nvda(session)
    setup.edgar.refuse_with = 403
    await setup.detector.tick()
    with session_scope(db) as session:
        state = session.exec(select(SourceState).where(SourceState.key == "sec_edgar")).one()
    assert state.backoff_until is not None
    assert state.backoff_until.replace(tzinfo=UTC) >= setup.clock.now + timedelta(minutes=15)
