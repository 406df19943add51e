"""What the JetStream bus raises beyond the port's ``BusClosedError``."""

from __future__ import annotations


class JetStreamError(RuntimeError):
    """JetStream refused a request, or could not be reached in time."""


class JetStreamApiError(JetStreamError):
    """An error answer of the JetStream API (``code`` like HTTP, ``err_code`` JetStream's)."""

    def __init__(self, doing: str, code: int, err_code: int, description: str) -> None:
        super().__init__(f"{doing}: {description} (JetStream error {err_code}, code {code})")
        self.code = code
        self.err_code = err_code
        self.description = description


class JetStreamUnavailableError(JetStreamError):
    """No usable answer from the stream within the bus's ``retry_s``."""


class PublishOutcomeUnknownError(JetStreamError):
    """A publish without ``msg_id`` got no answer: it may or may not be stored. Publishing it
    again could store it twice, so the bus does not; give a ``msg_id`` to make retries
    safe."""
