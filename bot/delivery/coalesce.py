"""Coalescing: alerts due together for one chat go out as one message, split only when too long."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from bot.delivery.split import MAX_MESSAGE_UNITS, split_html, surely_fits, visible_length

ALERT_SEPARATOR = "\n\n"


@dataclass(frozen=True)
class ComposedMessage:
    """One Telegram message and the positions of the alert texts it carries."""

    text: str
    sources: tuple[int, ...]


def compose_messages(
    texts: Sequence[str], limit: int = MAX_MESSAGE_UNITS, *, folded: Sequence[bool] | None = None
) -> list[ComposedMessage]:
    """Join alert texts with a blank line into as few messages as fit; split only an alert too long alone.

    folded marks, position by position, an alert another one in the job supersedes (a "has just
    filed" notice whose result goes in the same message): its text is left out, and it is
    delivered with its neighbours.
    """
    alerts = _Alerts(texts, tuple(folded) if folded is not None else (False,) * len(texts))
    whole = join_alerts(alerts.carried(range(len(texts))))
    if surely_fits(whole, limit):  # the common case: one message, nothing to measure
        return [ComposedMessage(whole, tuple(range(len(texts))))] if not all(alerts.folded) else []
    messages: list[ComposedMessage] = []
    group: list[int] = []
    width = 0
    for index, text in enumerate(texts):
        if alerts.folded[index]:  # superseded by another alert of the same message: delivered with it
            group.append(index)
            continue
        text_width = visible_length(text)
        if text_width > limit:
            messages.extend(alerts.split_alone(index, group, limit))
            group, width = [], 0
            continue
        joined_width = width + (len(ALERT_SEPARATOR) if alerts.any_carried(group) else 0) + text_width
        if joined_width > limit:
            messages.extend(alerts.joined(group))
            group, joined_width = [], text_width
        group.append(index)
        width = joined_width
    last = alerts.joined(group)
    if not last and group and messages:  # only superseded ones left: they ride with the last
        messages[-1] = ComposedMessage(messages[-1].text, (*messages[-1].sources, *group))
    messages.extend(last)
    return messages


def join_alerts(texts: Sequence[str]) -> str:
    """Return alert texts as one message body, a blank line between them."""
    return ALERT_SEPARATOR.join(texts)


@dataclass(frozen=True)
class _Alerts:
    """A job's alert texts and, position by position, whether each is folded into another."""

    texts: Sequence[str]
    folded: tuple[bool, ...]

    def carried(self, positions: Iterable[int]) -> list[str]:
        """Return the texts of these positions that are not folded, in order."""
        return [self.texts[i] for i in positions if not self.folded[i]]

    def any_carried(self, positions: Iterable[int]) -> bool:
        return any(not self.folded[i] for i in positions)

    def joined(self, group: list[int]) -> list[ComposedMessage]:
        """Return the group as one message, or none when it carries no text (only folded ones)."""
        if not self.any_carried(group):
            return []
        return [ComposedMessage(join_alerts(self.carried(group)), tuple(group))]

    def split_alone(self, index: int, group: list[int], limit: int) -> list[ComposedMessage]:
        """Return the group gathered so far, then the alert at index split over as many messages as
        it needs; folded ones of a group that carries no text ride with its first part."""
        flushed = self.joined(group)
        riders = () if flushed else tuple(group)
        parts = split_html(self.texts[index], limit)
        return [*flushed, *(ComposedMessage(part, (*riders, index) if n == 0 else (index,))
                            for n, part in enumerate(parts))]
