"""Subject-addressed messages over a pipe (adapters/bus/pipe.py): what is published on one
end is read on the other with its subject, headers and body, in order."""

from __future__ import annotations

import multiprocessing
import threading

import pytest

from borderwatch.adapters.bus.pipe import PipePublisher, decode_frame, encode_frame


def test_messages_cross_the_pipe_in_order_with_subject_and_headers() -> None:
    receiving, sending = multiprocessing.Pipe(duplex=False)
    bus = PipePublisher(sending)
    body = b"event: tracks\ndata: {}\n\n" * 1000  # newlines in the body are the body's

    def publish() -> None:
        bus.publish("bw.live.tracks", body, headers={"simulated": "1"})
        bus.publish("bw.tracker.status", b"")

    threading.Thread(target=publish).start()
    first, second = decode_frame(receiving.recv_bytes()), decode_frame(receiving.recv_bytes())
    assert (first.subject, dict(first.headers), first.data) == (
        "bw.live.tracks", {"simulated": "1"}, body)
    assert (second.subject, dict(second.headers), second.data) == ("bw.tracker.status", {}, b"")


@pytest.mark.parametrize(("subject", "headers"), [
    ("bw.live.>", None), ("bw..live", None), ("bw.live", {"a b": "1"}), ("bw.live", {"a": "x=y"}),
])
def test_a_wildcard_subject_or_a_header_that_cannot_be_framed_is_refused(
        subject: str, headers: dict[str, str] | None) -> None:
    with pytest.raises(ValueError):
        encode_frame(subject, b"", headers)
