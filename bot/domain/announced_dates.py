"""The date, time and call a date announcement gives ("to report ... after market close on ...").

    announced = read_announced_date(title + ". " + text, published, links)
    announced.report_date, announced.timing, announced.report_at, announced.call_at, announced.webcast_url

Each sentence is read in two parts: what comes before a mention of the call ("conference call",
"webcast") is about the release, what comes after is about the call. A date before the release
date of the announcement, or one that follows "ended" ("the quarter ended January 26, 2025"),
is not the report's; a date without a year is the next such day from the announcement on. Times
carry their zone (ET, "Eastern Time", PT, "Pacific time", CT, MT, GMT, Hong Kong / Beijing time);
a time without one is New York's. When only the call is dated, the report is that day, before
the open when the call is before 9:30 New York time, after the close when it is from 16:00 on.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from bot.domain.market_time import NEW_YORK, Timing

_I = re.IGNORECASE
_MONTHS = {name: number for number, name in enumerate(
    ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), 1)}
_MONTH = r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sept?(?:ember)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)"
_WEEKDAY = r"(?:(?:mon|tues?|wed(?:nes)?|thu(?:rs)?|fri|sat(?:ur)?|sun)(?:day)?\.?,?\s+)?"
_DATE = re.compile(
    rf"\b{_WEEKDAY}(?:(?P<month>{_MONTH})\.?\s+(?P<day>\d{{1,2}})(?:st|nd|rd|th)?\b(?:,?\s+(?P<year>20\d\d))?"
    rf"|(?P<day2>\d{{1,2}})\s+(?P<month2>{_MONTH})\.?,?\s+(?P<year2>20\d\d))",
    _I,
)
# A dateline ("Jan. 29, 2025 (GLOBE NEWSWIRE) --", "(BUSINESS WIRE)--Feb. 6, 2025--") is the day of
# the announcement itself, not of the report.
_DATELINE_AFTER = re.compile(
    r"\s*(?:\((?:globe newswire|business wire|accesswire|access newswire|newsfile corp\.?)\)|"
    r"/[a-z -]*(?:prnewswire|cnw)[a-z -]*/|--|\u2014|\u2013)", _I)
_DATELINE_BEFORE = re.compile(r"(?:--|\u2014|\u2013)\s*$")
_PAST = re.compile(r"\b(?:ended|ending|ends|as of|through|since|dated)\s*(?:on\s+)?$", _I)
_ZONES = (
    (r"(?:u\.?s\.?\s+)?eastern(?:\s+(?:standard|daylight))?(?:\s+time)?|e[sd]?t|e\.t\.", NEW_YORK),
    (r"pacific(?:\s+(?:standard|daylight))?(?:\s+time)?|p[sd]?t|p\.t\.", ZoneInfo("America/Los_Angeles")),
    (r"central(?:\s+(?:standard|daylight))?(?:\s+time)?|c[sd]?t|c\.t\.", ZoneInfo("America/Chicago")),
    (r"mountain(?:\s+(?:standard|daylight))?(?:\s+time)?|m[sd]?t|m\.t\.", ZoneInfo("America/Denver")),
    (r"hong\s+kong(?:\s+time)?|hkt|beijing(?:\s+time)?|china\s+standard\s+time", ZoneInfo("Asia/Shanghai")),
    (r"gmt|utc|greenwich\s+mean\s+time|london(?:\s+time)?", ZoneInfo("Europe/London")),
)
_ZONE = "|".join(f"(?P<z{i}>{pattern})" for i, (pattern, _zone) in enumerate(_ZONES))
_TIME = re.compile(
    rf"\b(?P<hour>\d{{1,2}})(?::(?P<minute>\d{{2}}))?\s*(?P<half>[ap]\.?\s?m\b\.?)?\s*(?:\(?\s*(?:{_ZONE})(?!\w))?"
    r"|\b(?P<noon>noon)\b",
    _I,
)
_CALL = re.compile(r"\b(?:conference call|earnings call|call|webcast|teleconference|conference|presentation)\b", _I)
_AMC = re.compile(
    r"\bafter\s+(?:the\s+)?(?:close\s+of\s+(?:the\s+)?)?(?:u\.?s\.?\s+)?(?:stock\s+)?(?:markets?|trading|the\s+bell)"
    r"(?:\s+(?:close[sd]?|closing|hours|session))?\b|\bafter\s+the\s+(?:market\s+)?close\b|\bfollowing\s+the\s+close\b",
    _I,
)
_BMO = re.compile(
    r"\b(?:before|prior\s+to|ahead\s+of)\s+(?:the\s+)?(?:u\.?s\.?\s+)?(?:stock\s+)?(?:markets?|trading|opening\s+bell)"
    r"(?:\s+(?:opens?|opening|session))?\b|\bbefore\s+the\s+(?:market\s+)?open\b|\bpre-?market\b",
    _I,
)
_SENTENCE = re.compile(r"(?<=[a-z0-9)][a-z0-9)][a-z0-9)][.!?])\s+(?=[A-Z\"“])")
_URL = re.compile(r"https?://[^\s<>\"')\]]+", _I)
_WEBCAST_LINK = re.compile(r"webcast|event|q4inc|edge\.media|onlinexperiences|choruscall|veracast|notified", _I)
_LISTEN = re.compile(r"\b(?:listen|webcast|access|replay)", _I)
_SAME_DAY = re.compile(r"\b(?:same day|that day|the same date)\b", _I)
OPEN, CLOSE = time(9, 30), time(16, 0)


@dataclass(frozen=True, slots=True)
class AnnouncedDate:
    """When a company says it will report, and its call; times are timezone-aware."""

    report_date: date
    timing: Timing = Timing.UNKNOWN
    report_at: datetime | None = None
    call_at: datetime | None = None
    webcast_url: str | None = None


@dataclass(frozen=True, slots=True)
class _Said:
    """What one part (release or call) of the text says: a date, a time, a time of day."""

    day: date | None = None
    at: tuple[int, int, ZoneInfo] | None = None
    timing: Timing = Timing.UNKNOWN


def read_announced_date(text: str, published: datetime, links: tuple[str, ...] = ()) -> AnnouncedDate | None:
    """Return the report date (and time, call, webcast) a date announcement gives, or None."""
    since = published.astimezone(NEW_YORK).date()
    release, call = _Said(), _Said()
    for sentence in _SENTENCE.split(" ".join(text.split())):
        split = _CALL.search(sentence)
        before, after = (sentence[: split.start()], sentence[split.start():]) if split else (sentence, "")
        release = _merge(release, _read(before, since))
        if after:
            said = _read(after, since)
            if said.day is None and _SAME_DAY.search(after) and release.day is not None:
                said = _Said(release.day, said.at, said.timing)
            call = _merge(call, said)
    report_date = release.day or call.day
    if report_date is None:
        return None
    report_at = _moment(report_date, release.at)
    call_at = _moment(call.day or report_date, call.at)
    timing = _timing(release.timing, report_at, call.timing, call_at)
    return AnnouncedDate(report_date, timing, report_at, call_at, _webcast(text, links))


def _merge(known: _Said, more: _Said) -> _Said:
    """Keep what was said first; fill in what was not said yet."""
    return _Said(known.day or more.day, known.at or more.at,
                 known.timing if known.timing is not Timing.UNKNOWN else more.timing)


def _read(part: str, since: date) -> _Said:
    if not part.strip():
        return _Said()
    timing = Timing.AMC if _AMC.search(part) else Timing.BMO if _BMO.search(part) else Timing.UNKNOWN
    return _Said(_day(part, since), _time(part), timing)


def _day(part: str, since: date) -> date | None:
    """Return the first date in part that is not in the past of `since` nor a period's end."""
    for match in _DATE.finditer(part):
        before = part[max(0, match.start() - 16): match.start()]
        if _PAST.search(before) or _DATELINE_BEFORE.search(before) or _DATELINE_AFTER.match(part, match.end()):
            continue
        day = _date_of(match, since)
        if day is not None and day >= since:
            return day
    return None


def _date_of(match: re.Match[str], since: date) -> date | None:
    month = _MONTHS[(match["month"] or match["month2"])[:3].lower()]
    day = int(match["day"] or match["day2"])
    year_text = match["year"] or match["year2"]
    try:
        if year_text:
            return date(int(year_text), month, day)
        found = date(since.year, month, day)
        return found if found >= since else date(since.year + 1, month, day)
    except ValueError:
        return None


def _time(part: str) -> tuple[int, int, ZoneInfo] | None:
    """Return the first time of day in part (hour, minute, zone); a bare number is not a time."""
    for match in _TIME.finditer(part):
        if match["noon"]:
            return 12, 0, NEW_YORK
        zone = next((z for i, (_p, z) in enumerate(_ZONES) if match[f"z{i}"]), None)
        if not match["half"] and not (match["minute"] and zone):
            continue
        hour, minute = int(match["hour"]), int(match["minute"] or 0)
        if match["half"]:
            if not 1 <= hour <= 12:
                continue
            hour = hour % 12 + (12 if match["half"].lower().startswith("p") else 0)
        if hour > 23 or minute > 59:
            continue
        return hour, minute, zone or NEW_YORK
    return None


def _moment(day: date, at: tuple[int, int, ZoneInfo] | None) -> datetime | None:
    if at is None:
        return None
    hour, minute, zone = at
    return datetime.combine(day, time(hour, minute), tzinfo=zone)


def _timing(said: Timing, report_at: datetime | None, call_said: Timing, call_at: datetime | None) -> Timing:
    if said is not Timing.UNKNOWN:
        return said
    if report_at is not None:
        return _timing_of(report_at, during=Timing.DMH)
    if call_said is not Timing.UNKNOWN:
        return call_said
    return _timing_of(call_at, during=Timing.UNKNOWN) if call_at is not None else Timing.UNKNOWN


def _timing_of(moment: datetime, *, during: Timing) -> Timing:
    """Before 9:30 New York time is before the open, from 16:00 after the close."""
    local = moment.astimezone(NEW_YORK).time()
    if local < OPEN:
        return Timing.BMO
    return Timing.AMC if local >= CLOSE else during


def _webcast(text: str, links: tuple[str, ...]) -> str | None:
    """Return the link a listener would follow: a URL in a sentence about the webcast or call,
    else a link of the release that looks like an event page."""
    for sentence in _SENTENCE.split(" ".join(text.split())):
        url = _URL.search(sentence)
        if url is not None and (_CALL.search(sentence) or _LISTEN.search(sentence)):
            return url.group(0).rstrip(".,;:")
    return next((link for link in links if _WEBCAST_LINK.search(link)), None)

