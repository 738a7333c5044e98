"""The /settings pages: every button any page can show carries callback data within Telegram's 64
bytes that reads back as what it offers; every page but the main one leads back; data no button of
ours carries reads as nothing."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from bot.domain.verdicts import InlineBand
from bot.engine.preferences import ChatSettings, QuietSetting, announcement_kinds
from bot.telegram.settings_pages import (
    MAX_CALLBACK_BYTES,
    PAGES,
    OpenPage,
    SetBand,
    SetMinSurprise,
    SetQuiet,
    SettingsView,
    SetZone,
    Toggle,
    band_text,
    page_of,
    parse_button,
    render_page,
)

NOW = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)
DEFAULT_BAND = InlineBand(Decimal("0.5"), Decimal("0.0"), Decimal("0.0"))
VIEWS = [
    SettingsView(ChatSettings(), QuietSetting(None, None, everything=False, zone="America/New_York"), DEFAULT_BAND,
                 NOW),
    SettingsView(ChatSettings(frozenset(k.key for k in announcement_kinds()), reminders=False, preview=False,
                              revisions=True, in_line_band_bp=500, min_surprise_bp=1000),
                 QuietSetting("22:00", "07:00", everything=True, zone="Asia/Tokyo"), DEFAULT_BAND, NOW),
    SettingsView(ChatSettings(in_line_band_bp=150, min_surprise_bp=250),  # values only typed, no button of theirs
                 QuietSetting("22:30", "06:30", everything=False, zone="America/Argentina/ComodRivadavia"),
                 DEFAULT_BAND, NOW),
]


def buttons(page: str, view: SettingsView) -> list[tuple[str, str]]:
    keyboard = render_page(page, view).keyboard.inline_keyboard
    return [(b.text, str(b.callback_data)) for row in keyboard for b in row]


@pytest.mark.parametrize("view", VIEWS)
@pytest.mark.parametrize("page", PAGES)
def test_every_button_fits_and_reads_back_as_what_it_offers(page: str, view: SettingsView) -> None:
    shown = buttons(page, view)
    assert shown
    for label, data in shown:
        assert len(data.encode()) <= MAX_CALLBACK_BYTES, data
        action = parse_button(data)
        assert action is not None, data
        assert page_of(action) in PAGES
        if label == "« Back":
            assert action == OpenPage("main")
    assert (("« Back", "set:main") in shown) is (page != "main")


def test_the_main_page_opens_every_other_page_and_says_each_value() -> None:
    view = VIEWS[1]
    opened = {parse_button(data) for _label, data in buttons("main", view)}
    assert opened == {OpenPage(page) for page in PAGES if page != "main"}
    text = render_page("main", view).text
    assert "In-line band: ±5% for revenue, other amounts and EPS" in text
    assert "Minimum surprise: 10%: results with every surprise under 10% come without a sound" in text
    assert "Time zone: Asia/Tokyo" in text and "Quiet hours: 22:00 to 07:00, results wait too" in text
    assert "estimate revisions on, 6 of 6 other SEC filing kinds on" in text


def test_each_page_marks_the_current_value_and_a_change_is_confirmed_above_it() -> None:
    view = VIEWS[1]
    assert ("✅ ±5%", "band:500") in buttons("band", view) and ("▫️ Default", "band:default") in buttons("band", view)
    assert ("✅ 10%", "min:1000") in buttons("min", view) and ("▫️ Off", "min:0") in buttons("min", view)
    assert ("✅ Tokyo", "tz:Asia/Tokyo") in buttons("tz", view)
    assert ("✅ 22:00-07:00", "quiet:22:00-07:00") in buttons("quiet", view)
    page = render_page("band", view, note="In-line band: ±5%")
    assert page.text.startswith("✅ In-line band: ±5%\n\n<b>In-line band</b>")
    assert "Now: <b>±5% for revenue, other amounts and EPS</b>" in page.text


def test_the_default_band_is_told_as_the_catalog_sets_it() -> None:
    assert band_text(None, DEFAULT_BAND) == "default: ±0.5% for revenue and other amounts, EPS exact to the cent"
    assert band_text(None, InlineBand(Decimal("1"), Decimal(0), Decimal("0.5"))).endswith("EPS ±0.5%")


def test_buttons_read_as_their_changes() -> None:
    assert parse_button("band:default") == SetBand(None)
    assert parse_button("band:200") == SetBand(200)
    assert parse_button("min:0") == SetMinSurprise(0)
    assert parse_button("tz:Europe/London") == SetZone("Europe/London")
    assert parse_button("quiet:off") == SetQuiet(None)
    assert parse_button("quiet:22:00-07:00") == SetQuiet(("22:00", "07:00"))
    assert parse_button("opt:reminders") == Toggle("reminders", is_switch=True)
    assert parse_button("ann:insiders") == Toggle("insiders", is_switch=False)


@pytest.mark.parametrize("data", [
    "", "set:", "set:nope", "band:", "band:abc", "band:1001", "band:-5", "band:１００", "min:5001", "min:1.5",
    "tz:Mars/Olympus", "tz:asia/tokyo", "tz:", "quiet:25:00-07:00", "quiet:on", "opt:rockets", "ann:nope",
    "from-an-older-version", "set:main:extra", "x" * 64,
])
def test_data_no_button_of_ours_carries_reads_as_nothing(data: str) -> None:
    assert parse_button(data) is None
