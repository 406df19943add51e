"""`borderwatch run` as a library call: a detection file in, an incident file out."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import orjson

from borderwatch.adapters.sources.jsonl import JsonlDetectionSource
from borderwatch.domain import Detection, Incident, InputError
from borderwatch.domain.time import format_time
from borderwatch.geo import Boundary
from borderwatch.pipeline import AlertRouter, build_pipeline
from borderwatch.sources.base import SourceReport
from borderwatch.sources.time_guard import MIN_AHEAD_S, AheadGuard
from borderwatch.watch import ConditionsProvider, incident_to_wire
from borderwatch.watch.risk import UNKNOWN_CONDITIONS


@dataclass
class RunReport:
    """What a run of ``borderwatch run`` saw: detections accepted, rejected (with the first
    errors), late and duplicate, incidents by type, tracks started, alerts, and timing."""

    accepted: int = 0
    rejected: int = 0
    errors: list[InputError] = field(default_factory=list)
    late: int = 0
    unplaceable: int = 0
    """Reports the map frame cannot place (e.g. at the far pole): counted, not tracked."""
    duplicates: int = 0
    cues: int = 0
    incidents: int = 0
    crossings: int = 0
    approaches: int = 0
    suppressed_animal_crossings: int = 0
    tracks_started: int = 0
    alerts: int = 0
    """Alerts raised (with an alert router)."""
    seconds: float = 0.0
    data_span_s: float = 0.0
    """Time covered by the stream (newest minus oldest report)."""

    @property
    def detections_per_s(self) -> float:
        return self.accepted / self.seconds if self.seconds > 0 else float("nan")

    @property
    def times_real_time(self) -> float:
        """How much faster than the data's own clock the stream was replayed."""
        return self.data_span_s / self.seconds if self.seconds > 0 else float("nan")


class NoValidDetection(InputError):
    """Not one line of the file was a detection: refused, and no output written. ``report``
    keeps the per-line errors (e.g. a case JSON or an incident file given by mistake)."""

    def __init__(self, source: str, report: SourceReport) -> None:
        reason = (
            f"no valid detection: all {report.rejected:,} lines refused"
            if report.rejected
            else "no detection in the file"
        )
        super().__init__(
            None, f"{reason}; expected JSONL in the detection wire format", source=source
        )
        self.report = report


def run_file(
    detections: str | Path,
    incidents: str | Path,
    *,
    boundary: Boundary | None = None,
    conditions: ConditionsProvider = UNKNOWN_CONDITIONS,
    strict: bool = False,
    reorder_window_s: float = 5.0,
    progress: Callable[[int], None] | None = None,
    alert_router: AlertRouter | None = None,
) -> RunReport:
    """Replay a JSONL detection stream and write incidents as JSONL.

    A recorded file is in its own data time: no wall-clock check applies, but a report
    dated well ahead of the reports after it in the file is refused (counted with the
    bad lines) rather than left to make them all late (sources/time_guard.py).

    Incidents are written as they are raised (and flushed), to a temporary file renamed at
    the end: a reader never sees a half-written file, and a failed run leaves no output.
    A file without one valid detection raises :class:`NoValidDetection`. With
    ``alert_router`` (an :class:`~borderwatch.alerts.AlertCenter`), every incident is also
    routed by its policy and its messages stored in the outbox.
    """
    boundary = boundary or Boundary.bundled()
    source = JsonlDetectionSource(detections, strict=strict)
    guard = AheadGuard(max_ahead_s=max(MIN_AHEAD_S, reorder_window_s))
    out_path = Path(incidents)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    tmp = out_path.with_name(f".{out_path.name}.partial")
    report = RunReport()
    started = time.perf_counter()
    pipeline = build_pipeline(
        boundary,
        conditions=conditions,
        route=alert_router is not None,
        reorder_window_s=reorder_window_s,
        alert_router=alert_router,
    )
    try:
        with tmp.open("wb") as out:

            def write(found: Iterable[Incident]) -> None:
                for incident in found:
                    out.write(orjson.dumps(incident_to_wire(incident)) + b"\n")

            for det in _counted(guard.filter(source), progress):
                if strict and guard.refused:
                    raise _ahead_error(guard.refused[0], guard.max_ahead_s, str(detections))
                write(pipeline.feed(det))
            write(pipeline.finish())
            if source.report.accepted == 0:
                raise NoValidDetection(str(detections), source.report)
        tmp.replace(out_path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    report.seconds = time.perf_counter() - started
    report.data_span_s = pipeline.reorder.span_s
    report.accepted = source.report.accepted - len(guard.refused)
    report.rejected = source.report.rejected + len(guard.refused)
    report.errors = source.report.errors + [
        _ahead_error(det, guard.max_ahead_s, str(detections))
        for det in guard.refused[:max(0, source.report.max_errors_kept
                                      - len(source.report.errors))]]
    report.late = pipeline.reorder.report.late
    report.unplaceable = pipeline.scans.dropped
    report.duplicates = pipeline.reorder.report.duplicates
    report.cues = len(pipeline.counts.cues)
    report.incidents = len(pipeline.incidents)
    report.crossings = sum(1 for i in pipeline.incidents if i.type.value == "crossing")
    report.approaches = sum(1 for i in pipeline.incidents if i.type.value == "approach")
    report.suppressed_animal_crossings = pipeline.suppressed_animal_crossings
    report.tracks_started = pipeline.tracker.tracks_started
    report.alerts = pipeline.counts.alerts
    return report


def _ahead_error(det: Detection, max_ahead_s: float, source: str) -> InputError:
    which = f"id {det.id!r}" if det.id is not None else f"sensor {det.sensor_id!r}"
    return InputError("time", f"{format_time(det.time)} ({which}) is more than "
                      f"{max_ahead_s:g} s ahead of the reports that follow it in the file: "
                      "refused, as it would make them all late", source=source)


def _counted(
    source: Iterable[Detection], progress: Callable[[int], None] | None
) -> Iterator[Detection]:
    if progress is None:
        yield from source
        return
    for n, det in enumerate(source, start=1):
        if n % 10_000 == 0:
            progress(10_000)
        yield det
