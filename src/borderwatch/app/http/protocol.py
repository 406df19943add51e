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
    """Counts the bytes of the reads that a request's head spans, answers 431 and closes the
    connection once they pass the limit: at most the limit and two reads are kept.

    A read that completes a head usually holds the start of the body too, and one that
    begins a request may end the one before (keep-alive, pipelining): neither is counted
    whole, so a large body never passes for a large head."""

    max_head_bytes = MAX_HEAD_BYTES

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        self._head_bytes = 0
        self._in_head = False
        self._begun = 0
        super().connection_made(transport)

    def data_received(self, data: bytes) -> None:
        begun, in_head = self._begun, self._in_head
        super().data_received(data)
        if self._begun != begun:  # a request began in this read: its head's part is in it
            self._head_bytes = 0
        elif in_head and self._in_head:  # all of this read is head
            self._head_bytes += len(data)
        if self._in_head and self._head_bytes > self.max_head_bytes \
                and not self.transport.is_closing():
            self._in_head = False
            self.transport.write(
                b"HTTP/1.1 431 Request Header Fields Too Large\r\n"
                b"content-type: text/plain; charset=utf-8\r\n"
                b"content-length: " + str(len(_MESSAGE)).encode() + b"\r\n"
                b"connection: close\r\n\r\n" + _MESSAGE)
            self.transport.close()

    def on_message_begin(self) -> None:
        self._begun += 1
        self._in_head = True
        super().on_message_begin()

    def on_headers_complete(self) -> None:
        self._in_head = False
        super().on_headers_complete()
