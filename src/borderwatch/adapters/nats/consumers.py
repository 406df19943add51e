"""JetStream consumers for the bus's subscriptions: created with ``action: create`` (never
silently changed), and a durable bound only with the filter, ack wait and max deliver it
was made with (a consumer's configuration is fixed, as in the port)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine, Mapping
from typing import Any, Protocol, TypeVar

from nats.aio.client import Client
from nats.aio.msg import Msg

from borderwatch.adapters.nats.errors import JetStreamApiError

T = TypeVar("T")
_NS = 1_000_000_000


class BusLink(Protocol):
    """What a subscription needs of its bus (``JetStreamBus``)."""

    stream: str
    replicas: int
    publish_timeout_s: float
    ephemeral_idle_s: float

    @property
    def closed(self) -> bool: ...

    @property
    def nc(self) -> Client: ...

    @property
    def subscriptions(self) -> set[Any]:
        """The bus's open subscriptions (``JetStreamSubscription``)."""
        ...

    def soon(self, callback: Callable[..., object], *args: object) -> None: ...

    def nats_subject(self, port_subject: str) -> str: ...

    def port_subject(self, nats_subject: str) -> str: ...

    def call(self, coroutine: Coroutine[Any, Any, T], doing: str) -> T: ...

    def new_reply(self) -> tuple[str, asyncio.Future[Msg]]: ...

    def forget_reply(self, reply: str) -> None: ...

    async def api(
        self, what: str, body: Mapping[str, Any] | None, *, retry: bool = True
    ) -> dict[str, Any]: ...


async def create_consumer(bus: BusLink, name: str, config: dict[str, Any]) -> dict[str, Any]:
    # action "create": never silently change an existing consumer (the default
    # create-or-update would move a durable onto another filter).
    return await bus.api(
        f"CONSUMER.CREATE.{bus.stream}.{name}",
        {"stream_name": bus.stream, "config": config, "action": "create"},
    )


async def bind_durable(
    bus: BusLink, durable: str, config: dict[str, Any], subject_filter: str
) -> dict[str, Any]:
    """The durable's info, created with ``config`` if missing; a ``ValueError`` if it exists
    with another filter, ack wait or max deliver (a consumer's configuration is fixed)."""
    for _ in range(3):  # another process may create or delete it between our two requests
        try:
            info = await bus.api(f"CONSUMER.INFO.{bus.stream}.{durable}", None)
        except JetStreamApiError as error:
            if error.err_code != 10014:  # consumer not found
                raise
        else:
            _check_same(bus, durable, info.get("config", {}), config, subject_filter)
            return info
        try:
            return await create_consumer(bus, durable, config)
        except JetStreamApiError as error:
            if error.err_code not in (10148, 10013, 10105):  # it exists after all
                raise
    raise RuntimeError(f"durable {durable!r} kept appearing and disappearing")


def _check_same(
    bus: BusLink,
    durable: str,
    existing: Mapping[str, Any],
    wanted: Mapping[str, Any],
    subject_filter: str,
) -> None:
    def described(config: Mapping[str, Any]) -> tuple[str, float, int | None]:
        nats_filter = str(config.get("filter_subject", ""))
        max_deliver = int(config.get("max_deliver", -1))
        return (
            bus.port_subject(nats_filter)
            if nats_filter.startswith(bus.nats_subject(""))
            else nats_filter,
            int(config.get("ack_wait", 0)) / _NS,
            max_deliver if max_deliver > 0 else None,
        )

    have, want = described(existing), described(wanted)
    if have != want:
        raise ValueError(
            f"durable {durable!r} exists with (subject_filter, ack_wait_s, max_deliver) = "
            f"{have}, cannot bind it with {want}"
        )
