"""The investor-relations feeds: which company's press releases each feed carries.

    feeds = load_ir_feeds(settings.ir_feeds_file)     # {"NVDA": "https://...", ...}; {} when off

config/ir_feeds.toml ships inside the wheel (bot/sources/feeds/ir_feeds.toml); IR_FEEDS_FILE
names a file of the same shape that replaces it, or `none` for no IR feeds. The file is validated
(pydantic) when read: a mistake is one line naming the file and the entry.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

from bot.domain.tickers import is_valid_ticker, normalize_ticker

_PACKAGED = Path(__file__).resolve().parent / "ir_feeds.toml"
_CHECKOUT = Path(__file__).resolve().parents[3] / "config" / "ir_feeds.toml"
OFF = "none"


class IrFeedsError(Exception):
    """The IR feeds file is missing or invalid; the message names the file and the entry."""


class IrFeeds(BaseModel):
    """What an IR feeds file holds: ticker -> feed URL."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    feeds: dict[str, str] = {}

    @field_validator("feeds")
    @classmethod
    def _feeds(cls, feeds: dict[str, str]) -> dict[str, str]:
        checked: dict[str, str] = {}
        owners: dict[str, str] = {}
        for raw, url in feeds.items():
            ticker = normalize_ticker(raw)
            if not is_valid_ticker(ticker):
                raise ValueError(f"{raw!r} is not a ticker")
            if ticker in checked:
                raise ValueError(f"{raw}: {ticker} is listed twice")
            url = url.strip()
            if not url.startswith(("http://", "https://")) or " " in url:
                raise ValueError(f"{raw}: {url!r} is not an http:// or https:// URL")
            if url in owners:
                raise ValueError(f"{raw}: the feed {url} already belongs to {owners[url]}")
            owners[url] = ticker
            checked[ticker] = url
        return checked


def shipped_ir_feeds_path() -> Path:
    """Return the IR feeds file shipped with the bot (inside the wheel, or the checkout's)."""
    return _PACKAGED if _PACKAGED.exists() else _CHECKOUT


def read_ir_feeds(path: Path) -> dict[str, str]:
    """Read and validate an IR feeds file; raise IrFeedsError with one line naming what is wrong."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise IrFeedsError(f"{path}: can't be read ({exc.strerror or exc})") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise IrFeedsError(f"{path}: not valid TOML ({exc})") from None
    try:
        return dict(IrFeeds.model_validate(data).feeds)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "file"
        raise IrFeedsError(f"{path}: {where}: {first['msg'].removeprefix('Value error, ')}") from None


def load_ir_feeds(setting: str | None) -> dict[str, str]:
    """Return the IR feeds the IR_FEEDS_FILE setting asks for: unset -> the shipped file,
    `none` -> none, a path -> that file."""
    if setting is None:
        return read_ir_feeds(shipped_ir_feeds_path())
    if setting.strip().lower() == OFF:
        return {}
    return read_ir_feeds(Path(setting).expanduser())
