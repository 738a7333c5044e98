"""The /settings pages: a main page with one button per topic, a page per topic, a back button.

Pure: a page is its HTML text and its inline keyboard, made from what the chat has set. Every
button's callback data is one of the forms `parse_button` reads, at most 64 bytes (Telegram's
limit): `set:PAGE` opens a page, `opt:NAME` and `ann:KEY` switch, `band:BP|default`,
`min:BP`, `tz:ZONE` and `quiet:off|HH:MM-HH:MM` set a value.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from html import escape

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.domain.moments import describe_instant, zone_of
from bot.domain.reminder_times import parse_span
from bot.domain.thresholds import (
    BAND_CHOICES,
    MAX_BAND_BP,
    MAX_MIN_SURPRISE_BP,
    MIN_SURPRISE_CHOICES,
    percent_text,
)
from bot.domain.verdicts import InlineBand
from bot.domain.zones import resolve_zone
from bot.engine.preferences import (
    SWITCHES,
    ChatSettings,
    QuietSetting,
    announcement_kind,
    announcement_kinds,
)

MAX_CALLBACK_BYTES = 64
PAGES = ("main", "kinds", "remind", "band", "min", "tz", "quiet")
COMMON_ZONES = (
    ("New York", "America/New_York"), ("Chicago", "America/Chicago"), ("Los Angeles", "America/Los_Angeles"),
    ("London", "Europe/London"), ("Berlin", "Europe/Berlin"), ("Kolkata", "Asia/Kolkata"),
    ("Shanghai", "Asia/Shanghai"), ("Tokyo", "Asia/Tokyo"), ("UTC", "UTC"),
)
COMMON_QUIET = (("22:00", "07:00"), ("23:00", "07:00"), ("21:00", "08:00"))
BACK = InlineKeyboardButton("« Back", callback_data="set:main")
SWITCH_PAGE = {"reminders": "remind", "preview": "remind", "revisions": "kinds"}  # where each switch is shown


@dataclass(frozen=True)
class SettingsView:
    """What the pages show: the chat's settings, quiet hours and zone (in quiet), the default band, now."""

    settings: ChatSettings
    quiet: QuietSetting
    default_band: InlineBand
    now: datetime


@dataclass(frozen=True)
class Page:
    text: str
    keyboard: InlineKeyboardMarkup


# -- what a button asks for ---------------------------------------------------------------------

@dataclass(frozen=True)
class OpenPage:
    page: str


@dataclass(frozen=True)
class Toggle:
    key: str  # a SWITCHES name or an announcement kind's key
    is_switch: bool
    enabled: bool | None = None  # None (a button): the other way round; typed: what it says


@dataclass(frozen=True)
class SetBand:
    bp: int | None  # None: the default band


@dataclass(frozen=True)
class SetMinSurprise:
    bp: int


@dataclass(frozen=True)
class SetZone:
    zone: str


@dataclass(frozen=True)
class SetQuiet:
    span: tuple[str, str] | None


Action = OpenPage | Toggle | SetBand | SetMinSurprise | SetZone | SetQuiet


def parse_button(data: str) -> Action | None:
    """Read a button's callback data; None for anything this version does not offer (an old menu,
    or data no button of ours carries)."""
    prefix, _, value = data.partition(":")
    if prefix == "set":
        return OpenPage(value) if value in PAGES else None
    if prefix == "opt":
        return Toggle(value, is_switch=True) if value in SWITCHES else None
    if prefix == "ann":
        return Toggle(value, is_switch=False) if announcement_kind(value) is not None else None
    if prefix == "band":
        if value == "default":
            return SetBand(None)
        bp = _basis_points(value, MAX_BAND_BP)
        return SetBand(bp) if bp is not None else None
    if prefix == "min":
        bp = _basis_points(value, MAX_MIN_SURPRISE_BP)
        return SetMinSurprise(bp) if bp is not None else None
    if prefix == "tz":
        zone = resolve_zone(value).zone
        return SetZone(zone) if zone is not None and zone == value else None
    if prefix == "quiet":
        if value == "off":
            return SetQuiet(None)
        span = parse_span(value)
        return SetQuiet(span) if span is not None else None
    return None


def _basis_points(value: str, highest: int) -> int | None:
    if not value.isascii() or not value.isdigit() or len(value) > 5:
        return None
    bp = int(value)
    return bp if 0 <= bp <= highest else None


def page_of(action: Action) -> str:
    """Return the page that shows what the action changed."""
    if isinstance(action, OpenPage):
        return action.page
    if isinstance(action, Toggle):
        return SWITCH_PAGE.get(action.key, "remind") if action.is_switch else "kinds"
    return {SetBand: "band", SetMinSurprise: "min", SetZone: "tz", SetQuiet: "quiet"}[type(action)]


# -- the pages ----------------------------------------------------------------------------------

def render_page(name: str, view: SettingsView, *, note: str | None = None) -> Page:
    """Return the page by name, with the confirmation of a change above it (note, plain text)."""
    text, rows = _PAGES.get(name, _main)(view)
    if note:
        text = f"✅ {escape(note)}\n\n{text}"
    return Page(text, InlineKeyboardMarkup(rows))


def band_text(bp: int | None, default: InlineBand) -> str:
    """Return what a band means: '±2% for revenue, amounts and EPS' or the default's rule."""
    if bp is not None:
        return f"±{percent_text(bp)} for revenue, other amounts and EPS"
    eps = ("EPS exact to the cent" if default.per_share_percent == 0
           else f"EPS ±{default.per_share_percent.normalize():f}%")
    return f"default: ±{default.money_percent.normalize():f}% for revenue and other amounts, {eps}"


def min_surprise_text(bp: int) -> str:
    if bp <= 0:
        return "off: every result comes with a sound"
    return f"{percent_text(bp)}: results with every surprise under {percent_text(bp)} come without a sound"


def quiet_summary(quiet: QuietSetting) -> str:
    if quiet.start is None or quiet.end is None:
        return "off"
    return f"{quiet.start} to {quiet.end}" + (", results wait too" if quiet.everything else ", results still come")


def _mark(on: bool) -> str:
    return "✅" if on else "▫️"


def _main(view: SettingsView) -> tuple[str, list[list[InlineKeyboardButton]]]:
    s = view.settings
    kinds = announcement_kinds()
    chosen = sum(1 for k in kinds if k.key in s.announcements)
    lines = [
        "<b>Settings</b>",
        "✅ Results and report date changes: always on",
        f"📣 Alert kinds: estimate revisions {'on' if s.revisions else 'off'}, "
        f"{chosen} of {len(kinds)} other SEC filing kinds on",
        f"⏰ Reminders: {'on' if s.reminders else 'off'}; weekly preview: {'on' if s.preview else 'off'}",
        f"📏 In-line band: {escape(band_text(s.in_line_band_bp, view.default_band))}",
        f"🔕 Minimum surprise: {escape(min_surprise_text(s.min_surprise_bp))}",
        f"🕐 Time zone: {escape(view.quiet.zone)}",
        f"🌙 Quiet hours: {escape(quiet_summary(view.quiet))}",
        "",
        "Tap a topic to change it, or type e.g. <code>/settings band 1%</code>, "
        "<code>/settings min_surprise 2%</code>, <code>/settings insiders on</code>.",
    ]
    rows = [
        [_button("Alert kinds", "set:kinds"), _button("Reminders", "set:remind")],
        [_button("In-line band", "set:band"), _button("Minimum surprise", "set:min")],
        [_button("Time zone", "set:tz"), _button("Quiet hours", "set:quiet")],
    ]
    return "\n".join(lines), rows


def _kinds(view: SettingsView) -> tuple[str, list[list[InlineKeyboardButton]]]:
    s = view.settings
    lines = [
        "<b>Alert kinds</b>",
        "✅ Results: filing notice and beat / miss (always on)",
        "✅ Report date or time moved (always on)",
        f"{_mark(s.revisions)} {escape(SWITCHES['revisions'])}",
        "",
        "Other SEC filings (tap to switch):",
    ]
    lines += [f"{_mark(k.key in s.announcements)} {escape(k.title)}" for k in announcement_kinds()]
    lines += ["", "Or type e.g. <code>/settings insiders on</code>, <code>/settings all off</code>, "
              "<code>/settings revisions on</code>."]
    rows = [[_button(f"{_mark(s.revisions)} Revisions", "opt:revisions")]]
    rows += [[_button(f"{_mark(k.key in s.announcements)} {k.title}", f"ann:{k.key}")] for k in announcement_kinds()]
    return "\n".join(lines), [*rows, [BACK]]


def _remind(view: SettingsView) -> tuple[str, list[list[InlineKeyboardButton]]]:
    s = view.settings
    lines = ["<b>Reminders</b>"]
    lines += [f"{_mark(s.switch(name))} {escape(SWITCHES[name])}" for name in ("reminders", "preview")]
    lines += ["", "Or type <code>/settings reminders off</code>, <code>/settings preview off</code>."]
    rows = [[_button(f"{_mark(s.switch(name))} {name.capitalize()}", f"opt:{name}")] for name in ("reminders", "preview")]
    return "\n".join(lines), [*rows, [BACK]]


def _band(view: SettingsView) -> tuple[str, list[list[InlineKeyboardButton]]]:
    current = view.settings.in_line_band_bp
    lines = [
        "<b>In-line band</b>",
        "How close to the estimate counts as <i>in line</i> rather than a beat or a miss. Your band is "
        "used for revenue, other amounts and EPS, in this chat's alerts only; growth rates keep the default.",
        f"Now: <b>{escape(band_text(current, view.default_band))}</b>",
        "",
        f"Another value: <code>/settings band 1.5%</code> (0% to {percent_text(MAX_BAND_BP)}), "
        "<code>/settings band default</code>.",
    ]
    rows = [[_button(f"{_mark(current is None)} Default", "band:default")]]
    choices = [_button(f"{_mark(current == bp)} ±{percent_text(bp)}", f"band:{bp}") for bp in BAND_CHOICES]
    rows += [choices[i:i + 2] for i in range(0, len(choices), 2)]
    return "\n".join(lines), [*rows, [BACK]]


def _min(view: SettingsView) -> tuple[str, list[list[InlineKeyboardButton]]]:
    current = view.settings.min_surprise_bp
    lines = [
        "<b>Minimum surprise</b>",
        "A result whose every surprise (EPS and revenue against the consensus) is under this still "
        "comes, without a sound. A result with nothing to compare always comes with one.",
        f"Now: <b>{escape(min_surprise_text(current))}</b>",
        "",
        f"Another value: <code>/settings min_surprise 2.5%</code> (up to {percent_text(MAX_MIN_SURPRISE_BP)}), "
        "<code>/settings min_surprise off</code>.",
    ]
    choices = [_button(f"{_mark(current == 0)} Off", "min:0")]
    choices += [_button(f"{_mark(current == bp)} {percent_text(bp)}", f"min:{bp}") for bp in MIN_SURPRISE_CHOICES]
    rows = [choices[i:i + 3] for i in range(0, len(choices), 3)]
    return "\n".join(lines), [*rows, [BACK]]


def _tz(view: SettingsView) -> tuple[str, list[list[InlineKeyboardButton]]]:
    zone = view.quiet.zone
    lines = [
        "<b>Time zone</b>",
        f"This chat's time zone: <b>{escape(zone)}</b>. It is now "
        f"{escape(describe_instant(view.now, zone_of(zone)))}.",
        "Report times, reminders and quiet hours go by it.",
        "",
        "Tap one below, or type any city or zone: <code>/timezone Singapore</code>, "
        "<code>/timezone Europe/Paris</code>.",
    ]
    choices = [_button(f"{_mark(zone == name)} {label}", f"tz:{name}") for label, name in COMMON_ZONES]
    rows = [choices[i:i + 3] for i in range(0, len(choices), 3)]
    return "\n".join(lines), [*rows, [BACK]]


def _quiet(view: SettingsView) -> tuple[str, list[list[InlineKeyboardButton]]]:
    quiet = view.quiet
    lines = [
        "<b>Quiet hours</b>",
        f"Now: <b>{escape(quiet_summary(quiet))}</b> ({escape(quiet.zone)} time).",
        "During quiet hours only results reach you; everything else waits until they end.",
        "",
        "Other hours: <code>/quiet 22:30-06:30</code>; results held too: <code>/quiet 22:00-07:00 all</code>.",
    ]
    span = (quiet.start, quiet.end)
    choices = [_button(f"{_mark(quiet.start is None)} Off", "quiet:off")]
    choices += [_button(f"{_mark(span == (start, end))} {start}-{end}", f"quiet:{start}-{end}")
                for start, end in COMMON_QUIET]
    rows = [choices[i:i + 2] for i in range(0, len(choices), 2)]
    return "\n".join(lines), [*rows, [BACK]]


_PAGES = {"main": _main, "kinds": _kinds, "remind": _remind, "band": _band, "min": _min, "tz": _tz,
          "quiet": _quiet}


def _button(label: str, data: str) -> InlineKeyboardButton:
    if len(data.encode()) > MAX_CALLBACK_BYTES:
        raise ValueError(f"callback data over {MAX_CALLBACK_BYTES} bytes: {data!r}")
    return InlineKeyboardButton(label, callback_data=data)
