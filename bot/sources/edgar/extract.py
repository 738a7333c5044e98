"""Fetch a filing's press release through EdgarClient and read its figures.

    index, exhibit, release = await fetch_release(edgar, cik, accession)  # release None: no EX-99.1
"""

from __future__ import annotations

import logging

from bot.sources.edgar.client import EdgarClient
from bot.sources.edgar.filing_index import FilingDocument, FilingIndex, exhibit_99_1
from bot.sources.edgar.press_release import ExtractedRelease, extract_figures

logger = logging.getLogger(__name__)


async def fetch_release(
    edgar: EdgarClient, cik: int, accession: str
) -> tuple[FilingIndex, FilingDocument | None, ExtractedRelease | None]:
    """Fetch a filing's index and its EX-99.1, and read the figures (None when there is no EX-99.1)."""
    index = await edgar.filing_index(cik, accession)
    exhibit = exhibit_99_1(index)
    if exhibit is None:
        logger.info("sec: %s has no EX-99.1 among %d documents", accession, len(index.documents))
        return index, None, None
    body = await edgar.document(exhibit.url)
    return index, exhibit, extract_figures(body)
