"""NEWSWIRE_FEEDS and IR_FEEDS_FILE: defaults, `none`, and one line for a mistake."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.settings import DEFAULT_NEWSWIRE_FEEDS, SettingsError, load_settings


def test_unset_reads_the_default_wires_and_the_shipped_ir_file(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NEWSWIRE_FEEDS", raising=False)
    monkeypatch.delenv("IR_FEEDS_FILE", raising=False)
    settings = load_settings(_env_file=None)
    assert settings.newswire_feeds == DEFAULT_NEWSWIRE_FEEDS
    assert any("globenewswire.com/RssFeed/subjectcode/13-" in url for url in settings.newswire_feeds)
    assert any(url.startswith("https://www.prnewswire.com/rss/") for url in settings.newswire_feeds)
    assert settings.ir_feeds_file is None


def test_a_list_of_feeds_replaces_the_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEWSWIRE_FEEDS", " https://a.example/rss ,https://b.example/atom,, https://a.example/rss")
    assert load_settings(_env_file=None).newswire_feeds == ("https://a.example/rss", "https://b.example/atom")


def test_none_turns_them_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEWSWIRE_FEEDS", "none")
    monkeypatch.setenv("IR_FEEDS_FILE", "None")
    settings = load_settings(_env_file=None)
    assert settings.newswire_feeds == ()
    assert settings.ir_feeds_file == "none"


def test_an_ir_feeds_file_of_ones_own(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    mine = tmp_path / "ir.toml"
    mine.write_text("[feeds]\n", encoding="utf-8")
    monkeypatch.setenv("IR_FEEDS_FILE", str(mine))
    assert load_settings(_env_file=None).ir_feeds_file == str(mine)


@pytest.mark.parametrize(("name", "value", "says"), [
    ("NEWSWIRE_FEEDS", "www.prnewswire.com/rss/x.rss", "http:// or https://"),
    ("NEWSWIRE_FEEDS", ",", "feed URLs, or none"),
    ("NEWSWIRE_FEEDS", "https://a.example/x y", "http:// or https://"),
    ("IR_FEEDS_FILE", "/nowhere/ir_feeds.toml", "no such file: /nowhere/ir_feeds.toml"),
])
def test_a_mistake_is_one_line_naming_the_setting(monkeypatch: pytest.MonkeyPatch, name: str, value: str,
                                                   says: str) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError) as caught:
        load_settings(_env_file=None)
    message = str(caught.value)
    assert message.startswith(f"invalid setting {name}: ")
    assert says in message and "\n" not in message
