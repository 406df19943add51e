"""Webhook delivery: POSTs outbox messages, signed with a timestamp (format and headers:
alerts/webhook.py), each attempt bounded by one overall deadline.

httpx's own timeouts bound each phase and each read separately, so a receiver that
trickles one byte at a time never trips them (docs/gotchas.md). The deadline is therefore
enforced by cancelling the whole request (``asyncio.timeout``) on the transport's own event
loop thread: connecting, TLS, sending and reading the status all count against it, and a
cancelled request's connection is closed, never reused.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import ssl
import threading
import time
from collections.abc import Callable
from concurrent.futures import TimeoutError as FutureTimeout
from urllib.parse import urlsplit

import httpx

from borderwatch.alerts.base import DeliveryError
from borderwatch.alerts.outbox import DEADLINE_S, Message
from borderwatch.alerts.webhook import DEDUP_HEADER, signature_headers

ANSWER_BYTES = 64 * 1024
"""What is read of a receiver's reply body at most (only its status matters)."""


class WebhookTransport:
    """POSTs outbox messages to their ``http://`` / ``https://`` destination, signed; any
    number of threads may send at once (each request runs on the transport's loop)."""

    def __init__(
        self,
        secret: bytes,
        *,
        deadline_s: float = DEADLINE_S,
        clock: Callable[[], float] = time.time,
    ) -> None:
        """``deadline_s``: the longest one attempt may take, whatever the receiver does;
        past it the attempt is a failure the outbox retries. ``clock``: epoch seconds,
        what each attempt's ``X-Borderwatch-Timestamp`` says."""
        if not secret:
            raise ValueError("a webhook needs a non-empty shared secret")
        if not (math.isfinite(deadline_s) and deadline_s > 0):
            raise ValueError(f"deadline_s must be a positive number of seconds, got {deadline_s}")
        self.secret = secret
        self.deadline_s = deadline_s
        self.clock = clock
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._client: httpx.AsyncClient | None = None
        self._start_lock = threading.Lock()

    def send(self, message: Message) -> None:
        """POST the message body to its destination URL, signed and with its dedup key.
        Raises :class:`DeliveryError` for a URL that is not http(s), a failed connection
        (after one fresh retry, within the deadline), a non-2xx reply, or no complete
        status within ``deadline_s``."""
        parts = urlsplit(message.destination)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise DeliveryError(f"not an http(s) URL: {message.destination!r}")
        headers = {
            "Content-Type": message.content_type,
            DEDUP_HEADER: message.dedup_key,
            **signature_headers(message.body, self.secret, self.clock()),
        }
        loop = self._started()
        future = asyncio.run_coroutine_threadsafe(
            self._post(message.destination, message.body, headers), loop)
        try:
            # The coroutine ends itself at the deadline; this wait is a safety margin only.
            future.result(self.deadline_s + 5.0)
        except FutureTimeout as err:
            future.cancel()
            raise DeliveryError(f"{message.destination}: no answer within "
                                f"{self.deadline_s:g} s") from err

    async def _post(self, url: str, body: bytes, headers: dict[str, str]) -> None:
        assert self._client is not None
        try:
            async with asyncio.timeout(self.deadline_s):
                for attempt in (1, 2):
                    try:
                        async with self._client.stream(
                            "POST", url, content=body, headers=headers
                        ) as response:
                            await _read_some(response)
                    except (httpx.RemoteProtocolError, httpx.ReadError,
                            httpx.WriteError) as err:
                        # A kept-alive connection the receiver already closed fails at
                        # once; one fresh connection is tried before counting a failure.
                        if attempt == 2:
                            raise DeliveryError(f"{url}: {type(err).__name__}: {err}") from err
                        continue
                    except httpx.TransportError as err:
                        raise DeliveryError(f"{url}: {type(err).__name__}: {err}") from err
                    if not 200 <= response.status_code < 300:
                        raise DeliveryError(f"{url}: HTTP {response.status_code}")
                    return
        except TimeoutError as err:
            raise DeliveryError(f"{url}: no complete answer within the {self.deadline_s:g} s "
                                "deadline") from err

    def _started(self) -> asyncio.AbstractEventLoop:
        with self._start_lock:
            if self._loop is None:
                loop = asyncio.new_event_loop()
                self._client = httpx.AsyncClient(
                    # The system's trust store and hostname checks, as the standard library's
                    # HTTPS does; no proxy taken from the environment.
                    verify=ssl.create_default_context(),
                    trust_env=False,
                    follow_redirects=False,
                    timeout=httpx.Timeout(self.deadline_s),
                    headers={"User-Agent": "borderwatch-webhook"},
                )
                self._thread = threading.Thread(target=loop.run_forever, name="webhook-loop",
                                                daemon=True)
                self._thread.start()
                self._loop = loop
            return self._loop

    def close(self) -> None:
        with self._start_lock:
            loop, thread, client = self._loop, self._thread, self._client
            self._loop = self._thread = self._client = None
        if loop is None or thread is None or client is None:
            return
        # Closing anyway: a connection that will not close in time is dropped with the loop.
        with contextlib.suppress(Exception):
            asyncio.run_coroutine_threadsafe(client.aclose(), loop).result(5.0)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(5.0)
        if not thread.is_alive():
            loop.close()


async def _read_some(response: httpx.Response) -> None:
    """Read the reply body up to :data:`ANSWER_BYTES` (so the connection can be kept); a
    longer one is left unread and its connection closed."""
    size = 0
    async for chunk in response.aiter_raw():
        size += len(chunk)
        if size > ANSWER_BYTES:
            return
