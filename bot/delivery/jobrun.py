"""One job on its way out: what it has settled, whether a request of it went out, and which
messages carried each of its alerts."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from bot.delivery.claims import Job
from bot.delivery.coalesce import ComposedMessage, compose_messages
from bot.delivery.outcomes import Sent


@dataclass(eq=False)
class JobRun:
    """The state of one job while the sender runs it; it lives as long as the job."""

    job: Job
    settled: set[int] = field(default_factory=set)  # positions whose outcome is recorded
    on_the_wire: bool = False  # a request went out: stopped now, the job may have been delivered
    first_message: dict[int, int] = field(default_factory=dict)  # position: the first message carrying it
    parts: dict[int, int] = field(default_factory=dict)  # position: how many messages carried it
    last_message_of: dict[int, int] = field(default_factory=dict)  # position: the message carrying its end

    def compose(self) -> list[ComposedMessage]:
        """Return the messages that carry the job's alerts, in the order they go out."""
        messages = compose_messages(self.job.texts, folded=self.job.folded)
        self.last_message_of = {i: n for n, composed in enumerate(messages) for i in composed.sources}
        return messages

    def unsettled(self) -> Job:
        """Return the job minus the deliveries whose outcome is recorded."""
        return self.job.without(self.settled)

    def unsent_positions(self) -> set[int]:
        return set(range(len(self.job.delivery_ids))) - self.settled

    def delivered(self, n: int, composed: ComposedMessage, message_id: int, at: datetime) -> list[Sent]:
        """Note that message n went out; settle the alerts whose last part it carried and return
        them as Sent, to be recorded at once (a stop or a fault later must not send them again)."""
        for index in composed.sources:
            self.first_message.setdefault(index, message_id)
            self.parts[index] = self.parts.get(index, 0) + 1
        finished = {i for i in composed.sources if self.last_message_of[i] == n} - self.settled
        self.settled |= finished
        return [Sent(self.job.delivery_ids[index], self.first_message[index], self.parts[index], at)
                for index in sorted(finished) if index in self.first_message]
