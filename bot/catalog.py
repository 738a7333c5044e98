"""The declarative data the code reads instead of hard-coding it: announcement kinds, 8-K item
titles, vendor names, source priorities and the in-line band, from config/catalog.toml.

A leaf module like bot.errors: every layer may read it, it uses nothing of ours. The file ships
inside the wheel (bot/catalog.toml); a checkout reads config/catalog.toml. It is read once, at the
first use, and validated; `earnings-bot` loads it at start so a mistake is one line, not a crash
in the middle of a poll.
"""

from __future__ import annotations

import re
import tomllib
from decimal import Decimal
from functools import cache
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

_PACKAGED = Path(__file__).resolve().parent / "catalog.toml"
_CHECKOUT = Path(__file__).resolve().parents[1] / "config" / "catalog.toml"
_ITEM = re.compile(r"^\d\.\d\d$")


class CatalogError(Exception):
    """The catalog file is missing or invalid; the message names the file and the entry."""


class AnnouncementKind(BaseModel):
    """A group of SEC filings a chat can opt into."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    key: str = Field(pattern=r"^[a-z][a-z_]{1,30}$")
    title: str = Field(min_length=1, max_length=80)
    items: tuple[str, ...] = ()  # 8-K items
    forms: tuple[str, ...] = ()  # whole form types
    feed_types: tuple[str, ...] = ()  # what to ask EDGAR's current-filings feed for (8-K is always read)

    @field_validator("items")
    @classmethod
    def _items(cls, items: tuple[str, ...]) -> tuple[str, ...]:
        for item in items:
            if not _ITEM.match(item):
                raise ValueError(f"8-K item {item!r} is not like '5.02'")
        return items


class InLineBand(BaseModel):
    """How close counts as "in line", in percent of the expectation, per kind of unit."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    money_percent: Decimal = Field(ge=0, le=10)
    percent_points: Decimal = Field(ge=0, le=10)
    per_share_percent: Decimal = Field(ge=0, le=10)


class Catalog(BaseModel):
    """Everything config/catalog.toml holds."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    reported_priority: dict[str, int]
    calendar_priority: tuple[str, ...]
    in_line_band: InLineBand
    vendor_names: dict[str, str]
    item_titles: dict[str, str]
    announcement_kinds: tuple[AnnouncementKind, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique_kinds(self) -> Catalog:
        keys = [kind.key for kind in self.announcement_kinds]
        if len(keys) != len(set(keys)):
            raise ValueError("announcement_kinds: each key must be unique")
        return self

    def kind(self, key: str) -> AnnouncementKind | None:
        """Return the announcement kind with this key, if any."""
        return next((kind for kind in self.announcement_kinds if kind.key == key), None)


def read_catalog(path: Path) -> Catalog:
    """Read and validate a catalog file; raise CatalogError with one line naming what is wrong."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise CatalogError(f"{path}: can't be read ({exc.strerror or exc})") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise CatalogError(f"{path}: not valid TOML ({exc})") from None
    try:
        return Catalog.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "file"
        raise CatalogError(f"{path}: {where}: {first['msg'].removeprefix('Value error, ')}") from None


@cache
def catalog() -> Catalog:
    """Return the catalog shipped with the bot (read and validated once)."""
    return read_catalog(_PACKAGED if _PACKAGED.exists() else _CHECKOUT)
