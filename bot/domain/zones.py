"""A chat's time zone from what a user types: an IANA name in any case, a city, or UTC.

"asia/shanghai", "Shanghai" and "Asia/Shanghai" are one zone; so are "New York", "new_york" and
"America/New_York". A name that is none of these gets up to three close matches (difflib), or
none, and the caller keeps the chat's zone as it was.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from functools import cache
from zoneinfo import ZoneInfo, available_timezones

# Regions whose zones are places (not Etc/GMT+5, SystemV/EST5 or the legacy US/Eastern).
PLACE_REGIONS = frozenset({
    "Africa", "America", "Antarctica", "Arctic", "Asia", "Atlantic", "Australia", "Europe", "Indian",
    "Pacific",
})
# Names people use that are not the last part of any zone's name.
ALIASES = {
    "utc": "UTC", "gmt": "UTC", "z": "UTC", "zulu": "UTC",
    "et": "America/New_York", "est": "America/New_York", "edt": "America/New_York",
    "eastern": "America/New_York", "nyc": "America/New_York", "new york city": "America/New_York",
    "washington": "America/New_York", "boston": "America/New_York", "miami": "America/New_York",
    "atlanta": "America/New_York", "philadelphia": "America/New_York",
    "ct": "America/Chicago", "central": "America/Chicago", "dallas": "America/Chicago",
    "houston": "America/Chicago", "austin": "America/Chicago",
    "mt": "America/Denver", "mountain": "America/Denver",
    "pt": "America/Los_Angeles", "pst": "America/Los_Angeles", "pdt": "America/Los_Angeles",
    "pacific": "America/Los_Angeles", "san francisco": "America/Los_Angeles",
    "seattle": "America/Los_Angeles", "silicon valley": "America/Los_Angeles",
    "beijing": "Asia/Shanghai", "shenzhen": "Asia/Shanghai", "guangzhou": "Asia/Shanghai",
    "hangzhou": "Asia/Shanghai", "china": "Asia/Shanghai",
    "mumbai": "Asia/Kolkata", "bombay": "Asia/Kolkata", "delhi": "Asia/Kolkata",
    "new delhi": "Asia/Kolkata", "bangalore": "Asia/Kolkata", "bengaluru": "Asia/Kolkata",
    "india": "Asia/Kolkata", "saigon": "Asia/Ho_Chi_Minh", "osaka": "Asia/Tokyo", "japan": "Asia/Tokyo",
    "frankfurt": "Europe/Berlin", "munich": "Europe/Berlin", "hamburg": "Europe/Berlin",
    "milan": "Europe/Rome", "geneva": "Europe/Zurich", "barcelona": "Europe/Madrid",
    "edinburgh": "Europe/London", "manchester": "Europe/London", "kiev": "Europe/Kyiv",
    "st petersburg": "Europe/Moscow", "abu dhabi": "Asia/Dubai", "tel aviv": "Asia/Jerusalem",
    "melbourne": "Australia/Melbourne", "wellington": "Pacific/Auckland",
    "rio de janeiro": "America/Sao_Paulo", "rio": "America/Sao_Paulo",
    "vancouver": "America/Vancouver", "montreal": "America/Toronto",
}
EXAMPLES = ("Shanghai", "London", "New York", "Asia/Tokyo", "Europe/Berlin", "UTC")
MAX_SUGGESTIONS = 3
SUGGESTION_CUTOFF = 0.75
MAX_TYPED = 64


@dataclass(frozen=True)
class ZoneLookup:
    """What a typed name resolved to: a zone's IANA name, or close matches (maybe none)."""

    zone: str | None
    suggestions: tuple[str, ...] = ()


def resolve_zone(typed: str) -> ZoneLookup:
    """Return the zone the user means by typed, or up to three close matches when it is none."""
    text = " ".join(typed.split())
    if not text or len(text) > MAX_TYPED:
        return ZoneLookup(None)
    names = _names()
    key = _key(text)
    if key in names:
        return ZoneLookup(names[key])
    return ZoneLookup(None, _suggestions(key))


def _key(text: str) -> str:
    """Return the lookup form of a name: lower case, spaces for underscores, no stray blanks."""
    key = text.strip().lower().replace("_", " ")
    key = re.sub(r"\s*/\s*", "/", key)
    return " ".join(key.split())


def _suggestions(key: str) -> tuple[str, ...]:
    names = _names()
    pool = [name for name in names if ("/" in name) == ("/" in key)] or list(names)
    close = difflib.get_close_matches(key, pool, n=MAX_SUGGESTIONS * 2, cutoff=SUGGESTION_CUTOFF)
    found: list[str] = []
    for name in close:
        zone = names[name]
        if zone not in found:
            found.append(zone)
    return tuple(found[:MAX_SUGGESTIONS])


@cache
def _names() -> dict[str, str]:
    """Every name a user may type, in lookup form, with the zone it means (built once)."""
    zones = sorted(z for z in available_timezones() if _loads(z))
    names: dict[str, str] = {_key(zone): zone for zone in zones if "/" in zone}  # "Asia/Shanghai"
    for alias, zone in ALIASES.items():  # "Beijing", "ET": before the legacy "EST" (no DST)
        names.setdefault(alias, zone)
    for zone in zones:  # cities, from zones that are places; the first region wins a clash
        region, _, place = zone.partition("/")
        city = _key(place.rsplit("/", 1)[-1])
        if region in PLACE_REGIONS and city:
            names.setdefault(city, zone)
    for zone in zones:  # last, the legacy one-word names: "UTC", "GB", "Japan"
        names.setdefault(_key(zone), zone)
    return names


def _loads(zone: str) -> bool:
    if zone in {"localtime", "Factory"}:
        return False
    try:
        ZoneInfo(zone)
    except (KeyError, ValueError, OSError):
        return False
    return True
