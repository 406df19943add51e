"""Sources: where detections come from. A source yields validated detections in arrival
order and reports the lines it had to reject."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Protocol

from borderwatch.domain import Detection, InputError


@dataclass
class SourceReport:
    """What a source accepted and what it rejected, with the reasons."""

    accepted: int = 0
    rejected: int = 0
    errors: list[InputError] = field(default_factory=list)
    max_errors_kept: int = 1000


class DetectionSource(Protocol):
    report: SourceReport

    def __iter__(self) -> Iterator[Detection]: ...


class ReplaySource:
    """The official fake: replays detections held in memory."""

    def __init__(self, detections: list[Detection]) -> None:
        self._detections = detections
        self.report = SourceReport()

    def __iter__(self) -> Iterator[Detection]:
        for det in self._detections:
            self.report.accepted += 1
            yield det
