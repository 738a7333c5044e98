"""A report that moves is told to its watchers once; vendors that disagree never move it back and forth."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import Engine
from sqlmodel import Session, select

from bot.domain.market_time import Timing
from bot.engine.date_changes import alert_date_changes
from bot.engine.sync import apply_calendar_rows
from bot.sources.calendar import CalendarRow
from bot.store.tables import Alert, AlertKind, Delivery, EarningsEvent
from tests.engine.helpers import NOW, OUTBOX, add_company, calendar_row, watching_chat

PRECEDENCE = ("nasdaq", "finnhub")
FEB_26, FEB_27, MAR_05 = date(2025, 2, 26), date(2025, 2, 27), date(2025, 3, 5)
LATER = NOW - timedelta(days=5)  # NOW is Feb 26; these syncs run the week before


def sync(session: Session, *rows: CalendarRow, now=LATER) -> int:  # type: ignore[no-untyped-def]
    report = apply_calendar_rows(session, list(rows), now=now, precedence=PRECEDENCE)
    return alert_date_changes(session, report.date_changes, outbox=OUTBOX, now=now)


def date_alerts(session: Session) -> list[str]:
    rows = session.exec(select(Alert).where(Alert.kind == AlertKind.DATE_CHANGE).order_by(Alert.id)).all()
    return [a.text for a in rows]


def the_event(session: Session) -> EarningsEvent:
    return session.exec(select(EarningsEvent)).one()


def test_a_moved_report_alerts_every_watcher_once_with_old_and_new_day(db: Engine) -> None:
    with Session(db) as session:
        add_company(session)
        watching_chat(session, 5_000_000_001, "NVDA")
        watching_chat(session, -1_001_234_567_890, "NVDA")
        assert sync(session, calendar_row(day=FEB_26)) == 0  # first sighting: nothing moved
        assert sync(session, calendar_row(day=FEB_27)) == 1
        assert sync(session, calendar_row(day=FEB_27)) == 0
        [text] = date_alerts(session)
        assert text.startswith("📅 <b>NVDA</b> Q4 FY2025 report is now expected <b>Thu Feb 27, 2025, after the close</b>")
        assert "was Wed Feb 26, 2025, after the close" in text
        assert "date from Nasdaq" in text
        assert len(session.exec(select(Delivery)).all()) == 2
        assert the_event(session).report_date == FEB_27


def test_a_less_trusted_vendor_that_disagrees_moves_nothing(db: Engine) -> None:
    with Session(db) as session:
        add_company(session)
        watching_chat(session, 42, "NVDA")
        for _ in range(3):  # both vendors answer every poll, in either order
            assert sync(session, calendar_row(day=FEB_26), calendar_row(day=FEB_27, source="finnhub")) == 0
            assert sync(session, calendar_row(day=FEB_27, source="finnhub"), calendar_row(day=FEB_26)) == 0
        assert sync(session, calendar_row(day=FEB_27, source="finnhub")) == 0  # Nasdaq down this time
        event = the_event(session)
        assert (event.report_date, event.date_source) == (FEB_26, "nasdaq")
        assert date_alerts(session) == []


def test_a_more_trusted_vendor_corrects_a_date_first_heard_elsewhere(db: Engine) -> None:
    with Session(db) as session:
        add_company(session)
        watching_chat(session, 42, "NVDA")
        sync(session, calendar_row(day=FEB_27, source="finnhub"))
        assert sync(session, calendar_row(day=FEB_26)) == 1
        assert "now expected <b>Wed Feb 26, 2025" in date_alerts(session)[0]
        assert sync(session, calendar_row(day=FEB_27, source="finnhub")) == 0
        assert the_event(session).report_date == FEB_26


def test_a_trusted_date_that_passed_without_a_report_yields_to_a_later_one(db: Engine) -> None:
    with Session(db) as session:
        add_company(session)
        watching_chat(session, 42, "NVDA")
        sync(session, calendar_row(day=FEB_26))
        after = NOW + timedelta(days=2)  # Feb 28: the 26th went by and nothing was reported
        assert sync(session, calendar_row(day=MAR_05, source="finnhub"), now=after) == 1
        assert the_event(session).report_date == MAR_05
        assert "now expected <b>Wed Mar 05, 2025" in date_alerts(session)[0]


def test_a_new_time_of_day_alerts_but_learning_an_unknown_one_does_not(db: Engine) -> None:
    with Session(db) as session:
        add_company(session)
        watching_chat(session, 42, "NVDA")
        sync(session, calendar_row(day=FEB_26, timing=Timing.UNKNOWN))
        assert sync(session, calendar_row(day=FEB_26, timing=Timing.AMC)) == 0
        assert sync(session, calendar_row(day=FEB_26, timing=Timing.UNKNOWN)) == 0  # "not supplied" keeps it
        assert the_event(session).timing == "amc"
        assert sync(session, calendar_row(day=FEB_26, timing=Timing.BMO)) == 1
        [text] = date_alerts(session)
        assert "now expected <b>Wed Feb 26, 2025, before the open</b>" in text
        assert "was Wed Feb 26, 2025, after the close" in text


def test_a_less_trusted_vendor_may_fill_in_an_unknown_time_of_day(db: Engine) -> None:
    with Session(db) as session:
        add_company(session)
        sync(session, calendar_row(day=FEB_26, timing=Timing.UNKNOWN))
        sync(session, calendar_row(day=FEB_26, timing=Timing.AMC, source="finnhub"))
        sync(session, calendar_row(day=FEB_26, timing=Timing.BMO, source="finnhub"))
        assert the_event(session).timing == "amc"
        assert date_alerts(session) == []


def test_a_date_that_moves_and_moves_back_within_one_sync_says_nothing(db: Engine) -> None:
    with Session(db) as session:
        add_company(session)
        watching_chat(session, 42, "NVDA")
        sync(session, calendar_row(day=FEB_26))
        assert sync(session, calendar_row(day=FEB_27), calendar_row(day=FEB_26)) == 0
        assert date_alerts(session) == []


def test_a_move_into_the_past_or_of_a_reported_event_is_not_announced(db: Engine) -> None:
    with Session(db) as session:
        add_company(session)
        watching_chat(session, 42, "NVDA")
        sync(session, calendar_row(day=FEB_27), now=NOW)
        assert sync(session, calendar_row(day=FEB_26 - timedelta(days=1)), now=NOW) == 0
        assert date_alerts(session) == []


def test_html_in_a_company_name_is_shown_as_text(db: Engine) -> None:
    with Session(db) as session:
        add_company(session, "AT", "AT&T <Wireless>", 732717)
        watching_chat(session, 42, "AT")
        sync(session, calendar_row("AT", day=FEB_26))
        sync(session, calendar_row("AT", day=FEB_27))
        [text] = date_alerts(session)
        assert "AT&amp;T &lt;Wireless&gt;" in text
        assert "<Wireless>" not in text
