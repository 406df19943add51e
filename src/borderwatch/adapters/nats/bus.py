"""The bus port on NATS JetStream: one stream per bus, pull consumers, explicit acks.

Each ``JetStreamBus`` is one connection (nats-py, on an event loop of its own: loop.py) and
one stream. Port subjects live under the bus's namespace: ``detections.seg-12`` is stored
as ``<namespace>.detections.seg-12`` and the stream holds ``<namespace>.>``, so a bus is
exactly one stream and any port filter, even a bare ``>``, is a filter inside it. Messages
are handed back with the port subject. docs/bus.md maps the port onto JetStream; what
JetStream does differently from the in-process bus is listed there and in
``JetStreamSubscription``'s docstring.

A lost server is survived: the client reconnects to the other servers it was given, and a
publish that got no answer during the switch is sent again with the same ``msg_id`` until
``retry_s`` has passed (the stream's de-duplication makes the retry safe). A publish without
a ``msg_id`` is retried only when it certainly was not stored.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import itertools
import json
import logging
import math
import threading
from collections.abc import Callable, Coroutine, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import nats
import nats.errors
from nats.aio.client import Client
from nats.aio.msg import Msg

from borderwatch.adapters.nats.checks import check_bus_settings, check_header
from borderwatch.adapters.nats.errors import (
    JetStreamApiError,
    JetStreamUnavailableError,
    PublishOutcomeUnknownError,
)
from borderwatch.adapters.nats.loop import LoopClosedError, LoopThread
from borderwatch.adapters.nats.subscription import JetStreamSubscription
from borderwatch.ports.bus import (
    DEFAULT_ACK_WAIT_S,
    DEFAULT_DUPLICATE_WINDOW_S,
    DEFAULT_MAX_MSGS,
    BusClosedError,
    DeliverPolicy,
    PublishAck,
    check_publish,
    check_subscribe,
)

log = logging.getLogger(__name__)

T = TypeVar("T")

MSG_ID_HEADER = "Nats-Msg-Id"
_WINDOW = 2048
"""Publishes in flight at once in ``publish_many`` (more only fills the server's queue)."""
_RETRY_PAUSE_S = 0.1
_NO_RESPONDERS = "503"


class _NoResponders(Exception):
    """Nobody answered the request's subject (no stream leader, or no such consumer)."""


@dataclass(frozen=True, slots=True)
class _Outgoing:
    subject: str  # the NATS subject
    data: bytes
    headers: dict[str, str] | None
    msg_id: str | None


class JetStreamBus:
    """The bus port on a NATS JetStream stream (docs/bus.md). Usable from any thread.

    ``servers``: one URL or several (a cluster: every node, so the client can fail over).
    ``stream`` is created if missing, or updated to these limits: ``max_msgs``,
    ``max_bytes`` (JetStream counts stored bytes: subject, headers and payload), ``max_age_s``,
    oldest discarded first; ``replicas`` (3 on a cluster: R3); ``duplicate_window_s``.
    ``namespace`` (default: the stream's name) prefixes every subject in the stream.
    ``publish_timeout_s`` bounds one attempt to publish (or one API request), ``retry_s``
    all attempts; ``ephemeral_idle_s`` is how long the server keeps an ephemeral consumer
    that nobody fetches from (its process crashed without closing it); a live subscription
    idle for longer has its consumer made again at its next fetch."""

    def __init__(
        self,
        servers: str | Sequence[str],
        *,
        stream: str = "BW",
        namespace: str | None = None,
        max_msgs: int = DEFAULT_MAX_MSGS,
        max_bytes: int | None = None,
        max_age_s: float | None = None,
        replicas: int = 1,
        duplicate_window_s: float = DEFAULT_DUPLICATE_WINDOW_S,
        connect_timeout_s: float = 5.0,
        publish_timeout_s: float = 2.0,
        retry_s: float = 30.0,
        ephemeral_idle_s: float = 3600.0,
    ) -> None:
        self.servers = [servers] if isinstance(servers, str) else list(servers)
        self.stream = stream
        self.namespace = namespace if namespace is not None else stream
        check_bus_settings(
            self.servers, stream, self.namespace, max_msgs, max_bytes, max_age_s, replicas,
            duplicate_window_s, connect_timeout_s, publish_timeout_s, retry_s, ephemeral_idle_s,
        )  # fmt: skip
        self.max_msgs = max_msgs
        self.max_bytes = max_bytes
        self.max_age_s = max_age_s
        self.replicas = replicas
        self.duplicate_window_s = duplicate_window_s
        self.connect_timeout_s = connect_timeout_s
        self.publish_timeout_s = publish_timeout_s
        self.retry_s = retry_s
        self.ephemeral_idle_s = ephemeral_idle_s
        self._prefix = self.namespace + "."
        self._closed = False
        self._close_lock = threading.Lock()
        self._subscriptions: set[JetStreamSubscription] = set()
        self._replies: dict[int, asyncio.Future[Msg]] = {}
        self._lost_below = 0  # replies with lower tokens were asked on a lost connection
        self._reply_prefix = ""
        self._tokens = itertools.count(1)
        self._nc = Client()
        self._loop = LoopThread(f"jetstream {stream}")
        try:
            self._loop.call(self._connect())
            self._loop.call(self._ensure_stream())
        except BaseException:
            self._closed = True
            with contextlib.suppress(Exception):
                self._loop.call(self._nc.close(), timeout=1.0)
            self._loop.stop()
            raise

    # the port

    def publish(
        self,
        subject: str,
        data: bytes,
        *,
        msg_id: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> PublishAck:
        """Store one message and wait for the stream's answer (JetStream ``PubAck``)."""
        item = self._outgoing(subject, data, msg_id, headers)
        return self.call(self._publish_all([item]), f"publish to {subject!r}")[0]

    def publish_many(self, items: Sequence[tuple[str, bytes, str | None]]) -> list[PublishAck]:
        """Publish ``(subject, data, msg_id)`` items, pipelined: send a window of them, then
        collect their answers, so a batch costs about one round trip per window instead of
        one per message. Answers come back in the order of ``items``; after a failover a
        retried item may be stored after items that followed it."""
        outgoing = [self._outgoing(subject, data, msg_id, None) for subject, data, msg_id in items]
        if not outgoing:
            return []
        return self.call(self._publish_all(outgoing), f"publish {len(outgoing)} messages")

    def publish_soon(
        self, items: Sequence[tuple[str, bytes, str | None]]
    ) -> Callable[[], list[PublishAck]]:
        """:meth:`publish_many` without waiting: the messages are on their way when this
        returns; call the result to wait for their answers (it raises as publish_many
        would). Items given by successive calls from one thread are sent in that order."""
        outgoing = [self._outgoing(subject, data, msg_id, None) for subject, data, msg_id in items]
        if self._closed:
            raise BusClosedError(f"cannot publish {len(outgoing)} messages: the bus is closed")
        try:
            future = self._loop.submit(self._publish_all(outgoing))
        except LoopClosedError as error:
            raise BusClosedError("cannot publish: the bus is closed") from error

        def answers() -> list[PublishAck]:
            try:
                return future.result()
            except concurrent.futures.CancelledError as error:
                raise BusClosedError("the bus closed while publishing") from error

        return answers

    def subscribe(
        self,
        subject_filter: str,
        *,
        durable: str | None = None,
        deliver: DeliverPolicy = "all",
        ack_wait_s: float = DEFAULT_ACK_WAIT_S,
        max_deliver: int | None = None,
    ) -> JetStreamSubscription:
        """A pull consumer; see ``borderwatch.ports.bus.Bus.subscribe``. A durable consumer
        lives on the server and is shared by every subscription, in any process, bound to
        its name; an ephemeral one is deleted when the subscription closes."""
        check_subscribe(subject_filter, durable, deliver, ack_wait_s, max_deliver)
        return self.call(
            JetStreamSubscription.open(
                self, subject_filter, durable=durable, deliver=deliver,
                ack_wait_s=ack_wait_s, max_deliver=max_deliver,
            ),
            f"subscribe to {subject_filter!r}",
        )  # fmt: skip

    def close(self) -> None:
        """Close every subscription (releasing what they hold), then the connection. Later
        use raises ``BusClosedError``; a fetch blocked in another thread raises it too."""
        with self._close_lock:
            if self._closed:
                return
            self._closed = True
        try:
            self._loop.call(self._shutdown(), timeout=self.publish_timeout_s * 4)
        except (LoopClosedError, TimeoutError) as error:
            log.warning("closing the JetStream bus on %r: %s", self.stream, error)
        finally:
            self._loop.stop()

    # beyond the port

    @property
    def closed(self) -> bool:
        return self._closed

    def stream_info(self) -> dict[str, Any]:
        """The stream's JetStream info: ``config``, ``state`` (``first_seq``, ``last_seq``,
        ``messages``, ``bytes``) and, on a cluster, ``cluster`` (``leader``, ``replicas``)."""
        return self.call(self.api(f"STREAM.INFO.{self.stream}", None), "read stream info")

    def delete_stream(self) -> None:
        """Delete the stream and everything in it (tests; an operator's reset)."""
        self.call(self.api(f"STREAM.DELETE.{self.stream}", None), "delete the stream")

    # for the subscriptions (and their event loop)

    @property
    def nc(self) -> Client:
        return self._nc

    @property
    def loop(self) -> LoopThread:
        return self._loop

    @property
    def subscriptions(self) -> set[JetStreamSubscription]:
        """The open subscriptions (touched on the event loop only)."""
        return self._subscriptions

    def nats_subject(self, port_subject: str) -> str:
        return self._prefix + port_subject

    def port_subject(self, nats_subject: str) -> str:
        return nats_subject[len(self._prefix) :]

    def call(self, coroutine: Coroutine[Any, Any, T], doing: str) -> T:
        """Run ``coroutine`` on the bus's event loop and wait for it; ``BusClosedError``
        once the bus is closed."""
        if self._closed:
            coroutine.close()
            raise BusClosedError(f"cannot {doing}: the bus is closed")
        try:
            return self._loop.call(coroutine)
        except LoopClosedError as error:
            raise BusClosedError(f"cannot {doing}: the bus is closed") from error

    def soon(self, callback: Callable[..., object], *args: object) -> None:
        """Run ``callback(*args)`` on the event loop without waiting (in call order)."""
        try:
            self._loop.soon(callback, *args)
        except LoopClosedError as error:
            raise BusClosedError("the bus is closed") from error

    def new_reply(self) -> tuple[str, asyncio.Future[Msg]]:
        """A reply subject and the future its (first) answer will complete (on the loop)."""
        token = next(self._tokens)
        future: asyncio.Future[Msg] = self._loop.loop.create_future()
        self._replies[token] = future
        return f"{self._reply_prefix}{token}", future

    def forget_reply(self, reply: str) -> None:
        future = self._replies.pop(self._token(reply), None)
        if future is not None and not future.done():
            future.cancel()

    def _token(self, subject: str) -> int:
        try:
            return int(subject[len(self._reply_prefix) :])
        except ValueError:
            return 0

    async def request(self, subject: str, data: bytes, timeout: float) -> Msg:
        """One request; ``_NoResponders`` or ``TimeoutError`` when unanswered."""
        reply, future = self.new_reply()
        try:
            await self._nc.publish(subject, data, reply=reply)
            await asyncio.wait([future], timeout=timeout)
        finally:
            self.forget_reply(reply)
        if future.cancelled():
            raise TimeoutError(f"no answer to {subject} (connection lost)")
        if not future.done():
            raise TimeoutError(f"no answer to {subject} within {timeout:g} s")
        answer = future.result()
        if answer.headers and answer.headers.get("Status") == _NO_RESPONDERS:
            raise _NoResponders(subject)
        return answer

    async def api(
        self, what: str, body: Mapping[str, Any] | None, *, retry: bool = True
    ) -> dict[str, Any]:
        """A JetStream API request (``$JS.API.<what>``). An unreachable or temporarily
        unavailable JetStream (no leader yet, a node lost) is asked again until ``retry_s``
        has passed; an error answer raises ``JetStreamApiError``."""
        data = json.dumps(body).encode() if body is not None else b""
        loop = asyncio.get_running_loop()
        give_up_at = loop.time() + (self.retry_s if retry else 0.0)
        while True:
            try:
                answer = await self.request(f"$JS.API.{what}", data, self.publish_timeout_s)
                reply: dict[str, Any] = json.loads(answer.data)
            except (_NoResponders, TimeoutError, nats.errors.Error, ValueError) as error:
                problem = f"{type(error).__name__} {error}".strip()
            else:
                error_info = reply.get("error")
                if error_info is None:
                    return reply
                code = int(error_info.get("code", 0))
                if code != 503:  # 503: JetStream temporarily unavailable (an election)
                    raise JetStreamApiError(
                        f"JetStream {what} on stream {self.stream!r}",
                        code,
                        int(error_info.get("err_code", 0)),
                        str(error_info.get("description", "")),
                    )
                problem = str(error_info.get("description", "unavailable"))
            if loop.time() >= give_up_at:
                raise JetStreamUnavailableError(
                    f"JetStream {what} on stream {self.stream!r} at {self.servers}: no answer "
                    f"within retry_s={self.retry_s:g} s (last: {problem})"
                )
            await asyncio.sleep(_RETRY_PAUSE_S)

    # internals

    def _outgoing(
        self, subject: str, data: bytes, msg_id: str | None, headers: Mapping[str, str] | None
    ) -> _Outgoing:
        check_publish(subject, data, msg_id)
        sent: dict[str, str] | None = None
        if headers:
            sent = {}
            for name, value in headers.items():
                check_header(subject, name, value)
                sent[name] = value
        if msg_id is not None:
            if "\r" in msg_id or "\n" in msg_id:
                raise ValueError(f"msg_id for {subject!r} must not contain a line break")
            sent = sent if sent is not None else {}
            sent[MSG_ID_HEADER] = msg_id
        return _Outgoing(self._prefix + subject, bytes(data), sent, msg_id)

    async def _connect(self) -> None:
        last_error: list[str] = []

        async def on_error(error: Exception) -> None:
            last_error[:] = [f"{type(error).__name__}: {error}"]
            log.debug("NATS connection for stream %r: %s", self.stream, last_error[0])

        async def on_disconnected() -> None:
            if self._closed:
                return  # our own close
            self._lost_below = next(self._tokens)
            log.warning("NATS connection for stream %r lost; reconnecting", self.stream)

        async def on_reconnected() -> None:
            log.warning(
                "NATS connection for stream %r back, to %s", self.stream, self._nc.connected_url
            )
            self._abandon_lost_requests()

        try:
            await asyncio.wait_for(
                self._nc.connect(
                    servers=self.servers,
                    name=f"borderwatch bus {self.stream}",
                    connect_timeout=min(2, max(1, math.ceil(self.connect_timeout_s))),
                    # Keep trying for ever: a publish's own deadline (retry_s) decides when
                    # to give up, and a restarted node comes back at the same address.
                    allow_reconnect=True,
                    max_reconnect_attempts=-1,
                    reconnect_time_wait=0.2,  # type: ignore[arg-type]  # typed int, used as float
                    # A node that vanishes without closing the socket is noticed in ~10 s.
                    ping_interval=5,
                    max_outstanding_pings=2,
                    error_cb=on_error,
                    disconnected_cb=on_disconnected,
                    reconnected_cb=on_reconnected,
                ),
                self.connect_timeout_s,
            )
        except (TimeoutError, OSError, nats.errors.Error) as error:
            reason = last_error[0] if last_error else f"{type(error).__name__} {error}"
            raise JetStreamUnavailableError(
                f"cannot connect to NATS at {self.servers} within connect_timeout_s="
                f"{self.connect_timeout_s:g} s: {reason}"
            ) from None
        self._reply_prefix = self._nc.new_inbox() + "."
        await self._nc.subscribe(self._reply_prefix + "*", cb=self._on_reply)

    async def _on_reply(self, msg: Msg) -> None:
        future = self._replies.pop(self._token(msg.subject), None)
        if future is not None and not future.done():
            future.set_result(msg)

    def _abandon_lost_requests(self) -> None:
        """After a reconnect: the answers to what was asked before the connection broke went
        to the dead server. Give up on them now rather than at their timeouts, so publishes
        are sent again at once (under the same msg_id) and fetches pull again."""
        for token in [t for t in self._replies if t < self._lost_below]:
            future = self._replies.pop(token)
            if not future.done():
                future.cancel()
        for subscription in self._subscriptions:
            subscription.abandon_pulls()

    def _stream_config(self) -> dict[str, Any]:
        return {
            "name": self.stream,
            "subjects": [self._prefix + ">"],
            "retention": "limits",
            "discard": "old",
            "storage": "file",
            "max_msgs": self.max_msgs,
            "max_bytes": self.max_bytes if self.max_bytes is not None else -1,
            "max_age": _ns(self.max_age_s) if self.max_age_s is not None else 0,
            "duplicate_window": _ns(self.duplicate_window_s),
            "num_replicas": self.replicas,
        }

    async def _ensure_stream(self) -> None:
        """Create the stream, or bring an existing one to this bus's limits."""
        wanted = self._stream_config()
        try:
            info = await self.api(f"STREAM.INFO.{self.stream}", None)
        except JetStreamApiError as error:
            if error.err_code != 10059:  # stream not found
                raise
        else:
            config = info["config"]
            if any(config.get(key) != value for key, value in wanted.items()):
                await self.api(f"STREAM.UPDATE.{self.stream}", {**config, **wanted})
            return
        try:
            await self.api(f"STREAM.CREATE.{self.stream}", wanted)
        except JetStreamApiError as error:
            if error.err_code != 10058:  # created meanwhile by another process
                raise
            info = await self.api(f"STREAM.INFO.{self.stream}", None)
            await self.api(f"STREAM.UPDATE.{self.stream}", {**info["config"], **wanted})

    async def _publish_all(self, items: list[_Outgoing]) -> list[PublishAck]:
        loop = asyncio.get_running_loop()
        give_up_at = loop.time() + self.retry_s
        acks: list[PublishAck | None] = [None] * len(items)
        todo = list(range(len(items)))
        last_problem = ""
        while True:
            again: list[int] = []
            for start in range(0, len(todo), _WINDOW):
                sent: list[tuple[int, str, asyncio.Future[Msg]]] = []
                for i in todo[start : start + _WINDOW]:
                    item = items[i]
                    reply, future = self.new_reply()
                    try:
                        await self._nc.publish(
                            item.subject, item.data, reply=reply, headers=item.headers
                        )
                    except nats.errors.Error as error:  # not sent: safe to send again
                        self.forget_reply(reply)
                        again.append(i)
                        last_problem = f"{type(error).__name__} {error}"
                        continue
                    sent.append((i, reply, future))
                if sent:
                    await asyncio.wait([f for _, _, f in sent], timeout=self.publish_timeout_s)
                for i, reply, future in sent:
                    self.forget_reply(reply)
                    outcome = self._outcome(items[i], future)
                    if isinstance(outcome, PublishAck):
                        acks[i] = outcome
                    else:
                        again.append(i)
                        last_problem = outcome
            if not again:
                return [ack for ack in acks if ack is not None]
            if loop.time() >= give_up_at:
                subject = self.port_subject(items[again[0]].subject)
                raise JetStreamUnavailableError(
                    f"could not publish {len(again)} message(s) (first to {subject!r}) to "
                    f"stream {self.stream!r} at {self.servers} within retry_s="
                    f"{self.retry_s:g} s (last: {last_problem})"
                )
            await asyncio.sleep(_RETRY_PAUSE_S)
            todo = again

    def _outcome(self, item: _Outgoing, future: asyncio.Future[Msg]) -> PublishAck | str:
        """The ack, or why to send again; raises when sending again would be wrong."""
        subject = self.port_subject(item.subject)
        if not future.done() or future.cancelled():
            if item.msg_id is None:
                raise PublishOutcomeUnknownError(
                    f"no answer to the publish to {subject!r} within publish_timeout_s="
                    f"{self.publish_timeout_s:g} s: it may or may not be stored (publish "
                    "with a msg_id so that the bus can retry it safely)"
                )
            return "no answer"
        answer = future.result()
        if answer.headers and answer.headers.get("Status") == _NO_RESPONDERS:
            return "no responders (no stream leader)"  # nothing stored: safe to retry
        try:
            reply = json.loads(answer.data)
        except ValueError:
            return f"unreadable answer {answer.data[:80]!r}"
        error_info = reply.get("error")
        if error_info is not None:
            if int(error_info.get("code", 0)) == 503:
                return str(error_info.get("description", "unavailable"))
            raise JetStreamApiError(
                f"publish to {subject!r} on stream {self.stream!r}",
                int(error_info.get("code", 0)),
                int(error_info.get("err_code", 0)),
                str(error_info.get("description", "")),
            )
        return PublishAck(seq=int(reply["seq"]), duplicate=bool(reply.get("duplicate", False)))

    async def _shutdown(self) -> None:
        for subscription in list(self._subscriptions):
            try:
                await subscription.close_async()
            except Exception as error:  # closing the rest matters more
                log.warning("closing %r: %s", subscription, error)
        with contextlib.suppress(nats.errors.Error, TimeoutError, OSError):
            await self._nc.flush(timeout=1)
        with contextlib.suppress(nats.errors.Error, TimeoutError, OSError):  # a lost server
            await self._nc.close()


def _ns(seconds: float) -> int:
    return round(seconds * 1_000_000_000)
