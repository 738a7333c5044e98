"""Telegram length and HTML-safe splitting: every part fits, parses, and nothing is lost."""

from __future__ import annotations

import re
from html import escape

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.delivery.coalesce import compose_messages
from bot.delivery.split import split_html, utf16_units, visible_length, visible_text
from bot.sandbox.bot_api_spec import parse_html, utf16_len


def balanced(markup: str) -> bool:
    stack: list[str] = []
    for tag in re.findall(r"<(/?)([a-z-]+)[^>]*>", markup):
        closing, name = tag
        if not closing:
            stack.append(name)
        elif not stack or stack.pop() != name:
            return False
    return not stack


def squeeze(text: str) -> str:
    return re.sub(r"\s+", "", text)


def digest(lines: int) -> str:
    rows = []
    for i in range(lines):
        rows.append(
            f'<b>T{i} &amp; Co</b> reported <a href="https://example.com/{i}">EPS $1.{i % 100:02d}</a> '
            f"<i>vs est. $1.00 — beat</i> 📈"
        )
    return "<blockquote>" + "\n".join(rows) + "</blockquote>"


def test_length_counts_utf16_units_after_entity_parsing() -> None:
    assert utf16_units("a📈b") == 4  # the chart emoji is outside the BMP: two units
    assert visible_length("<b>AT&amp;T</b>") == 4
    assert visible_length('<a href="https://x.test/?a=1&amp;b=2">link</a>') == 4
    assert visible_length("&#x27;&lt;") == 2
    assert visible_text("<b>AT&amp;T</b> &lt;3") == "AT&T <3"


def test_a_short_message_is_left_alone() -> None:
    text = "<b>NVDA</b> beat\nEPS $0.89"
    assert split_html(text) == [text]


def test_a_10000_character_digest_splits_into_valid_parts_that_keep_every_character() -> None:
    text = digest(195)
    assert visible_length(text) > 10_000

    parts = split_html(text)

    assert len(parts) == 3
    for part in parts:
        assert visible_length(part) <= 4096
        assert utf16_len(parse_html(part)) <= 4096  # Telegram's parser, as the loopback models it
        assert balanced(part)
        assert part.startswith("<blockquote>") and part.endswith("</blockquote>")
    assert squeeze("".join(visible_text(p) for p in parts)) == squeeze(visible_text(text))


def test_a_link_open_at_the_cut_is_closed_and_reopened_with_its_address() -> None:
    text = '<a href="https://example.com/long">' + "\n".join(["word " * 10] * 30) + "</a>"
    parts = split_html(text, limit=120)
    assert len(parts) > 1
    for part in parts:
        assert part.startswith('<a href="https://example.com/long">')
        assert part.endswith("</a>")
        assert visible_length(part) <= 120


def test_a_line_longer_than_the_limit_is_cut_at_spaces_and_never_inside_an_entity() -> None:
    text = "<b>" + " ".join(["AT&amp;T"] * 100) + "</b>"
    parts = split_html(text, limit=50)
    for part in parts:
        assert visible_length(part) <= 50
        assert "&amp" not in part.replace("&amp;", "")  # no entity cut in two
        assert balanced(part)
    assert squeeze("".join(visible_text(p) for p in parts)) == squeeze(visible_text(text))


def test_a_word_longer_than_the_limit_is_cut_without_splitting_an_emoji() -> None:
    text = "📈" * 30
    parts = split_html(text, limit=7)
    assert all(visible_length(p) <= 7 for p in parts)
    assert "".join(parts) == text


def test_coalesced_alerts_share_a_message_and_only_a_long_alert_is_split() -> None:
    short_a, short_b = "<b>A</b> beat", "<b>B</b> miss"
    long_c = "\n".join(["<i>line of the digest</i>"] * 400)

    messages = compose_messages([short_a, short_b, long_c])

    assert messages[0].text == "<b>A</b> beat\n\n<b>B</b> miss"
    assert messages[0].sources == (0, 1)
    assert [m.sources for m in messages[1:]] == [(2,)] * (len(messages) - 1)
    assert len(messages) >= 3


_words = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=1,
                 max_size=12).map(lambda w: escape(w.replace(" ", "")) or "x")
_tags = st.sampled_from(["b", "i", "u", "s", "code", "tg-spoiler"])


@st.composite
def markup(draw: st.DrawFn) -> str:
    lines = []
    for _ in range(draw(st.integers(1, 30))):
        words = draw(st.lists(_words, min_size=0, max_size=12))
        line = " ".join(words)
        if words and draw(st.booleans()):
            tag = draw(_tags)
            line = f"<{tag}>{line}</{tag}>"
        lines.append(line)
    body = "\n".join(lines)
    if draw(st.booleans()):
        body = f'<a href="https://example.com/?a=1&amp;b=2">{body}</a>'
    return body


@settings(max_examples=150, deadline=None)
@given(text=markup(), limit=st.integers(min_value=8, max_value=200))
def test_every_part_fits_parses_and_together_they_keep_the_text(text: str, limit: int) -> None:
    parts = split_html(text, limit=limit)
    for part in parts:
        assert visible_length(part) <= limit
        assert balanced(part)
        assert parse_html(part) == visible_text(part)
        assert visible_text(part).strip()
    assert squeeze("".join(visible_text(p) for p in parts)) == squeeze(visible_text(text))
