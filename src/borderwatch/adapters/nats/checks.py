"""The JetStream bus's argument checks: each bad value is a ``ValueError`` that names it."""

from __future__ import annotations

import re

from borderwatch.ports.bus import subject_tokens

RESERVED_HEADER_PREFIX = "Nats-"
"""Headers JetStream reads or sets; a publisher may not send its own."""
_STREAM_NAME = re.compile(r"^[A-Za-z0-9_-]{1,255}$")
_HEADER_NAME = re.compile(r"^[!-9;-~]+$")  # printable ASCII without ':' or spaces (RFC 7230)


def check_header(subject: str, name: object, value: object) -> None:
    """A header a publisher may send: a token for a name, one line for a value."""
    if not isinstance(name, str) or not _HEADER_NAME.match(name):
        raise ValueError(
            f"header name {name!r} for {subject!r} must be printable ASCII without ':' or spaces"
        )
    if name.startswith(RESERVED_HEADER_PREFIX):
        raise ValueError(
            f"header {name!r} for {subject!r}: names starting with "
            f"{RESERVED_HEADER_PREFIX!r} are JetStream's (use msg_id for Nats-Msg-Id)"
        )
    if not isinstance(value, str) or "\r" in value or "\n" in value:
        raise ValueError(f"header {name!r} for {subject!r} must be a str without line breaks")


def check_bus_settings(
    servers: list[str],
    stream: str,
    namespace: str,
    max_msgs: int,
    max_bytes: int | None,
    max_age_s: float | None,
    replicas: int,
    duplicate_window_s: float,
    connect_timeout_s: float,
    publish_timeout_s: float,
    retry_s: float,
    ephemeral_idle_s: float,
) -> None:
    """``JetStreamBus``'s settings."""
    if not servers or not all(isinstance(s, str) and s for s in servers):
        raise ValueError(f"servers must be one or more NATS URLs, got {servers!r}")
    if not isinstance(stream, str) or not _STREAM_NAME.match(stream):
        raise ValueError(
            f"invalid stream {stream!r}: letters, digits, '-' and '_' only (JetStream names)"
        )
    try:
        subject_tokens(namespace)
    except (ValueError, TypeError) as error:
        raise ValueError(f"invalid namespace {namespace!r}: {error}") from None
    if max_msgs < 1:
        raise ValueError(f"max_msgs must be >= 1, got {max_msgs}")
    if max_bytes is not None and max_bytes < 1:
        raise ValueError(f"max_bytes must be >= 1 or None, got {max_bytes}")
    if max_age_s is not None and not max_age_s > 0:
        raise ValueError(f"max_age_s must be > 0 or None, got {max_age_s}")
    if not 1 <= replicas <= 5:
        raise ValueError(f"replicas must be 1 to 5 (JetStream), got {replicas}")
    # JetStream's smallest window is 100 ms (and it reads 0 as "the default", 2 min).
    if not duplicate_window_s >= 0.1:
        raise ValueError(f"duplicate_window_s must be >= 0.1 (JetStream), got {duplicate_window_s}")
    if max_age_s is not None and duplicate_window_s > max_age_s:
        raise ValueError(
            f"duplicate_window_s ({duplicate_window_s}) must not exceed max_age_s ({max_age_s})"
        )
    for name, value in (
        ("connect_timeout_s", connect_timeout_s),
        ("publish_timeout_s", publish_timeout_s),
        ("retry_s", retry_s),
        ("ephemeral_idle_s", ephemeral_idle_s),
    ):
        if not value > 0:
            raise ValueError(f"{name} must be > 0, got {value}")
