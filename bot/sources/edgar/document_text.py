"""Turn an EDGAR exhibit (HTML, or plain text) into text lines and table rows, in document order.

EDGAR press releases are Workiva/Toppan HTML: paragraphs are nested <div>/<font>, bullets are
one-row layout tables, and financial tables spread "$", the number and ")" over separate cells.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass, field

import lxml.html
from lxml import etree

_BLOCK_TAGS = frozenset({
    "p", "div", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "td", "th", "table",
    "section", "article", "center", "blockquote", "pre", "title", "hr", "dt", "dd", "dl", "body",
    "document", "text", "header", "footer", "caption",
})
_SKIPPED_TAGS = frozenset({"script", "style", "head", "noscript", "type", "sequence", "filename", "description"})
_HTML_HINT = re.compile(rb"(?i)<(?:html|body|div|p|table|font|br|span|document)\b")
_BULLETS = frozenset({"•", "●", "·", "▪", "■", "◦", "o", "-", "–", "—", "*", "\uf0b7", "\uf0a7"})
_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>", re.I)
_SPACES = re.compile(r"\s+")
_TRANSLATE = str.maketrans({
    "\xa0": " ", "\u200b": "", "\u2019": "'", "\u2018": "'", "\u201c": '"', "\u201d": '"',
    "\u2009": " ", "\u202f": " ", "\u2007": " ",
})


@dataclass(slots=True)
class TextLine:
    """One paragraph, heading or bullet as the reader sees it."""

    text: str


@dataclass(slots=True)
class Table:
    """One table: rows of cell texts, with blank cells kept so columns can be counted."""

    rows: list[list[str]] = field(default_factory=list)


Block = TextLine | Table


def clean(text: str) -> str:
    """Collapse whitespace and straighten typographic quotes."""
    return _SPACES.sub(" ", text.translate(_TRANSLATE)).strip()


def read_document(content: str | bytes) -> list[Block]:
    """Return the paragraphs and tables of an exhibit, in order."""
    raw = content.encode("utf-8") if isinstance(content, str) else content
    if not _HTML_HINT.search(raw[:20000]):
        return _read_plain_text(raw.decode("utf-8", errors="replace"))
    text = content if isinstance(content, str) else raw.decode(_encoding_of(raw), errors="replace")
    text = _XML_DECLARATION.sub("", text)
    text = re.sub(r"(?is)^.*?<TEXT>", "", text, count=1) if text.lstrip().startswith("<DOCUMENT>") else text
    try:
        root = lxml.html.document_fromstring(text)
    except (etree.ParserError, ValueError):
        return _read_plain_text(re.sub(r"<[^>]+>", " ", text))
    reader = _Reader()
    reader.walk(root)
    reader.flush()
    return reader.blocks


def text_lines(blocks: list[Block]) -> list[str]:
    """Return only the text lines of a document."""
    return [block.text for block in blocks if isinstance(block, TextLine)]


def _encoding_of(raw: bytes) -> str:
    match = re.search(rb"(?i)charset=[\"']?([\w-]+)", raw[:4000])
    if match:
        declared = match.group(1).decode("ascii")
        try:
            return codecs.lookup(declared).name
        except LookupError:  # charset="none", "unicode", "x-user-defined": guess as if undeclared
            pass
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return "windows-1252"
    return "utf-8"


def _read_plain_text(text: str) -> list[Block]:
    paragraphs = re.split(r"\n\s*\n", text.replace("\r\n", "\n"))
    return [TextLine(clean(p)) for p in paragraphs if clean(p)]


class _Reader:
    def __init__(self) -> None:
        self.blocks: list[Block] = []
        self._buffer: list[str] = []

    def flush(self) -> None:
        line = clean("".join(self._buffer))
        self._buffer.clear()
        if line:
            self.blocks.append(TextLine(line))

    def add(self, text: str | None) -> None:
        if text:
            self._buffer.append(text)

    def walk(self, element: etree._Element) -> None:
        tag = element.tag.lower() if isinstance(element.tag, str) else None
        if tag is None or tag in _SKIPPED_TAGS:
            self.add(element.tail)
            return
        if tag == "table" and not element.xpath(".//table"):
            self.flush()
            self._table(element)
            self.add(element.tail)
            return
        if tag == "br":
            self.flush()
            self.add(element.tail)
            return
        block = tag in _BLOCK_TAGS
        if block:
            self.flush()
        if tag == "li":
            self.add("• ")
        self.add(element.text)
        for child in element:
            self.walk(child)
        if block:
            self.flush()
        self.add(element.tail)

    def _table(self, element: etree._Element) -> None:
        table = Table()
        for row in element.iter("tr"):
            cells = [clean(_cell_text(cell)) for cell in row if cell.tag in ("td", "th")]
            if not any(cells):
                continue
            table.rows.append(cells)
            # Layout tables carry bullets and paragraphs; keep those readable as text.
            bullet = any(cell in _BULLETS for cell in cells)
            for cell in cells:
                if cell in _BULLETS or not cell:
                    continue
                if bullet and re.search(r"[A-Za-z]", cell):
                    self.blocks.append(TextLine("• " + cell))
                elif len(cell.split()) >= 8:
                    self.blocks.append(TextLine(cell))
        if table.rows:
            self.blocks.append(table)


def _cell_text(element: etree._Element) -> str:
    """Return a cell's text; inline pieces are joined as written, blocks and <br> become spaces."""
    parts: list[str] = []

    def walk(node: etree._Element) -> None:
        tag = node.tag.lower() if isinstance(node.tag, str) else None
        if tag is not None and tag not in _SKIPPED_TAGS:
            spaced = tag == "br" or tag in _BLOCK_TAGS
            if spaced:
                parts.append(" ")
            parts.append(node.text or "")
            for child in node:
                walk(child)
            if spaced:
                parts.append(" ")
        parts.append(node.tail or "")

    parts.append(element.text or "")
    for child in element:
        walk(child)
    return "".join(parts)
