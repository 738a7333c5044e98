"""Telegram message length and HTML-safe splitting.

Telegram limits a message to 4096 characters *after entity parsing*: tags do not count, ``&amp;``
counts as one character, and characters are counted in UTF-16 code units (an emoji outside the
Basic Multilingual Plane counts two). Long messages are cut at line boundaries; a tag that is open
at a cut is closed at the end of the part and opened again, with its attributes, in the next.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

MAX_MESSAGE_UNITS = 4096

_TOKEN = re.compile(r"<[^<>]*>|&#?[0-9A-Za-z]+;|\n|[^<&\n]+|[<&]")
_TAG_NAME = re.compile(r"</?\s*([A-Za-z][\w-]*)")


def utf16_units(text: str) -> int:
    """Return the length of plain text in UTF-16 code units, as Telegram counts it."""
    return len(text.encode("utf-16-le")) // 2


def surely_fits(markup: str, limit: int = MAX_MESSAGE_UNITS) -> bool:
    """Return True when markup fits without parsing it: no character counts more than two units."""
    return len(markup) * 2 <= limit


def visible_text(markup: str) -> str:
    """Return the text a user sees once Telegram has parsed the HTML entities."""
    return "".join(token.visible for token in _tokenize(markup))


def visible_length(markup: str) -> int:
    """Return the length of a Telegram HTML message as Telegram counts it."""
    return sum(token.width for token in _tokenize(markup))


@dataclass(frozen=True, slots=True)
class _Token:
    raw: str
    visible: str
    width: int
    tag: str | None = None  # tag name for tags, None for text
    closing: bool = False

    @property
    def is_tag(self) -> bool:
        return self.tag is not None


def _tokenize(markup: str) -> list[_Token]:
    tokens = []
    for match in _TOKEN.finditer(markup):
        raw = match.group()
        if raw.startswith("<") and len(raw) > 1:
            name = _TAG_NAME.match(raw)
            tag = name.group(1).lower() if name else ""
            tokens.append(_Token(raw, "", 0, tag, closing=raw.startswith("</")))
        elif raw.startswith("&") and len(raw) > 1:
            visible = html.unescape(raw)
            tokens.append(_Token(raw, visible, utf16_units(visible)))
        else:
            tokens.append(_Token(raw, raw, utf16_units(raw)))
    return tokens


_NEWLINE = _Token("\n", "\n", 1)


class _Part:
    """A message being built: raw markup so far, its visible width and the open tags."""

    def __init__(self, open_tags: Sequence[_Token]) -> None:
        self.raw: list[str] = [tag.raw for tag in open_tags]
        self.open_tags: list[_Token] = list(open_tags)
        self.width = 0
        self.lines = 0
        self.has_text = False

    def add(self, token: _Token) -> None:
        self.raw.append(token.raw)
        self.width += token.width
        if token.is_tag:
            self._track(token)
        elif token.visible.strip():
            self.has_text = True

    def _track(self, tag: _Token) -> None:
        if tag.raw.endswith("/>"):
            return
        if not tag.closing:
            self.open_tags.append(tag)
            return
        for index in range(len(self.open_tags) - 1, -1, -1):
            if self.open_tags[index].tag == tag.tag:
                del self.open_tags[index]
                return

    def close(self) -> str:
        closers = "".join(f"</{tag.tag}>" for tag in reversed(self.open_tags))
        return "".join(self.raw) + closers


def split_html(markup: str, limit: int = MAX_MESSAGE_UNITS) -> list[str]:
    """Split Telegram HTML into parts of at most `limit` visible units, cutting at line ends."""
    if surely_fits(markup, limit) or visible_length(markup) <= limit:
        return [markup] if visible_text(markup).strip() else []
    lines = _lines(_tokenize(markup))
    parts: list[str] = []
    part = _Part([])
    for line in lines:
        if not line and not part.lines:
            continue  # a blank line at the top of a part shows nothing
        width = sum(token.width for token in line)
        separator = 1 if part.lines else 0
        if part.width + separator + width <= limit:
            if separator:
                part.add(_NEWLINE)
            for token in line:
                part.add(token)
            part.lines += 1
            continue
        part = _finish(part, parts)
        part = _add_long_line(line, part, parts, limit)
    _finish(part, parts)
    return parts


def _lines(tokens: Iterable[_Token]) -> list[list[_Token]]:
    lines: list[list[_Token]] = [[]]
    for token in tokens:
        if token.raw == "\n":
            lines.append([])
        else:
            lines[-1].append(token)
    return lines


def _finish(part: _Part, parts: list[str]) -> _Part:
    """Close the part (if it shows anything) and start the next one with the same open tags."""
    if part.has_text:
        parts.append(part.close())
    return _Part(part.open_tags)


def _add_long_line(line: list[_Token], part: _Part, parts: list[str], limit: int) -> _Part:
    """Add a line to an empty part, cutting at spaces (or anywhere) when it is too long."""
    for token in line:
        if token.is_tag or part.width + token.width <= limit:
            part.add(token)
            continue
        if token.raw.startswith("&"):
            part = _finish(part, parts)
            part.add(token)
            continue
        remaining = token.raw
        while part.width + utf16_units(remaining) > limit:
            head, remaining = _cut_text(remaining, limit - part.width, may_defer=part.has_text)
            if head:
                part.add(_Token(head, head, utf16_units(head)))
            part = _finish(part, parts)
        if remaining:
            part.add(_Token(remaining, remaining, utf16_units(remaining)))
    part.lines += 1
    return part


def _cut_text(text: str, room: int, *, may_defer: bool) -> tuple[str, str]:
    """Return (head that fits in room, rest); prefer a space, drop the space at the cut."""
    end = 0
    width = 0
    for end, char in enumerate(text):  # noqa: B007 (end is used after the loop)
        width += 2 if ord(char) > 0xFFFF else 1
        if width > room:
            break
    else:
        return text, ""
    space = text.rfind(" ", 0, end + 1)
    if space > 0:
        return text[:space], text[space + 1 :]
    if may_defer:
        return "", text
    end = max(end, 1)
    return text[:end], text[end:]
