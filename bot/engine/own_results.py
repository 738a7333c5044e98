"""A chat's own numbers in its result alert: each against the reported figure, grouped so that chats
with the same numbers share one rendering (docs/decisions/014-your-own-numbers.md)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

from sqlmodel import Session

from bot.domain.figures import Expectation, Figure
from bot.domain.verdicts import Comparison
from bot.engine.alerts import OwnNumbers
from bot.store.figures import OWN_SOURCE_PREFIX, own_expectations


def own_number_groups(
    session: Session, event_id: int, audience: Sequence[int], *, until: datetime,
    compare_all: Callable[[Sequence[Expectation]], tuple[Comparison, ...]],
) -> tuple[OwnNumbers, ...]:
    """Return the audience's chats with own numbers for the event (as of the report), grouped by the
    numbers they set; a group whose numbers match no reported metric is left out."""
    rows = own_expectations(session, event_id, chat_pks=list(audience), until=until)
    by_chat: dict[int, list[Expectation]] = {}
    for row in rows:
        by_chat.setdefault(int(row.source.removeprefix(OWN_SOURCE_PREFIX)), []).append(row.to_domain())
    groups: dict[tuple[Figure, ...], list[int]] = {}
    numbers: dict[tuple[Figure, ...], list[Expectation]] = {}
    for chat_pk, expectations in sorted(by_chat.items()):
        ordered = sorted(expectations, key=_order)
        key = tuple(e.figure for e in ordered)
        groups.setdefault(key, []).append(chat_pk)
        numbers.setdefault(key, ordered)
    result = []
    for key, chat_pks in groups.items():
        comparisons = compare_all(numbers[key])
        if comparisons:
            result.append(OwnNumbers(tuple(chat_pks), comparisons))
    return tuple(result)


def _order(expectation: Expectation) -> tuple[int, str]:
    """EPS first, then revenue, then the KPIs by name."""
    metric = expectation.figure.metric
    return ({"eps": 0, "revenue": 1}.get(metric, 2), metric)
