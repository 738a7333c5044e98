"""Tell a foreign issuer's results 6-K from its other 6-Ks (monthly returns, record dates, meetings).

A 6-K carries no item codes, so the exhibit's title decides: "Alibaba Group Announces December
Quarter 2024 Results", "ANNOUNCEMENT OF THE MARCH QUARTER 2025 RESULTS ...". Monthly returns,
record dates, board-meeting notices and poll results are not results.
"""

from __future__ import annotations

import re

from bot.sources.edgar.document_text import read_document, text_lines

_RESULTS = re.compile(
    r"(?i)\b(?:announc(?:es|ement\s+of|ing)|reports?|reported|releases?|publishes)\b.{0,100}?"
    r"\b(?:quarter(?:ly)?|results|interim|half[\s-]year|earnings)\b"
    r"|\b(?:quarter(?:ly)?|interim|half[\s-]year|annual)\s+(?:financial\s+)?results\b"
)
_NOT_RESULTS = re.compile(
    r"(?i)monthly\s+return|record\s+date|board\s+meeting|date\s+of\s+(?:the\s+)?board|"
    r"poll\s+results|voting\s+results|results\s+of\s+(?:the\s+)?(?:annual\s+general\s+|extraordinary\s+general\s+)?"
    r"(?:meeting|agm|egm|vote|tender|offer)|dividend\s+(?:payment|record)|notification\s+of|"
    r"change\s+in|grant\s+of|next\s+day\s+disclosure|share\s+repurchase|buy[\s-]?back"
)
_HEADLINE_LINES = 15


def is_results_6k(title_or_text: str | bytes) -> bool:
    """Return True when a 6-K exhibit's title (or opening lines of its HTML) announces results."""
    for line in _headlines(title_or_text):
        if _NOT_RESULTS.search(line):
            return False
        if len(line) <= 250 and _RESULTS.search(line):
            return True
    return False


def _headlines(title_or_text: str | bytes) -> list[str]:
    if isinstance(title_or_text, bytes) or "<" in title_or_text:
        return text_lines(read_document(title_or_text))[:_HEADLINE_LINES]
    return [line.strip() for line in title_or_text.splitlines() if line.strip()][:_HEADLINE_LINES]
