"""Coalescing: alerts due together for one chat go out as one message, split only when too long."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bot.delivery.split import MAX_MESSAGE_UNITS, split_html, visible_length

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
    messages: list[ComposedMessage] = []
    group: list[int] = []
    width = 0
    for index, text in enumerate(texts):
        if not text:  # superseded by another alert of the same message: delivered with it
            group.append(index)
            continue
        text_width = visible_length(text)
        if text_width > limit:
            messages.extend(_joined(texts, group))
            group, width = [], 0
            messages.extend(ComposedMessage(part, (index,)) for part in split_html(text, limit))
            continue
        joined_width = width + (len(ALERT_SEPARATOR) if group else 0) + text_width
        if joined_width > limit:
            messages.extend(_joined(texts, group))
            group, joined_width = [], text_width
        group.append(index)
        width = joined_width
    messages.extend(_joined(texts, group))
    return messages


def join_alerts(texts: Sequence[str]) -> str:
    """Return alert texts as one message body, a blank line between them."""
    return ALERT_SEPARATOR.join(texts)


def _joined(texts: Sequence[str], group: list[int]) -> list[ComposedMessage]:
    if not any(texts[i] for i in group):
        return []
    return [ComposedMessage(join_alerts([texts[i] for i in group if texts[i]]), tuple(group))]
