"""How each chat reads a result: with its own in-line band and its own numbers, and whether it
rings (/settings band, /settings min_surprise).

A chat with its own band reads every verdict of the result as that band judges it: the report is
evaluated once more per distinct band among the audience, never once per chat, and a band that
judges everything as the default does is no reading of its own. Chats with the default band keep
the result everyone reads.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

from sqlmodel import Session

from bot.domain.figures import Expectation
from bot.domain.thresholds import band_of, is_small_surprise
from bot.domain.verdicts import Comparison, InlineBand
from bot.engine.alerts import OwnNumbers, ResultReport
from bot.engine.own_results import own_number_groups
from bot.engine.preferences import Thresholds, chat_thresholds


def chat_readings(
    session: Session, event_id: int, audience: Sequence[int], *, until: datetime, report: ResultReport,
    band: InlineBand, report_for: Callable[[InlineBand], ResultReport],
    compare_all: Callable[[Sequence[Expectation], InlineBand], tuple[Comparison, ...]],
) -> tuple[tuple[OwnNumbers, ...], tuple[int, ...]]:
    """Return the groups of chats that read the result their own way (own numbers, own band), and
    the chats for which the result is under their minimum surprise (sent without a sound)."""
    thresholds = chat_thresholds(session, audience)
    numbers = own_number_groups(session, event_id, audience, until=until, compare_all=_judged_by(compare_all, band))
    by_band: dict[InlineBand, set[int]] = {}
    for chat_pk, own in thresholds.items():
        chats_band = band_of(own.in_line_band_bp, band)
        if chats_band != band:
            by_band.setdefault(chats_band, set()).add(chat_pk)
    if not by_band:
        return numbers, _silent(thresholds, {}, report)
    groups: list[OwnNumbers] = []
    readings: dict[int, ResultReport] = {}
    banded_chats: dict[int, InlineBand] = {pk: b for b, pks in by_band.items() for pk in pks}
    banded_reports = {b: report_for(b) for b in by_band}
    for group in numbers:  # each group split by band: the default's chats keep it as it is
        split: dict[InlineBand, list[int]] = {}
        for pk in group.chat_pks:
            split.setdefault(banded_chats.get(pk, band), []).append(pk)
        for chats_band, pks in split.items():
            if chats_band == band:
                groups.append(OwnNumbers(tuple(pks), group.comparisons, group.report))
                continue
            banded = banded_reports[chats_band]
            comparisons = compare_all([c.expectation for c in group.comparisons], chats_band)
            groups.append(OwnNumbers(tuple(pks), comparisons, None if banded == report else banded))
    with_numbers = {pk for group in numbers for pk in group.chat_pks}
    for chats_band, chats in by_band.items():
        banded = banded_reports[chats_band]
        if banded == report:
            continue
        readings.update(dict.fromkeys(chats, banded))
        rest = tuple(sorted(chats - with_numbers))
        if rest:
            groups.append(OwnNumbers(rest, (), banded))
    return tuple(groups), _silent(thresholds, readings, report)


def _judged_by(
    compare_all: Callable[[Sequence[Expectation], InlineBand], tuple[Comparison, ...]], band: InlineBand,
) -> Callable[[Sequence[Expectation]], tuple[Comparison, ...]]:
    return lambda given: compare_all(given, band)


def _silent(thresholds: dict[int, Thresholds], readings: dict[int, ResultReport],
            report: ResultReport) -> tuple[int, ...]:
    return tuple(sorted(
        pk for pk, own in thresholds.items()
        if is_small_surprise(readings.get(pk, report).headline, own.min_surprise_bp)
    ))
