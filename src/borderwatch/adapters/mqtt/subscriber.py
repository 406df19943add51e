"""A durable MQTT subscriber: QoS 1 under a fixed client id in a persistent session, each
message acknowledged only once its handler has stored it.

Why each piece (MQTT 3.1.1, sections 3.1.2.4 and 4.3.2): QoS 1 makes the broker resend
a message until it is acknowledged; the persistent session (clean_session False, the
same client id every time) makes it keep the subscription and queue the messages that
arrive while Borderwatch restarts; acknowledging after storing (paho's ``manual_ack``)
means a crash between receiving and storing loses nothing, the broker sends it again.
Delivery is therefore at least once: the handler must take a repeat calmly (Frigate
messages become detections with fixed ids, and the detection log stores an id once).

paho's network thread receives; a thread of ours hands the handler everything queued so
far as one batch (one transaction for many messages), then acknowledges them. paho
reconnects by itself with back-off (broker.RECONNECT_MIN_S to RECONNECT_MAX_S).
"""

from __future__ import annotations

import contextlib
import queue
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import paho.mqtt.client as mqtt

from borderwatch.adapters.mqtt.broker import KEEPALIVE_S, Broker, make_client

MAX_BATCH = 2_000
"""Most messages handed over in one batch."""
RETRY_FIRST_S = 0.2
"""The first wait before a failed batch is handed over again (then doubled, up to the
subscriber's ``retry_max_s``)."""


@dataclass(frozen=True)
class Received:
    """One message as the handler gets it."""

    payload: bytes
    topic: str
    received_s: float
    """``time.time()`` when paho read it off the socket."""


@dataclass
class SubscriberStatus:
    connected: bool = False
    connections: int = 0
    """Successful connections (1 + reconnections)."""
    resumed: int = 0
    """Connections on which the broker still held our session (``session present``)."""
    received: int = 0
    handled: int = 0
    last_error: str = ""
    failing: bool = False
    """The handler failed on the batch in hand and it is being retried (``retry_max_s``)."""
    retries: int = 0
    """Batches handed over again after the handler failed."""


@dataclass
class MqttSubscriber:
    """Subscribes ``topic`` on ``broker`` and hands batches of messages to ``handle``."""

    broker: Broker
    topic: str
    client_id: str
    """Fixed across restarts: the broker keys the persistent session by it."""
    handle: Callable[[Sequence[Received]], None]
    """Stores a batch; returns normally only when it is stored (then it is acknowledged).
    If it raises, nothing of the batch is acknowledged; see ``retry_max_s``."""
    max_batch: int = MAX_BATCH
    retry_max_s: float | None = None
    """None: a failing handler stops the subscriber (``failed``; a one-shot command reports
    it and exits). A number: the same batch is handed over again with back-off, from
    RETRY_FIRST_S doubling up to this many seconds, until it is stored or the subscriber
    stops (a service rides out a storage outage instead of going deaf until a restart).
    Meanwhile the broker holds back what it has not sent: it sends a QoS 1 client only so
    many unacknowledged messages (Mosquitto's max_inflight_messages), so memory stays
    bounded, and the rest waits in the session."""
    status: SubscriberStatus = field(default_factory=SubscriberStatus)
    _queue: queue.SimpleQueue[tuple[int, int, int, Received]] = field(
        default_factory=queue.SimpleQueue)
    _generation: int = 0
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None
    _client: mqtt.Client | None = None
    failed: BaseException | None = None
    _subscribed: threading.Event = field(default_factory=threading.Event)

    def start(self, wait_s: float | None = 10.0) -> None:
        """Connect (in the background, retried with back-off) and start handing over.
        With ``wait_s``, wait that long for the first subscription; a broker that does
        not answer by then is reported (``ConnectionError``) and the subscriber stopped."""
        client = make_client(self.broker, self.client_id, persistent=True, manual_ack=True)
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.on_message = self._on_message
        client.on_connect_fail = self._on_connect_fail
        self._client = client
        client.connect_async(self.broker.host, self.broker.port, KEEPALIVE_S)
        client.loop_start()
        self._thread = threading.Thread(target=self._run, name="mqtt-handler", daemon=True)
        self._thread.start()
        if wait_s is not None and not self._subscribed.wait(wait_s):
            why = self.status.last_error or "no answer"
            self.stop()
            raise ConnectionError(f"could not subscribe to {self.topic} on {self.broker.url} "
                                  f"within {wait_s:g} s: {why}")

    @property
    def pending(self) -> int:
        """Received and not yet handed over."""
        return self._queue.qsize()

    def stop(self, drain_s: float = 5.0) -> None:
        """Hand over what was received (up to ``drain_s``), then disconnect. What was not
        acknowledged stays with the broker, in the session, for the next start."""
        deadline = time.monotonic() + drain_s
        while (not self._queue.empty() and self.failed is None and not self.status.failing
               and time.monotonic() < deadline):
            time.sleep(0.01)
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=drain_s + 5.0)
        if self._client is not None:
            self._client.disconnect()
            self._client.loop_stop()

    def _on_connect(self, client: mqtt.Client, userdata: Any, flags: mqtt.ConnectFlags,
                    reason: Any, properties: Any) -> None:
        if reason.is_failure:
            self.status.last_error = f"the broker refused the connection: {reason}"
            return
        self._generation += 1  # acknowledgements of an earlier connection are void
        self.status.connected = True
        self.status.connections += 1
        self.status.resumed += int(flags.session_present)
        client.subscribe(self.topic, qos=1)
        self._subscribed.set()

    def _on_disconnect(self, client: mqtt.Client, userdata: Any, flags: Any, reason: Any,
                       properties: Any) -> None:
        self.status.connected = False
        if not self._stop.is_set():
            self.status.last_error = f"disconnected: {reason}; reconnecting"

    def _on_connect_fail(self, client: mqtt.Client, userdata: Any) -> None:
        self.status.last_error = f"cannot connect to {self.broker.url}; retrying"

    def _on_message(self, client: mqtt.Client, userdata: Any, message: mqtt.MQTTMessage
                    ) -> None:
        self.status.received += 1
        self._queue.put((self._generation, message.mid, message.qos,
                         Received(bytes(message.payload), message.topic, time.time())))

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                first = self._queue.get(timeout=0.05)
            except queue.Empty:
                continue
            batch = [first]
            with contextlib.suppress(queue.Empty):
                while len(batch) < self.max_batch:
                    batch.append(self._queue.get_nowait())
            if not self._hand_over(batch):
                return
            self.status.handled += len(batch)
            client = self._client
            assert client is not None
            for generation, mid, qos, _ in batch:
                # An acknowledgement belongs to the connection the message came on: after a
                # reconnection the broker sends the message again (and the id is reused).
                if generation == self._generation and qos > 0:
                    client.ack(mid, qos)

    def _hand_over(self, batch: Sequence[tuple[int, int, int, Received]]) -> bool:
        """Hand ``batch`` to the handler, again after each failure when retrying; whether it
        was stored (False: the subscriber is stopping and nothing of it is acknowledged)."""
        wait_s = RETRY_FIRST_S
        messages = [item[3] for item in batch]  # the same list on each try (handler's cache)
        while True:
            try:
                self.handle(messages)
            except BaseException as err:  # stored nothing: the batch stays unacknowledged
                self.status.last_error = f"the handler failed: {type(err).__name__}: {err}"
                if self.retry_max_s is None:
                    self.failed = err
                    self._stop.set()
                    return False
                self.status.failing = True
                if self._stop.wait(wait_s):
                    return False
                self.status.retries += 1
                wait_s = min(wait_s * 2, self.retry_max_s)
                continue
            if self.status.failing:
                self.status.failing = False
                self.status.last_error = ""
            return True
