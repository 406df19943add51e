"""uvicorn's httptools protocol with a bound on a request's head (request line and headers).

uvicorn bounds the head only with its pure-Python h11 parser (``h11_max_incomplete_event_size``,
16 KiB); with httptools, the C parser ``serve`` uses for speed, a header value is kept
whatever its length (uvicorn issue 157). Before this bound, one client without a key sent a
200 MB header to ``serve`` and its memory grew by 379 MB (bench/abuse.py). Now a head
longer than :data:`MAX_HEAD_BYTES` is answered 431 (RFC 6585 section 5) and the connection
is closed; the rest is not read.
"""

from __future__ import annotations

import asyncio

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

MAX_HEAD_BYTES = 64 * 1024
"""Request line and headers together: an API key and a query take well under 2 KiB; four
times nginx's default buffers for a long header (4 x 8 KiB)."""

_MESSAGE = (f"the request line and headers are longer than this service takes "
            f"({MAX_HEAD_BYTES} bytes)").encode()


class BoundedHeadProtocol(HttpToolsProtocol):
    """Counts the bytes received while a request's head is incomplete (at most one read
    more than the limit is taken), answers 431 and closes the connection beyond it."""

    max_head_bytes = MAX_HEAD_BYTES

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        self._head_bytes = 0
        self._in_head = True
        super().connection_made(transport)

    def data_received(self, data: bytes) -> None:
        if self._in_head:
            self._head_bytes += len(data)
            if self._head_bytes > self.max_head_bytes:
                self._in_head = False
                self.transport.write(
                    b"HTTP/1.1 431 Request Header Fields Too Large\r\n"
                    b"content-type: text/plain; charset=utf-8\r\n"
                    b"content-length: " + str(len(_MESSAGE)).encode() + b"\r\n"
                    b"connection: close\r\n\r\n" + _MESSAGE)
                self.transport.close()
                return
        super().data_received(data)

    def on_headers_complete(self) -> None:
        self._in_head = False
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        super().on_message_complete()
        self._in_head, self._head_bytes = True, 0  # the next request on this connection
