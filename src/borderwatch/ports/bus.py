"""The bus port: publish with a message id, pull from a (durable) subscription, settle each
message with ack / nak / term. Shaped like NATS JetStream so a nats-py adapter maps onto it
one to one; docs/bus.md gives the semantics and the mapping. Standard library only."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Literal, Protocol

Clock = Callable[[], float]
"""Seconds on a monotonic scale; injected so ack deadlines and the de-duplication window
can be driven by tests."""

DeliverPolicy = Literal["all", "new"]
"""Where a new consumer starts: the first message the stream holds, or the next published
(JetStream ``DeliverPolicy.ALL`` / ``DeliverPolicy.NEW``)."""

DEFAULT_DUPLICATE_WINDOW_S = 120.0  # JetStream's default stream `duplicate_window` (2 min)
DEFAULT_ACK_WAIT_S = 30.0  # JetStream's default consumer `ack_wait`
DEFAULT_MAX_MSGS = 100_000  # in-process stream limit; JetStream `max_msgs` with discard=old


class BusClosedError(RuntimeError):
    """A closed bus, or a closed subscription, was used."""


@dataclass(frozen=True, slots=True)
class PublishAck:
    """What the stream answered to a publish (JetStream ``PubAck``)."""

    seq: int
    """Stream sequence number of the stored message (1, 2, 3, … in publish order)."""
    duplicate: bool = False
    """True when the message id was already seen inside the de-duplication window: nothing
    was stored and ``seq`` is the original message's."""


class Acknowledger(Protocol):
    """Settles a delivered message; each implementation's subscription is one."""

    def ack(self, message: Message) -> None: ...

    def nak(self, message: Message, delay_s: float) -> None: ...

    def term(self, message: Message) -> None: ...


@dataclass(frozen=True, slots=True)
class Message:
    """One delivery of a stored message to a consumer. Settle it exactly once: ``ack`` when
    done, ``nak`` to have it delivered again, ``term`` to give up on it. An unsettled message
    is delivered again once the subscription's ``ack_wait_s`` has passed."""

    subject: str
    data: bytes
    seq: int
    """Stream sequence number: the same on every delivery of this message."""
    msg_id: str | None
    """The publisher's message id (JetStream ``Nats-Msg-Id``), if it gave one."""
    headers: Mapping[str, str]
    deliveries: int
    """1 on the first delivery, then 2, 3, … (JetStream ``num_delivered``)."""
    acker: Acknowledger = field(repr=False, compare=False)
    """The subscription that delivered it."""

    def ack(self) -> None:
        """Done: never deliver it to this consumer again (JetStream ``+ACK``)."""
        self.acker.ack(self)

    def nak(self, delay_s: float = 0.0) -> None:
        """Not done: deliver it again after ``delay_s`` seconds (JetStream ``-NAK``)."""
        if delay_s < 0:
            raise ValueError(f"nak delay_s must be >= 0, got {delay_s}")
        self.acker.nak(self, delay_s)

    def term(self) -> None:
        """Never deliver it again, and it was not processed (JetStream ``+TERM``)."""
        self.acker.term(self)


class Subscription(Protocol):
    """A pull consumer bound to a subject filter (JetStream pull subscription)."""

    @property
    def subject_filter(self) -> str: ...

    @property
    def durable(self) -> str | None: ...

    @property
    def dropped(self) -> int:
        """Messages given up after ``max_deliver`` deliveries without an ack."""
        ...

    @property
    def skipped(self) -> int:
        """Matching messages the stream discarded (retention limit) before this consumer
        got to them: how a slow reader learns that it lagged."""
        ...

    def fetch(self, batch: int = 1, timeout: float = 0.0) -> list[Message]:
        """Up to ``batch`` messages: redeliveries first, then new ones in stream order.
        Returns as soon as one is available, or ``[]`` after ``timeout`` seconds."""
        ...

    def close(self) -> None:
        """Unbind. Messages it holds unsettled are released for redelivery at once; a durable
        consumer keeps its position for the next subscription under the same name."""
        ...


class Bus(Protocol):
    """A stream of messages on dot-separated subjects, read by pull consumers."""

    def publish(
        self,
        subject: str,
        data: bytes,
        *,
        msg_id: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> PublishAck:
        """Store one message on a literal subject (no wildcards). A ``msg_id`` seen inside
        the de-duplication window is not stored again (JetStream ``Nats-Msg-Id``)."""
        ...

    def subscribe(
        self,
        subject_filter: str,
        *,
        durable: str | None = None,
        deliver: DeliverPolicy = "all",
        ack_wait_s: float = DEFAULT_ACK_WAIT_S,
        max_deliver: int | None = None,
    ) -> Subscription:
        """A pull consumer on ``subject_filter`` (``*`` one token, ``>`` the rest). With
        ``durable`` the position outlives the subscription and subscriptions sharing the
        name share the work (a queue group); without it the consumer ends at ``close``."""
        ...

    def close(self) -> None:
        """Close every subscription; any later use raises ``BusClosedError``."""
        ...


# Subjects — NATS rules: dot-separated tokens, no whitespace; `*` stands for exactly one
# token and `>` for one or more trailing tokens, and both only as whole tokens.


def _tokens(subject: object, what: str) -> tuple[str, ...]:
    if not isinstance(subject, str):
        raise TypeError(f"{what} must be a str, got {type(subject).__name__}")
    if not subject:
        raise ValueError(f"invalid {what} {subject!r}: empty")
    if any(ch.isspace() for ch in subject):
        raise ValueError(f"invalid {what} {subject!r}: contains whitespace")
    tokens = tuple(subject.split("."))
    if "" in tokens:
        raise ValueError(
            f"invalid {what} {subject!r}: empty token (leading, trailing or double dot)"
        )
    for token in tokens:
        if len(token) > 1 and ("*" in token or ">" in token):
            raise ValueError(
                f"invalid {what} {subject!r}: '*' and '>' must be whole tokens, got {token!r}"
            )
    return tokens


def subject_tokens(subject: str) -> tuple[str, ...]:
    """The tokens of a literal subject, the kind messages are published to.

    >>> subject_tokens("detections.seg-12")
    ('detections', 'seg-12')
    >>> subject_tokens("detections.*")
    Traceback (most recent call last):
    ValueError: invalid subject 'detections.*': wildcards are for subscriptions, not publishing
    """
    tokens = _tokens(subject, "subject")
    if "*" in tokens or ">" in tokens:
        raise ValueError(
            f"invalid subject {subject!r}: wildcards are for subscriptions, not publishing"
        )
    return tokens


def filter_tokens(subject_filter: str) -> tuple[str, ...]:
    """The tokens of a subscription's subject filter; ``>`` may only come last.

    >>> filter_tokens("detections.>")
    ('detections', '>')
    """
    tokens = _tokens(subject_filter, "subject filter")
    if ">" in tokens[:-1]:
        raise ValueError(f"invalid subject filter {subject_filter!r}: '>' must be the last token")
    return tokens


def tokens_match(filter_: tuple[str, ...], subject: tuple[str, ...]) -> bool:
    """Whether a subject (as tokens) matches a filter (as tokens)."""
    for i, want in enumerate(filter_):
        if want == ">":
            return len(subject) > i  # one or more tokens, never zero
        if i >= len(subject) or (want != "*" and want != subject[i]):
            return False
    return len(subject) == len(filter_)


def subject_matches(subject_filter: str, subject: str) -> bool:
    """NATS subject matching; both arguments are validated.

    >>> subject_matches("detections.*", "detections.seg-12")
    True
    >>> subject_matches("detections.>", "detections")
    False
    >>> subject_matches("*.seg-12.>", "tracks.seg-12.t7.update")
    True
    """
    return tokens_match(filter_tokens(subject_filter), subject_tokens(subject))


def check_durable_name(name: str) -> str:
    """A durable consumer name: non-empty, no dots, wildcards or whitespace (JetStream)."""
    if not name or any(ch.isspace() or ch in ".*>" for ch in name):
        raise ValueError(
            f"invalid durable name {name!r}: must be non-empty, without '.', '*', '>' or whitespace"
        )
    return name


# Arguments — checked the same way by every implementation, so they fail alike.


def check_publish(subject: str, data: bytes, msg_id: str | None) -> tuple[str, ...]:
    """Validate a publish; returns the subject's tokens."""
    tokens = subject_tokens(subject)
    if not isinstance(data, bytes | bytearray | memoryview):
        raise TypeError(f"data for {subject!r} must be bytes, got {type(data).__name__}")
    if msg_id is not None and not msg_id:
        raise ValueError(f"msg_id for {subject!r} must be a non-empty string or None")
    return tokens


def check_subscribe(
    subject_filter: str,
    durable: str | None,
    deliver: str,
    ack_wait_s: float,
    max_deliver: int | None,
) -> tuple[str, ...]:
    """Validate a subscribe; returns the filter's tokens."""
    tokens = filter_tokens(subject_filter)
    if durable is not None:
        check_durable_name(durable)
    if deliver not in ("all", "new"):
        raise ValueError(f"deliver must be 'all' or 'new', got {deliver!r}")
    if not ack_wait_s > 0:
        raise ValueError(f"ack_wait_s must be > 0, got {ack_wait_s}")
    if max_deliver is not None and max_deliver < 1:
        raise ValueError(f"max_deliver must be >= 1 or None, got {max_deliver}")
    return tokens


def check_fetch(batch: int, timeout: float) -> None:
    """Validate a fetch."""
    if batch < 1:
        raise ValueError(f"batch must be >= 1, got {batch}")
    if timeout < 0:
        raise ValueError(f"timeout must be >= 0, got {timeout}")
