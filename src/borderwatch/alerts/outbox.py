"""The outbox's messages and retry schedule, and the contract of a durable outbox.

A message is stored before it is sent and stays until a receiver took it or an operator
gave up on it: ``enqueue`` ignores a dedup key it already holds (a replay after a crash
stores nothing new); a failed send is retried with exponential backoff and jitter, then
dead-lettered after ``max_attempts``. Delivery is at least once; receivers de-duplicate on
the dedup key. The SQLite implementation is ``adapters/sqlite/outbox.py``.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol


class MessageStatus(StrEnum):
    PENDING = "pending"
    SENT = "sent"
    DEAD = "dead"


@dataclass(frozen=True, slots=True)
class Message:
    """What a channel wants sent: bytes for one destination, keyed for de-duplication."""

    dedup_key: str
    alert_id: str
    channel: str
    destination: str
    """Where: ``served``, ``tcp://host:port``, ``tls://host:port``, ``http://...``, a folder."""
    content_type: str
    body: bytes


@dataclass(frozen=True, slots=True)
class StoredMessage:
    id: int
    message: Message
    status: MessageStatus
    attempts: int
    next_attempt_at: float
    created_at: float
    sent_at: float | None
    last_error: str | None


@dataclass(frozen=True, slots=True)
class Backoff:
    """Exponential backoff with "equal jitter": half the delay is fixed, half random, so
    retries from many messages spread out but never come back at once."""

    base_s: float = 1.0
    factor: float = 2.0
    max_s: float = 300.0
    max_attempts: int = 8

    def delay(self, attempts: int, rng: random.Random) -> float:
        """Seconds before the next try after ``attempts`` failed tries (>= 1)."""
        ceiling = min(self.max_s, self.base_s * self.factor ** max(attempts - 1, 0))
        return ceiling / 2 + rng.uniform(0.0, ceiling / 2)


DEADLINE_S = 5.0
"""The default for one delivery attempt, from the first connection to the receiver's
answer: a receiver that is silent or trickles costs one failed try, not a stalled queue."""


def claim_fresh_s(lease_s: float, deadline_s: float) -> float:
    """How long after claiming messages on a shared outbox a dispatcher may still start
    sending one: an attempt begun later could outlast the claim (the lease), and another
    dispatcher would send the message too. What is left of the lease covers the clock
    skew between dispatchers' machines.

    >>> claim_fresh_s(60, 5)
    55.0
    """
    if not lease_s > deadline_s > 0:
        raise ValueError(f"a claim lease ({lease_s} s) must be longer than one attempt's "
                         f"deadline ({deadline_s} s)")
    return float(lease_s - deadline_s)


class Outbox(Protocol):
    """A durable outbox: what the alert centre writes to, and the dispatcher drains."""

    clock: Callable[[], float]
    """Its clock (epoch seconds): when messages are due."""

    def transaction(self) -> AbstractContextManager[None]:
        """Everything inside commits together (the alert states and disclosures too, when
        they share the store)."""
        ...

    def enqueue(self, messages: Iterable[Message]) -> int:
        """Store messages not already held (by dedup key); return how many were new."""
        ...

    def due(self, limit: int = 100, *, destination: str | None = None) -> list[StoredMessage]:
        """Pending messages due now, oldest first; only those for ``destination`` when
        given (one dispatcher queue per destination). On a store shared by dispatchers,
        returning them claims them (adapters/postgres/outbox.py)."""
        ...

    def next_due_at(self, *, destination: str | None = None) -> float | None:
        """When the next pending message (for ``destination``, when given) is due."""
        ...

    def pending_destinations(self) -> list[str]:
        """The destinations that have pending messages, due or not, oldest first."""
        ...

    def mark_sent(self, message_id: int) -> None: ...

    def mark_failed(self, message_id: int, error: str) -> MessageStatus: ...

    def dead(self) -> list[StoredMessage]: ...

    def for_alert(self, alert_id: str) -> list[StoredMessage]: ...

    def all(self, limit: int = 1000) -> list[StoredMessage]: ...

    def retry(self, message_ids: Iterable[int] | None = None) -> int: ...

    def counts(self) -> dict[str, int]: ...

    def close(self) -> None: ...


class Drain(Protocol):
    """What empties an outbox (the dispatcher): told when new messages are waiting."""

    def wake(self) -> None: ...
