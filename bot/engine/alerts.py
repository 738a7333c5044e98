"""What the engine has to tell: alert data, rendered and queued by delivery behind `ports.Outbox`.

Each alert is the facts of one message (what it says) with its routing (which event, filing and
company it belongs to, and which chats hear it). The engine never formats Telegram HTML.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from bot.domain.figures import Expectation, Figure
from bot.domain.market_time import Timing
from bot.domain.moments import ReportMoment
from bot.domain.outlook import OutlookComparison
from bot.domain.reminder_times import ReminderKind
from bot.domain.track_record import Growth, Streak
from bot.domain.verdicts import Comparison, EventVerdict


@dataclass(frozen=True)
class Disputed:
    """A figure the release's sources state differently: shown with each value, judged on none."""

    metric: str
    values: tuple[tuple[Figure, str], ...]  # (the figure, the source as users know it), first first


@dataclass(frozen=True)
class ResultReport:
    """Everything a result alert says, gathered by the engine."""

    ticker: str
    company_name: str
    period_label: str
    timing: Timing
    verdict: EventVerdict
    headline: list[Comparison]
    others: list[Comparison]
    reported: list[Figure]
    uncompared: list[Figure] = field(default_factory=list)
    source_url: str | None = None
    source_label: str | None = None
    reported_at: datetime | None = None
    revision: int = 1
    more_links: tuple[tuple[str, str], ...] = ()  # (url, label) after source_url's
    disputed: list[Disputed] = field(default_factory=list)
    growth: list[Growth] = field(default_factory=list)  # year over year, revenue and EPS
    streak: Streak | None = None  # "4th straight EPS beat"
    outlook: list[OutlookComparison] = field(default_factory=list)  # the guidance the report gave
    computed: tuple[str, ...] = ()  # metrics the release did not state, computed from a year earlier


@dataclass(frozen=True)
class FilingNotice:
    """A "just filed" notice: the figures follow when known."""

    ticker: str
    company_name: str
    form: str
    items: tuple[str, ...]
    accepted_at: datetime
    url: str
    is_results: bool
    item_titles: tuple[str, ...] = ()


@dataclass(frozen=True)
class DateChangeNotice:
    """What a date-change alert says: the report's new day and time of day, and the old ones."""

    ticker: str
    company_name: str
    period_label: str
    old_date: date | None
    old_timing: Timing
    new_date: date
    new_timing: Timing
    source: str


@dataclass(frozen=True)
class RevisionNotice:
    """What a revision alert says: a watched report's consensus moved, from which value to which."""

    ticker: str
    company_name: str
    period_label: str
    report_date: date
    timing: Timing
    figure: Figure  # the new consensus
    old_value: Decimal
    source: str
    estimates: int | None


@dataclass(frozen=True)
class OwnNumbers:
    """The chats (of a result's audience) that set the same own numbers, and those numbers against
    the reported figures: one more expectation each, never part of the headline verdict.

    With `report`, these chats also read the result with their own in-line band (/settings band):
    every verdict of it as that band judges (the numbers may then be none)."""

    chat_pks: tuple[int, ...]
    comparisons: tuple[Comparison, ...]
    report: ResultReport | None = None  # None: the result as every other chat reads it


@dataclass(frozen=True)
class ResultAlert:
    """A report's figures against every expectation; a later one for the same event revises it.

    `own` holds the chats with own numbers or an own in-line band: each group reads its own text."""

    report: ResultReport
    event_id: int
    company_id: int
    filing_id: int | None
    audience: tuple[int, ...]
    own: tuple[OwnNumbers, ...] = ()
    silent: tuple[int, ...] = ()  # chats for which it is under their minimum surprise: sent without a sound


@dataclass(frozen=True)
class FilingAlert:
    """A filing was just accepted: results ("figures follow") or an announcement."""

    notice: FilingNotice
    accession: str
    company_id: int | None
    filing_id: int | None
    event_id: int | None
    audience: tuple[int, ...]


@dataclass(frozen=True)
class DateChangeAlert:
    """A watched report moved to another day or time of day."""

    notice: DateChangeNotice
    event_id: int
    company_id: int
    audience: tuple[int, ...]


@dataclass(frozen=True)
class RevisionAlert:
    """A watched report's consensus EPS or revenue moved; at most one per metric and day."""

    notice: RevisionNotice
    event_id: int
    company_id: int
    day: date  # the exchange's date the move was seen on
    audience: tuple[int, ...]


@dataclass(frozen=True)
class BroadcastAlert:
    """An administrator's message to every active chat."""

    text: str
    admin_chat_id: int


@dataclass(frozen=True)
class UpcomingReport:
    """A watched report still to come: what a reminder or the weekly preview says of it."""

    ticker: str
    company_name: str
    period_label: str
    report: ReportMoment
    consensus: tuple[Expectation, ...]  # the latest stored expectation per headline metric


@dataclass(frozen=True)
class ReminderAlert:
    """A Tomorrow or Today reminder of one report, for one chat, read in the chat's zone."""

    kind: ReminderKind
    upcoming: UpcomingReport
    report_day: date  # the report's date in the chat's zone: a moved report is reminded again
    zone: str
    chat_pk: int
    event_id: int
    company_id: int
    expires_at: datetime  # the report's moment: never sent after it


@dataclass(frozen=True)
class PreviewAlert:
    """A chat's weekly preview: its watched reports from Monday to Sunday of the coming local week."""

    week_start: date  # the Monday
    upcoming: tuple[UpcomingReport, ...]
    zone: str
    chat_pk: int


AlertData = (
    ResultAlert | FilingAlert | DateChangeAlert | RevisionAlert | BroadcastAlert | ReminderAlert
    | PreviewAlert
)
