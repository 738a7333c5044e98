"""Which watched company a press release is from, or None: never a guess.

    match_company(title, first_paragraph, [Company("NVDA", "NVIDIA CORP"), ...])          # "NVDA"
    match_company(title, first_paragraph, companies, feed_ticker="AAPL")                 # an IR feed

In order of trust:

- An IR feed belongs to one company (`feed_ticker`); it must be one of the candidates.
- A listing in the text: "(NASDAQ: NVDA)", "NYSE: BABA", "Nasdaq: AAPL", "(NYSE:BRK.B)". The
  first US listing a wire release names is its issuer; when that one is not a candidate, the
  release is someone else's (a customer, a law firm) and matches nothing.
- Without any listing, the issuer's name: the wire's organization field equal to the company's
  name, or the title or first paragraph opening with the name and a verb ("Apple reports ...",
  "Microsoft Corp. today announced ..."). "Apple Hospitality REIT Reports" is not Apple. A name
  joined to another by "and" or "&" ("Crestline and Kestrel Energy Report ... Results of Their
  Joint Venture") is a joint release: nobody's alone, so it matches nothing.

Two different candidates found means None, as does none at all; the caller counts those.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from bot.domain.tickers import normalize_ticker

_US_EXCHANGES = (
    r"NASDAQ", r"Nasdaq", r"NasdaqGS", r"NasdaqGM", r"NasdaqCM", r"NASDAQ-GS", r"NASDAQ-GM", r"NASDAQ-CM",
    r"Nasdaq\s+(?:GS|GM|CM)", r"Nasdaq\s+Global\s+Select(?:\s+Market)?", r"Nasdaq\s+Global\s+Market",
    r"Nasdaq\s+Capital\s+Market", r"NYSE", r"NYSE\s+American", r"NYSE\s+Arca", r"NYSE\s+MKT", r"NYSEAMERICAN",
    r"AMEX", r"Cboe", r"CBOE", r"Cboe\s+BZX", r"BATS", r"OTCQX", r"OTCQB", r"OTC\s+Pink", r"OTC",
)
# Longest first: "NASDAQ-GS: ACME" is ACME on NASDAQ-GS, not GS on NASDAQ.
_US_EXCHANGE = "|".join(sorted(_US_EXCHANGES, key=len, reverse=True))
_LISTING = re.compile(
    rf"(?<![A-Za-z])(?P<exchange>{_US_EXCHANGE})\s*[:\-]\s*(?P<symbol>[A-Z][A-Za-z0-9]{{0,5}}(?:[./-][A-Z]{{1,2}})?)\b"
)
_LEGAL = frozenset({
    "inc", "incorporated", "corp", "corporation", "co", "company", "ltd", "limited", "plc", "holding", "holdings",
    "group", "nv", "n v", "sa", "s a", "ag", "se", "llc", "lp", "l p", "the", "class", "a", "b", "c", "adr", "ads",
    "de", "new",
})
_VERBS = frozenset({
    "report", "reports", "reported", "announce", "announces", "announced", "post", "posts", "posted", "deliver",
    "delivers", "release", "releases", "released", "set", "sets", "schedule", "schedules", "to", "will", "plans",
    "today", "declare", "declares", "declared",
})
_SPACE = re.compile(r"\s+")
_NOT_WORD = re.compile(r"[^0-9a-z&]+")


@dataclass(frozen=True, slots=True)
class Company:
    """A candidate issuer: its ticker and its name (as SEC or the calendar spells it)."""

    ticker: str
    name: str


def listed_tickers(text: str) -> list[str]:
    """Return the US tickers text names with an exchange ("NASDAQ: NVDA"), first mention first."""
    found: list[str] = []
    for match in _LISTING.finditer(text):
        symbol = normalize_ticker(match["symbol"])
        if symbol not in found:
            found.append(symbol)
    return found


def match_company(
    title: str, first_paragraph: str, companies: Iterable[Company], *, feed_ticker: str | None = None,
    organization: str = "",
) -> str | None:
    """Return the ticker of the one candidate the release is from, or None."""
    by_ticker = {normalize_ticker(c.ticker): c for c in companies}
    found: set[str] = set()
    if feed_ticker is not None:
        owner = normalize_ticker(feed_ticker)
        if owner not in by_ticker:
            return None
        found.add(owner)
    listed = listed_tickers(f"{title}\n{first_paragraph}")
    if listed:
        if feed_ticker is None and listed[0] not in by_ticker:
            return None
        found.update(symbol for symbol in listed if symbol in by_ticker)
    elif feed_ticker is None:
        texts = _Texts(_words(title).split(), _words(first_paragraph[:600]).split(), core_name(organization))
        named = {t: _named(core_name(c.name), texts) for t, c in by_ticker.items()}
        if _JOINT in named.values():
            return None
        found.update(t for t, how in named.items() if how is _SOLE)
    return found.pop() if len(found) == 1 else None


def core_name(name: str) -> str:
    """Return a company name without legal words or punctuation: "NVIDIA CORP" -> "nvidia",
    "Alibaba Group Holding Ltd" -> "alibaba", "AMAZON COM INC" -> "amazon com"."""
    words = _words(name).split()
    while words and words[-1] in _LEGAL:
        words.pop()
    while words and words[0] == "the":
        words.pop(0)
    return " ".join(words)


def _words(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return _SPACE.sub(" ", _NOT_WORD.sub(" ", folded.replace("'s ", " s "))).strip()


@dataclass(frozen=True, slots=True)
class _Texts:
    title: list[str]
    paragraph: list[str]
    organization: str


_SOLE, _JOINT = "sole", "joint"
_AND = frozenset({"and", "&"})


def _named(core: str, texts: _Texts) -> str | None:
    """Return _SOLE when the organization is the company, or the title (or a sentence of the first
    paragraph) opens with its name, legal words, and a verb; _JOINT when the name stands beside
    another's ("X and Kestrel Energy report", "Kestrel Energy, Inc. and X today reported"); else None."""
    if len(core) < 3:
        return None
    if texts.organization == core:
        return _SOLE
    name = core.split()
    title = texts.title[1:] if texts.title[:1] == ["the"] else texts.title
    ways = [_opens(title, 0, name), *_in_paragraph(title, name)]
    ways += _in_paragraph(texts.paragraph, name)
    if _JOINT in ways:
        return _JOINT
    return _SOLE if _SOLE in ways else None


def _in_paragraph(words: list[str], name: list[str]) -> list[str | None]:
    return [_opens(words, i, name) for i, word in enumerate(words) if word == name[0]]


def _opens(words: list[str], at: int, name: list[str]) -> str | None:
    end = at + len(name)
    if words[at:end] != name:
        return None
    while end < len(words) and words[end] in _LEGAL and words[end] != "the":
        end += 1
    if end < len(words) and words[end] in _AND or (at > 0 and words[at - 1] in _AND and _verb_follows(words, end)):
        return _JOINT
    if end < len(words) and words[end] in _VERBS:
        return _SOLE if at == 0 or words[at - 1] not in _AND else _JOINT
    return None


def _verb_follows(words: list[str], end: int) -> bool:
    return end < len(words) and words[end] in _VERBS
