"""What a user may type to name a chat's zone, and what a mistake gets back."""

from __future__ import annotations

import pytest

from bot.domain.zones import MAX_SUGGESTIONS, ZoneLookup, resolve_zone


@pytest.mark.parametrize(
    ("typed", "zone"),
    [
        ("Asia/Shanghai", "Asia/Shanghai"),
        ("asia/shanghai", "Asia/Shanghai"),
        ("ASIA/SHANGHAI", "Asia/Shanghai"),
        (" asia / tokyo ", "Asia/Tokyo"),
        ("America/New York", "America/New_York"),
        ("america/argentina/buenos_aires", "America/Argentina/Buenos_Aires"),
        ("Etc/GMT+5", "Etc/GMT+5"),
        ("US/Eastern", "US/Eastern"),
    ],
)
def test_iana_names_in_any_case(typed: str, zone: str) -> None:
    assert resolve_zone(typed) == ZoneLookup(zone)


@pytest.mark.parametrize(
    ("typed", "zone"),
    [
        ("Shanghai", "Asia/Shanghai"),
        ("London", "Europe/London"),
        ("New York", "America/New_York"),
        ("new_york", "America/New_York"),
        ("new   york", "America/New_York"),
        ("Tokyo", "Asia/Tokyo"),
        ("Hong Kong", "Asia/Hong_Kong"),
        ("Singapore", "Asia/Singapore"),  # the city, not the legacy one-word link
        ("Berlin", "Europe/Berlin"),
        ("Buenos Aires", "America/Argentina/Buenos_Aires"),
        ("Indianapolis", "America/Indiana/Indianapolis"),
        ("Sao Paulo", "America/Sao_Paulo"),
        ("Ho Chi Minh", "Asia/Ho_Chi_Minh"),
        ("Beijing", "Asia/Shanghai"),  # no zone is named after it
        ("Mumbai", "Asia/Kolkata"),
        ("San Francisco", "America/Los_Angeles"),
        ("Kiev", "Europe/Kyiv"),
    ],
)
def test_city_names(typed: str, zone: str) -> None:
    assert resolve_zone(typed).zone == zone


@pytest.mark.parametrize(("typed", "zone"), [("UTC", "UTC"), ("utc", "UTC"), ("GMT", "UTC"),
                                              ("ET", "America/New_York"), ("EST", "America/New_York")])
def test_utc_and_the_exchange_abbreviations(typed: str, zone: str) -> None:
    # EST is New York with its daylight saving, not the legacy fixed UTC-5 zone of that name
    assert resolve_zone(typed).zone == zone


def test_a_typo_in_an_iana_name_gets_close_matches_first_the_closest() -> None:
    found = resolve_zone("Europe/Lodnon")
    assert found.zone is None
    assert found.suggestions[0] == "Europe/London"
    assert 1 <= len(found.suggestions) <= MAX_SUGGESTIONS


@pytest.mark.parametrize(("typed", "first"), [("Lodnon", "Europe/London"), ("Shangai", "Asia/Shanghai"),
                                               ("Tokio", "Asia/Tokyo"), ("Berlim", "Europe/Berlin")])
def test_a_typo_in_a_city_gets_its_zone_suggested(typed: str, first: str) -> None:
    found = resolve_zone(typed)
    assert found.zone is None and found.suggestions[0] == first


def test_suggestions_never_repeat_a_zone() -> None:
    found = resolve_zone("Asia/Shangha")
    assert len(set(found.suggestions)) == len(found.suggestions)
    assert "Asia/Shanghai" in found.suggestions


@pytest.mark.parametrize("typed", ["xyzzy", "", "   ", "12345", "Mars/Olympus Mons", "x" * 200])
def test_garbage_gets_nothing(typed: str) -> None:
    assert resolve_zone(typed) == ZoneLookup(None, ())


def test_names_that_are_not_zones_are_refused() -> None:
    assert resolve_zone("localtime").zone is None
    assert resolve_zone("Factory").zone is None
    assert resolve_zone("../../etc/passwd").zone is None
