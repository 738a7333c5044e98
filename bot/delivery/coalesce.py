"""Coalescing: alerts due together for one chat go out as one message, split only when too long."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bot.delivery.split import MAX_MESSAGE_UNITS, split_html, surely_fits, visible_length

ALERT_SEPARATOR = "\n\n"


@dataclass(frozen=True)
class ComposedMessage:
    """One Telegram message and the positions of the alert texts it carries."""

    text: str
    sources: tuple[int, ...]


def compose_messages(texts: Sequence[str], limit: int = MAX_MESSAGE_UNITS) -> list[ComposedMessage]:
    """Join alert texts with a blank line into as few messages as fit; split only an alert too long alone.

    An empty text stands for an alert another one in the job supersedes (a "has just filed" notice
    whose result goes in the same message): it adds nothing and is delivered with its neighbours.
    """
    whole = join_alerts([text for text in texts if text])
    if surely_fits(whole, limit):  # the common case: one message, nothing to measure
        return [ComposedMessage(whole, tuple(range(len(texts))))] if whole else []
    messages: list[ComposedMessage] = []
    group: list[int] = []
    width = 0
    for index, text in enumerate(texts):
        if not text:  # superseded by another alert of the same message: delivered with it
            group.append(index)
            continue
        text_width = visible_length(text)
        if text_width > limit:
            flushed = _joined(texts, group)
            riders = () if flushed else tuple(group)  # superseded ones ride with the first part
            messages.extend(flushed)
            parts = split_html(text, limit)
            messages.extend(ComposedMessage(part, (*riders, index) if n == 0 else (index,))
                            for n, part in enumerate(parts))
            group, width = [], 0
            continue
        carries_text = any(texts[i] for i in group)  # superseded ones add no separator
        joined_width = width + (len(ALERT_SEPARATOR) if carries_text else 0) + text_width
        if joined_width > limit:
            messages.extend(_joined(texts, group))
            group, joined_width = [], text_width
        group.append(index)
        width = joined_width
    last = _joined(texts, group)
    if not last and group and messages:  # only superseded ones left: they ride with the last
        messages[-1] = ComposedMessage(messages[-1].text, (*messages[-1].sources, *group))
    messages.extend(last)
    return messages


def join_alerts(texts: Sequence[str]) -> str:
    """Return alert texts as one message body, a blank line between them."""
    return ALERT_SEPARATOR.join(texts)


def _joined(texts: Sequence[str], group: list[int]) -> list[ComposedMessage]:
    if not any(texts[i] for i in group):
        return []
    return [ComposedMessage(join_alerts([texts[i] for i in group if texts[i]]), tuple(group))]
