"""config/ir_feeds.toml: one feed per company, validated; a mistake is one line naming file and entry."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.sources.feeds.ir_feeds import (
    IrFeedsError,
    load_ir_feeds,
    read_ir_feeds,
    shipped_ir_feeds_path,
)

ROOT = Path(__file__).resolve().parents[3]
SHIPPED = ROOT / "config" / "ir_feeds.toml"


def test_the_shipped_file_lists_https_feeds_of_the_big_reporters() -> None:
    feeds = read_ir_feeds(SHIPPED)
    assert {"NVDA", "AAPL"} <= set(feeds)
    assert all(url.startswith("https://") for url in feeds.values())
    assert len(set(feeds.values())) == len(feeds)
    assert shipped_ir_feeds_path() == SHIPPED  # a checkout reads config/ir_feeds.toml
    assert load_ir_feeds(None) == feeds


def test_none_turns_ir_feeds_off() -> None:
    assert load_ir_feeds("none") == {}
    assert load_ir_feeds(" NONE ") == {}


def test_a_file_of_ones_own_replaces_the_shipped_one(tmp_path: Path) -> None:
    mine = tmp_path / "mine.toml"
    mine.write_text('[feeds]\n"brk.b" = "https://ir.example.com/rss/pressrelease.aspx"\n', encoding="utf-8")
    assert load_ir_feeds(str(mine)) == {"BRK-B": "https://ir.example.com/rss/pressrelease.aspx"}


def test_an_empty_file_has_no_feeds(tmp_path: Path) -> None:
    empty = tmp_path / "empty.toml"
    empty.write_text("# nothing yet\n", encoding="utf-8")
    assert read_ir_feeds(empty) == {}


@pytest.mark.parametrize(("text", "named"), [
    ('[feeds]\nNVDA = "nvidianews.nvidia.com/releases.xml"\n', "feeds: NVDA: 'nvidianews.nvidia.com/releases.xml' is not"),
    ('[feeds]\n"NOT A TICKER" = "https://x.example/rss"\n', "feeds: 'NOT A TICKER' is not a ticker"),
    ('[feeds]\nNVDA = "https://x.example/rss"\nAAPL = "https://x.example/rss"\n', "already belongs to NVDA"),
    ('[feeds]\n"BRK.B" = "https://x.example/a"\n"BRK-B" = "https://x.example/b"\n', "BRK-B is listed twice"),
    ('[feeds]\nNVDA = 5\n', "feeds.NVDA"),
    ('[feed]\nNVDA = "https://x.example/rss"\n', "feed"),
    ("[feeds\n", "not valid TOML"),
])
def test_a_mistake_is_one_line_naming_the_file_and_entry(tmp_path: Path, text: str, named: str) -> None:
    broken = tmp_path / "ir_feeds.toml"
    broken.write_text(text, encoding="utf-8")
    with pytest.raises(IrFeedsError) as caught:
        read_ir_feeds(broken)
    message = str(caught.value)
    assert message.startswith(f"{broken}: ")
    assert named in message
    assert "\n" not in message


def test_a_missing_file_is_one_line(tmp_path: Path) -> None:
    with pytest.raises(IrFeedsError, match="can't be read"):
        load_ir_feeds(str(tmp_path / "missing.toml"))
