"""SQLModel tables: the bot's whole state. Migrations (alembic/) are the only thing that creates them.

Every stage writes here before the next reads, so a crash resumes from the tables, never memory.
Enumerations are stored as short strings (no database ENUM types to migrate).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import TYPE_CHECKING, ClassVar, Protocol

from sqlalchemy import BigInteger, Column, ForeignKey, Index, Integer, Table, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from bot.domain.figures import Basis, Expectation, Figure, Reported, Unit
from bot.domain.market_time import utc_now
from bot.store.types import DecimalText, UtcDateTime


def _fk(target: str, *, nullable: bool = False, index: bool = True) -> Column[int]:
    return Column(
        Integer, ForeignKey(target, ondelete="CASCADE"), nullable=nullable, index=index
    )


def _timestamp(*, nullable: bool = False, index: bool = False) -> Column[datetime]:
    return Column(UtcDateTime(), nullable=nullable, index=index)


class _Table(SQLModel):
    """The base of every table model; tells type checkers that the class has its mapped Table."""

    if TYPE_CHECKING:
        __table__: ClassVar[Table]


class _HasId(Protocol):
    id: int | None


def saved_id(row: _HasId) -> int:
    """Return the primary key of a stored row (one read from, or added and flushed to, the database)."""
    if row.id is None:
        raise ValueError(f"{type(row).__name__} has no id yet: add and flush it first")
    return row.id


class FilerKind(StrEnum):
    DOMESTIC = "domestic"  # files 8-K
    FOREIGN = "foreign"  # files 6-K


class Company(_Table, table=True):
    """A listed company; ticker normalised (BRK.B = BRK-B = BRK/B)."""

    __tablename__ = "company"

    id: int | None = Field(default=None, primary_key=True)
    ticker: str = Field(max_length=16, unique=True, index=True)
    name: str = Field(max_length=200)
    cik: int | None = Field(default=None, index=True)
    exchange: str | None = Field(default=None, max_length=32)
    currency: str = Field(default="USD", max_length=3)
    filer_kind: str = Field(default=FilerKind.DOMESTIC, max_length=16)
    fiscal_year_end_month: int | None = None
    updated_at: datetime = Field(default_factory=utc_now, sa_column=_timestamp())


class EventState(StrEnum):
    SCHEDULED = "scheduled"
    REPORTED = "reported"
    CANCELLED = "cancelled"


class DateStatus(StrEnum):
    CONFIRMED = "confirmed"
    ESTIMATED = "estimated"


class EarningsEvent(_Table, table=True):
    """One company's report for one fiscal quarter (key: the quarter's end month, '2025-01')."""

    __tablename__ = "earnings_event"
    __table_args__ = (UniqueConstraint("company_id", "fiscal_period"),)

    id: int | None = Field(default=None, primary_key=True)
    company_id: int = Field(sa_column=_fk("company.id"))
    fiscal_period: str = Field(max_length=16)
    fiscal_year: int | None = None
    fiscal_quarter: int | None = None
    period_label: str = Field(max_length=40)
    report_date: date | None = Field(default=None, index=True)
    timing: str = Field(default="unknown", max_length=8)
    date_status: str = Field(default=DateStatus.ESTIMATED, max_length=12)
    # The calendar source whose date and timing the event shows; a less trusted source can't move them.
    date_source: str = Field(default="", max_length=32)
    # The exact moment of the report when a source gives one (a date announcement, an IR event feed).
    report_time: datetime | None = Field(default=None, sa_column=_timestamp(nullable=True))
    state: str = Field(default=EventState.SCHEDULED, max_length=12, index=True)
    reported_at: datetime | None = Field(default=None, sa_column=_timestamp(nullable=True))
    updated_at: datetime = Field(default_factory=utc_now, sa_column=_timestamp())


class EventDate(_Table, table=True):
    """What one source says of an event's date: its status (confirmed or estimated) as of when."""

    __tablename__ = "event_date"
    __table_args__ = (UniqueConstraint("event_id", "source"),)

    id: int | None = Field(default=None, primary_key=True)
    event_id: int = Field(sa_column=_fk("earnings_event.id", index=False))
    source: str = Field(max_length=32)
    report_date: date
    timing: str = Field(default="unknown", max_length=8)
    date_status: str = Field(default=DateStatus.ESTIMATED, max_length=12)
    report_time: datetime | None = Field(default=None, sa_column=_timestamp(nullable=True))
    as_of: datetime = Field(sa_column=_timestamp())


class ExpectationRow(_Table, table=True):
    """One expected value. History is kept: a changed value is a new row with a later as_of."""

    __tablename__ = "expectation"
    __table_args__ = (Index("ix_expectation_event_metric", "event_id", "metric"),)

    id: int | None = Field(default=None, primary_key=True)
    event_id: int = Field(sa_column=_fk("earnings_event.id", index=False))
    metric: str = Field(max_length=64)
    basis: str = Field(max_length=12)
    unit: str = Field(max_length=12)
    currency: str | None = Field(default=None, max_length=3)
    value: Decimal = Field(sa_column=Column(DecimalText(), nullable=False))
    source: str = Field(max_length=64)
    estimates: int | None = None
    as_of: datetime = Field(sa_column=_timestamp())
    frozen_at: datetime | None = Field(default=None, sa_column=_timestamp(nullable=True))

    def to_domain(self) -> Expectation:
        figure = Figure(self.metric, Basis(self.basis), Unit(self.unit), self.currency, self.value)
        return Expectation(figure, self.source, self.as_of, self.estimates)


class ReportedFigure(_Table, table=True):
    """One reported value; a revision updates it and bumps `revision`.

    A release may state one figure in two currencies (Alibaba: RMB and a US$ translation), so the
    unit and currency are part of the key.
    """

    __tablename__ = "reported_figure"
    __table_args__ = (UniqueConstraint("event_id", "metric", "basis", "unit", "currency", "source"),)

    id: int | None = Field(default=None, primary_key=True)
    event_id: int = Field(sa_column=_fk("earnings_event.id", index=False))
    metric: str = Field(max_length=64)
    basis: str = Field(max_length=12)
    unit: str = Field(max_length=12)
    currency: str | None = Field(default=None, max_length=3)
    value: Decimal = Field(sa_column=Column(DecimalText(), nullable=False))
    source: str = Field(max_length=64)
    reported_at: datetime = Field(sa_column=_timestamp())
    accession: str | None = Field(default=None, max_length=25)
    revision: int = 1
    previous_value: Decimal | None = Field(
        default=None, sa_column=Column(DecimalText(), nullable=True)
    )

    def to_domain(self) -> Reported:
        figure = Figure(self.metric, Basis(self.basis), Unit(self.unit), self.currency, self.value)
        return Reported(figure, self.source, self.reported_at)


class FilingKind(StrEnum):
    EARNINGS_RELEASE = "earnings_release"
    ANNOUNCEMENT = "announcement"
    OTHER = "other"


class FilingState(StrEnum):
    SEEN = "seen"  # detected; the "just filed" alert is written
    DONE = "done"  # figures extracted (or known to be absent)
    FAILED = "failed"  # gave up after repeated errors; kept for /status


class Filing(_Table, table=True):
    """An SEC filing seen, keyed by accession: one filing, one alert."""

    __tablename__ = "filing"

    id: int | None = Field(default=None, primary_key=True)
    accession: str = Field(max_length=25, unique=True, index=True)
    company_id: int | None = Field(default=None, sa_column=_fk("company.id", nullable=True))
    cik: int = Field(index=True)
    form: str = Field(max_length=16)
    items: str = Field(default="", max_length=120)
    accepted_at: datetime = Field(sa_column=_timestamp())
    url: str = Field(max_length=300)
    kind: str = Field(default=FilingKind.OTHER, max_length=20)
    state: str = Field(default=FilingState.SEEN, max_length=12, index=True)
    attempts: int = 0
    last_error: str | None = Field(default=None, max_length=500)
    seen_at: datetime = Field(default_factory=utc_now, sa_column=_timestamp())


class ChatStatus(StrEnum):
    ACTIVE = "active"
    STOPPED = "stopped"  # the user sent /stop
    BLOCKED = "blocked"  # 403 / chat not found / lost rights


class Chat(_Table, table=True):
    """A Telegram chat that talks to the bot. chat_id is 64-bit."""

    __tablename__ = "chat"

    id: int | None = Field(default=None, primary_key=True)
    chat_id: int = Field(sa_column=Column(BigInteger, unique=True, index=True, nullable=False))
    kind: str = Field(default="private", max_length=16)
    title: str | None = Field(default=None, max_length=200)
    timezone: str = Field(default="America/New_York", max_length=64)
    status: str = Field(default=ChatStatus.ACTIVE, max_length=12, index=True)
    announcement_kinds: str = Field(default="", max_length=200)  # comma-separated AnnouncementKind keys
    reminders: bool = True  # Tomorrow and Today reminders before each watched report
    preview: bool = True  # the weekly preview, Sunday 18:00 local
    revisions: bool = False  # an alert when a watched report's consensus moves (opt-in)
    quiet_start: str | None = Field(default=None, max_length=5)  # "22:00" local; None: no quiet hours
    quiet_end: str | None = Field(default=None, max_length=5)  # "07:00" local
    quiet_all: bool = False  # results wait out quiet hours too
    # The chat's own in-line band in basis points (150: ±1.5% for revenue and EPS); None: the catalog's.
    in_line_band_bp: int | None = None
    # Results whose every headline surprise is under this (basis points) come without a sound; 0: off.
    min_surprise_bp: int = 0
    created_at: datetime = Field(default_factory=utc_now, sa_column=_timestamp())
    updated_at: datetime = Field(default_factory=utc_now, sa_column=_timestamp())


class Watch(_Table, table=True):
    """Chat X watches company Y."""

    __tablename__ = "watch"
    __table_args__ = (UniqueConstraint("chat_pk", "company_id"),)

    id: int | None = Field(default=None, primary_key=True)
    chat_pk: int = Field(sa_column=_fk("chat.id", index=False))
    company_id: int = Field(sa_column=_fk("company.id"))
    created_at: datetime = Field(default_factory=utc_now, sa_column=_timestamp())


class AlertKind(StrEnum):
    RESULT = "result"
    FILING = "filing"
    ANNOUNCEMENT = "announcement"
    CORRECTION = "correction"
    DATE_CHANGE = "date_change"
    REVISION = "revision"  # a watched report's consensus moved
    REMINDER = "reminder"
    DIGEST = "digest"
    BROADCAST = "broadcast"


# Lower drains first: results are worth the most in the first minute.
ALERT_PRIORITY = {
    AlertKind.RESULT: 0,
    AlertKind.CORRECTION: 0,
    AlertKind.FILING: 1,
    AlertKind.ANNOUNCEMENT: 2,
    AlertKind.DATE_CHANGE: 3,
    AlertKind.REVISION: 3,
    AlertKind.BROADCAST: 3,
    AlertKind.REMINDER: 4,
    AlertKind.DIGEST: 5,
}


class Alert(_Table, table=True):
    """One thing worth telling, rendered once; dedup_key makes it happen once."""

    __tablename__ = "alert"

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=16)
    dedup_key: str = Field(max_length=160, unique=True, index=True)
    company_id: int | None = Field(default=None, sa_column=_fk("company.id", nullable=True))
    event_id: int | None = Field(default=None, sa_column=_fk("earnings_event.id", nullable=True))
    filing_id: int | None = Field(default=None, sa_column=_fk("filing.id", nullable=True))
    # A correction names the alert it revises: its sent messages are edited in place.
    replaces_alert_id: int | None = Field(
        default=None, sa_column=_fk("alert.id", nullable=True, index=False)
    )
    priority: int = 5
    text: str = Field(sa_column=Column(Text, nullable=False))
    # Past this moment the alert is worth nothing (a reminder after its report): never sent then.
    expires_at: datetime | None = Field(default=None, sa_column=_timestamp(nullable=True))
    created_at: datetime = Field(default_factory=utc_now, sa_column=_timestamp())


class DeliveryStatus(StrEnum):
    PENDING = "pending"
    SENDING = "sending"  # request may be on the wire: retried at most once after a crash
    SENT = "sent"
    FAILED = "failed"
    CANCELLED = "cancelled"


class Delivery(_Table, table=True):
    """Alert A for chat C: the outbox row."""

    __tablename__ = "delivery"
    __table_args__ = (
        UniqueConstraint("alert_id", "chat_pk"),
        Index("ix_delivery_due", "status", "priority", "next_attempt_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    alert_id: int = Field(sa_column=_fk("alert.id", index=False))
    chat_pk: int = Field(sa_column=_fk("chat.id"))
    status: str = Field(default=DeliveryStatus.PENDING, max_length=12)
    priority: int = 5
    attempts: int = 0
    next_attempt_at: datetime = Field(default_factory=utc_now, sa_column=_timestamp())
    message_id: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    message_parts: int = 1  # a long message went out split; message_id is its first part
    # This chat's own rendering when it differs from the alert's (its time zone, its own numbers).
    text: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    sent_at: datetime | None = Field(default=None, sa_column=_timestamp(nullable=True))
    edited_at: datetime | None = Field(default=None, sa_column=_timestamp(nullable=True))
    in_doubt: bool = False  # was on the wire when a process died: never retried after a second crash
    silent: bool = False  # sent with disable_notification (a result under the chat's minimum surprise)
    last_error: str | None = Field(default=None, max_length=500)


class FloodWait(_Table, table=True):
    """One 429 from Telegram: every send paused for retry_after seconds."""

    __tablename__ = "flood_wait"

    id: int | None = Field(default=None, primary_key=True)
    occurred_at: datetime = Field(sa_column=_timestamp(index=True))
    retry_after: float
    method: str = Field(default="sendMessage", max_length=32)


class SourceState(_Table, table=True):
    """Per source: cursor, last success, last error, backoff."""

    __tablename__ = "source_state"

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=64, unique=True, index=True)
    cursor: str | None = Field(default=None, max_length=200)
    last_success_at: datetime | None = Field(default=None, sa_column=_timestamp(nullable=True))
    last_error: str | None = Field(default=None, max_length=500)
    last_error_at: datetime | None = Field(default=None, sa_column=_timestamp(nullable=True))
    backoff_until: datetime | None = Field(default=None, sa_column=_timestamp(nullable=True))
    failures: int = 0


class SourceArrival(_Table, table=True):
    """When one source first showed an event's result: the race between wires, IR feeds, EDGAR and
    calendars, kept for /status (docs/decisions/011)."""

    __tablename__ = "source_arrival"
    __table_args__ = (UniqueConstraint("event_id", "source"),)

    id: int | None = Field(default=None, primary_key=True)
    event_id: int = Field(sa_column=_fk("earnings_event.id", index=False))
    source: str = Field(max_length=64)  # as users know it: "GlobeNewswire", "SEC EDGAR", "Nasdaq"
    url: str | None = Field(default=None, max_length=500)  # the release page, when the source has one
    published_at: datetime | None = Field(default=None, sa_column=_timestamp(nullable=True))
    seen_at: datetime = Field(sa_column=_timestamp(index=True))  # when the bot first saw it
    lag_seconds: float = 0.0  # behind the first source of the event (0 for the first)
    agrees: bool | None = None  # its figures equal the first source's on every shared metric; None: nothing shared


class FeedItemSeen(_Table, table=True):
    """A newswire or IR feed item already looked at (by a digest of its feed and guid)."""

    __tablename__ = "feed_item_seen"

    id: int | None = Field(default=None, primary_key=True)
    digest: str = Field(max_length=64, unique=True, index=True)
    feed: str = Field(max_length=64, index=True)  # the feed's source_state key
    seen_at: datetime = Field(sa_column=_timestamp())


class ResultHistory(_Table, table=True):
    """One past quarter's reported figure, and what the source expected of it when it says: the
    record that year-over-year growth and beat streaks are read from.

    Seeded from XBRL companyfacts (actuals) and the providers' past surprises (actual against
    estimate) when a company is first watched, and written by the bot for every result it judges
    (source "bot"). fiscal_period is the quarter's end-month key, as EarningsEvent's.
    """

    __tablename__ = "result_history"
    __table_args__ = (
        UniqueConstraint("company_id", "fiscal_period", "metric", "basis", "unit", "currency", "source"),
    )

    id: int | None = Field(default=None, primary_key=True)
    company_id: int = Field(sa_column=_fk("company.id"))
    fiscal_period: str = Field(max_length=16)
    metric: str = Field(max_length=64)
    basis: str = Field(max_length=12)
    unit: str = Field(max_length=12)
    currency: str | None = Field(default=None, max_length=3)
    actual: Decimal = Field(sa_column=Column(DecimalText(), nullable=False))
    estimate: Decimal | None = Field(default=None, sa_column=Column(DecimalText(), nullable=True))
    source: str = Field(max_length=32)
    recorded_at: datetime = Field(sa_column=_timestamp())

    def actual_figure(self) -> Figure:
        return Figure(self.metric, Basis(self.basis), Unit(self.unit), self.currency, self.actual)


class GuidanceStatement(_Table, table=True):
    """What a company guided for a coming period in one report ("revenue is expected to be $43.0
    billion, plus or minus 2%"; "capital expenditures of approximately $105 billion in 2025"): kept
    as guidance for that period, never as the reporting quarter's actual.

    span is quarter, year or years; period is the quarter's end-month key ("2025-04"), "FY2025" for
    a year, or empty when the statement names no single period ("over the next three years").
    """

    __tablename__ = "guidance_statement"
    __table_args__ = (UniqueConstraint("event_id", "metric", "span", "period", "source"),)

    id: int | None = Field(default=None, primary_key=True)
    company_id: int = Field(sa_column=_fk("company.id"))
    event_id: int = Field(sa_column=_fk("earnings_event.id"))  # the report that stated it
    metric: str = Field(max_length=64)
    span: str = Field(max_length=12)
    period: str = Field(default="", max_length=16)
    period_label: str = Field(max_length=40)  # as users read it: "Q1 FY2026", "2025", "the next three years"
    basis: str = Field(max_length=12)
    unit: str = Field(max_length=12)
    currency: str | None = Field(default=None, max_length=3)
    value: Decimal = Field(sa_column=Column(DecimalText(), nullable=False))  # a range's midpoint
    low: Decimal | None = Field(default=None, sa_column=Column(DecimalText(), nullable=True))
    high: Decimal | None = Field(default=None, sa_column=Column(DecimalText(), nullable=True))
    source: str = Field(max_length=64)
    stated_at: datetime = Field(sa_column=_timestamp())

    def figure(self) -> Figure:
        return Figure(self.metric, Basis(self.basis), Unit(self.unit), self.currency, self.value)


class HistorySeed(_Table, table=True):
    """A company whose past results were read once (when it got its first watcher); `outcome`
    says what each source gave, for the log and /status."""

    __tablename__ = "history_seed"

    id: int | None = Field(default=None, primary_key=True)
    company_id: int = Field(sa_column=Column(Integer, ForeignKey("company.id", ondelete="CASCADE"), unique=True,
                                             nullable=False))
    seeded_at: datetime = Field(sa_column=_timestamp())
    outcome: str = Field(default="", max_length=200)


class SendBudget(_Table, table=True):
    """The send rate shared by every process on one PostgreSQL database: the moment the next
    send slot starts (bot.delivery.budget hands slots out from here)."""

    __tablename__ = "send_budget"

    name: str = Field(primary_key=True, max_length=32)  # "telegram"
    next_slot_at: datetime = Field(sa_column=_timestamp())
