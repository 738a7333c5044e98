"""A date announcement gives the report's date, time of day, exact time when stated, and the call."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from bot.domain.announced_dates import AnnouncedDate, read_announced_date
from bot.domain.market_time import Timing

NY = ZoneInfo("America/New_York")
LA = ZoneInfo("America/Los_Angeles")
PUBLISHED = datetime(2025, 2, 1, 13, 0, tzinfo=UTC)


def read(text: str, published: datetime = PUBLISHED, links: tuple[str, ...] = ()) -> AnnouncedDate | None:
    return read_announced_date(text, published, links)


def test_nvidia_sets_a_call_the_report_is_that_day_after_the_close() -> None:
    text = ("NVIDIA Sets Conference Call for Fourth-Quarter Financial Results. SANTA CLARA, Calif., Jan. 29, 2025 "
            "(GLOBE NEWSWIRE) -- NVIDIA will host a conference call on Wednesday, February 26, at 2 p.m. PT "
            "(5 p.m. ET) to discuss its financial results for the fourth quarter and fiscal year 2025, which ended "
            "January 26, 2025. The call will be webcast live (in listen-only mode) on investor.nvidia.com.")
    found = read(text, datetime(2025, 1, 29, 21, 15, tzinfo=UTC),
                 ("https://investor.nvidia.com/events-and-presentations/default.aspx",))
    assert found == AnnouncedDate(
        report_date=date(2025, 2, 26), timing=Timing.AMC, report_at=None,
        call_at=datetime(2025, 2, 26, 14, 0, tzinfo=LA),
        webcast_url="https://investor.nvidia.com/events-and-presentations/default.aspx",
    )
    assert found.call_at is not None and found.call_at.astimezone(NY).hour == 17


def test_alibaba_reports_before_the_us_open_call_the_same_day_in_eastern_time() -> None:
    text = ("HANGZHOU, China, Jan. 23, 2025 /PRNewswire/ -- Alibaba Group Holding Limited (NYSE: BABA and HKEX: "
            "9988 (HKD Counter) and 89988 (RMB Counter)) today announced that it will release its December quarter "
            "2024 results before the U.S. market opens on Thursday, February 20, 2025. Alibaba Group's management "
            "will hold an earnings conference call at 7:30 a.m. U.S. Eastern Time (8:30 p.m. Hong Kong Time) on the "
            "same day. A live webcast of the earnings call can be accessed at "
            "https://www.alibabagroup.com/en-US/ir-financial-reports-quarterly-results.")
    found = read(text, datetime(2025, 1, 23, 9, 0, tzinfo=UTC))
    assert found == AnnouncedDate(
        report_date=date(2025, 2, 20), timing=Timing.BMO, report_at=None,
        call_at=datetime(2025, 2, 20, 7, 30, tzinfo=NY),
        webcast_url="https://www.alibabagroup.com/en-US/ir-financial-reports-quarterly-results",
    )


def test_an_exact_release_time_and_a_call_in_pacific_time() -> None:
    found = read("Acme will report results at 4:20 p.m. ET on Wednesday, February 26, 2025, followed by a "
                 "conference call at 2:00 p.m. Pacific time.")
    assert found is not None
    assert found.report_at == datetime(2025, 2, 26, 16, 20, tzinfo=NY)
    assert found.timing is Timing.AMC
    assert found.call_at == datetime(2025, 2, 26, 14, 0, tzinfo=LA)


def test_after_market_close_on_a_day_and_a_call_on_the_next_sentence() -> None:
    found = read("Acme Inc. will release its fourth quarter results after market close on Wednesday, February 26, "
                 "2025. The company will host a conference call at 4:30 p.m. Eastern Time that day.")
    assert found is not None
    assert (found.report_date, found.timing, found.report_at) == (date(2025, 2, 26), Timing.AMC, None)
    assert found.call_at == datetime(2025, 2, 26, 16, 30, tzinfo=NY)


def test_a_date_in_the_title_only() -> None:
    found = read("Acme to Report Fourth Quarter 2024 Results on February 26, 2025")
    assert found == AnnouncedDate(report_date=date(2025, 2, 26))


def test_a_day_without_a_year_is_the_next_one() -> None:
    found = read("Acme will release results before the market opens on January 14.",
                 datetime(2024, 12, 20, 13, 0, tzinfo=UTC))
    assert found is not None and found.report_date == date(2025, 1, 14)
    assert found.timing is Timing.BMO


def test_a_morning_call_means_a_report_before_the_open() -> None:
    found = read("Acme will host a conference call on March 4, 2025 at 8:30 a.m. ET to discuss results. "
                 "A webcast will be available at https://events.q4inc.com/attendee/123456789.")
    assert found is not None
    assert (found.report_date, found.timing) == (date(2025, 3, 4), Timing.BMO)
    assert found.webcast_url == "https://events.q4inc.com/attendee/123456789"


def test_a_midday_call_leaves_the_time_of_day_unknown() -> None:
    found = read("Acme will host a conference call on March 4, 2025 at 11:00 a.m. ET to discuss results.")
    assert found is not None and found.timing is Timing.UNKNOWN


@pytest.mark.parametrize(("phrase", "timing"), [
    ("after the close of the U.S. stock market", Timing.AMC), ("after the market closes", Timing.AMC),
    ("after the bell", Timing.AMC), ("prior to the market open", Timing.BMO),
    ("before the opening bell", Timing.BMO), ("before the U.S. stock market opens", Timing.BMO),
])
def test_phrases_for_the_time_of_day(phrase: str, timing: Timing) -> None:
    found = read(f"Acme will release its first quarter results {phrase} on April 24, 2025.")
    assert found is not None and found.timing is timing


@pytest.mark.parametrize(("text", "expected"), [
    ("at 16:30 ET", datetime(2025, 3, 12, 16, 30, tzinfo=NY)),
    ("at 4:05 PM EST", datetime(2025, 3, 12, 16, 5, tzinfo=NY)),
    ("at 1:30 p.m. Central Time", datetime(2025, 3, 12, 13, 30, tzinfo=ZoneInfo("America/Chicago"))),
    ("at 6:00 a.m. MT", datetime(2025, 3, 12, 6, 0, tzinfo=ZoneInfo("America/Denver"))),
    ("at 12:00 GMT", datetime(2025, 3, 12, 12, 0, tzinfo=ZoneInfo("Europe/London"))),
    ("at 4 p.m.", datetime(2025, 3, 12, 16, 0, tzinfo=NY)),  # no zone: New York's
])
def test_times_and_zones(text: str, expected: datetime) -> None:
    found = read(f"NEW YORK--(BUSINESS WIRE)--Feb. 1, 2025-- Acme plans to report on 12 March 2025 {text}.")
    assert found is not None and found.report_at == expected
    assert found.report_at.tzinfo is not None


def test_the_dateline_and_period_ends_are_not_report_dates() -> None:
    text = ("REDMOND, Wash. — February 1, 2025 — Acme will announce results for the quarter ended January 26, 2025 "
            "on February 26, 2025.")
    found = read(text)
    assert found is not None and found.report_date == date(2025, 2, 26)


@pytest.mark.parametrize("text", [
    "Acme to Host Conference Call", "", "Acme reported revenue of $4.2 billion for the quarter ended January 26, 2025.",
    "Acme will report on February 31, 2025.",
])
def test_no_date_no_announcement(text: str) -> None:
    assert read(text) is None
