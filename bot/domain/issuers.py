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
  "Microsoft Corp. today announced ..."). "Apple Hospitality REIT Reports" is not Apple.

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
_VERBS = (
    r"reports?|reported|announces?|announced|posts?|posted|delivers?|releases?|released|sets?|schedules?|"
    r"to|will|plans|today|declares?|s"
)
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
        found.update(t for t, c in by_ticker.items() if _named(c.name, title, first_paragraph, organization))
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


def _named(name: str, title: str, first_paragraph: str, organization: str) -> bool:
    core = core_name(name)
    if len(core) < 3:
        return False
    if organization and core_name(organization) == core:
        return True
    legal = "|".join(sorted((re.escape(w) for w in _LEGAL if w != "the"), key=len, reverse=True))
    issuer = rf"{re.escape(core)}(?: (?:{legal}))* (?:{_VERBS})\b"
    if re.match(rf"(?:the )?{issuer}", _words(title)):
        return True
    return re.search(rf"(?:^| ){issuer}", _words(first_paragraph[:600])) is not None
