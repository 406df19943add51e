"""Where responder position reports go (a TAK device's self reports, adapters/tak/): the
responder registry, or the live feed, or both. One method; the fake keeps what it got."""

from __future__ import annotations

from typing import Protocol

from borderwatch.domain.responder import ResponderPosition


class ResponderSink(Protocol):
    def report(self, position: ResponderPosition) -> object:
        """Take one report. Called from the TAK stream's event loop for each position a
        device sends: it must not block for long. What it returns (the registry says
        whether it kept the report) is not used."""
        ...


class RecordingResponders:
    """The official fake: keeps every report, in order (a list append: safe to read from
    another thread, as tests do while the stream runs)."""

    def __init__(self) -> None:
        self.reports: list[ResponderPosition] = []

    def report(self, position: ResponderPosition) -> None:
        self.reports.append(position)
