"""The one place where the stages are composed: read this top-down to see the system.

    source -> ReorderBuffer -> ScanBuilder -> Tracker -> GroupTracker -> Watch -> incidents
           -> Router -> sinks

The watch rules and the track listeners see *group tracks* (tracking.groups): people
walking together are one group with a head count; a group reported by its sensors as one
detection is one track and one group, with the same id.

Every stage is received, not built, by :class:`Pipeline`; :func:`build_pipeline` is the
default composition that the CLI and the demo use.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from borderwatch.alerts import AlertSink, Router, SharingPolicy
from borderwatch.domain import Alert, Detection, Incident
from borderwatch.geo import Boundary, Places
from borderwatch.sources import ReorderBuffer
from borderwatch.tracking import Scan, Tracker
from borderwatch.tracking.groups import GroupTracker
from borderwatch.tracking.scans import ScanBuilder
from borderwatch.tracking.tracker import TrackBatch
from borderwatch.watch import (
    ApproachRule,
    ConditionsProvider,
    CrossingRule,
    IncidentFactory,
    RiskModel,
    Watch,
    WatchRule,
)
from borderwatch.watch.revision import CountRevisions
from borderwatch.watch.risk import UNKNOWN_CONDITIONS

TrackListener = Callable[[TrackBatch], None]
PlaceFilter = Callable[[float, float], bool]
"""``(lat, lon) -> bool``: whether an incident at that place is raised here."""
IncidentListener = Callable[[Incident, list[Alert]], None]


class AlertRouter(Protocol):
    """Who must hear of an incident: :class:`~borderwatch.alerts.Router` (fixed rules) or
    :class:`~borderwatch.alerts.AlertCenter` (routing policy, lifecycle, channels, outbox)."""

    def route(self, incident: Incident) -> list[Alert]: ...


@dataclass
class RunCounts:
    detections: int = 0
    scans: int = 0
    track_updates: int = 0
    incidents: int = 0
    alerts: int = 0
    revisions: int = 0
    cues: list[Detection] = field(default_factory=list)


class PlacedWatch(Watch):
    """A :class:`Watch` that raises only the incidents whose place passes a filter (one
    segment's core, geo/segments.py). Every rule still sees every track, so a track that
    began in a neighbour's segment is followed here all the same; the incident ids of
    those left out are still used up, so each pipeline's ids stay deterministic."""

    def __init__(self, boundary: Boundary, rules: Sequence[WatchRule],
                 raises_at: PlaceFilter, revisions: CountRevisions | None = None) -> None:
        super().__init__(boundary, rules, revisions=revisions)
        self.raises_at = raises_at
        self.left_to_neighbours = 0

    def keep(self, incidents: list[Incident]) -> list[Incident]:
        kept = [i for i in incidents if self.raises_at(i.lat, i.lon)]
        self.left_to_neighbours += len(incidents) - len(kept)
        return kept


class Pipeline:
    """The stages run in order on a detection stream: feed detections, get the incidents
    they completed (already routed to alerts if a router was given); ``finish`` flushes
    what the reorder buffer and the open scan still hold."""

    def __init__(
        self,
        *,
        reorder: ReorderBuffer,
        scans: ScanBuilder,
        tracker: Tracker,
        watch: Watch,
        groups: GroupTracker | None = None,
        router: AlertRouter | None = None,
        sinks: Sequence[AlertSink] = (),
        track_listeners: Sequence[TrackListener] = (),
        incident_listeners: Sequence[IncidentListener] = (),
        revision_listeners: Sequence[IncidentListener] = (),
    ) -> None:
        """``revision_listeners`` hear each revision of a raised incident (its head count
        firmed up: watch/revision.py) with the alerts it updated; ``incident_listeners``
        hear raised incidents only, so what counts incidents counts each once."""
        self.reorder = reorder
        self.scans = scans
        self.tracker = tracker
        self.groups = groups
        self.watch = watch
        self.router = router
        self.sinks = tuple(sinks)
        self.track_listeners = tuple(track_listeners)
        self.incident_listeners = tuple(incident_listeners)
        self.revision_listeners = tuple(revision_listeners)
        self.counts = RunCounts()
        self.incidents: list[Incident] = []
        self.revisions: list[Incident] = []
        """Every revision made, in order (the raised incidents are in ``incidents``)."""

    def feed(self, detection: Detection) -> list[Incident]:
        """Take one detection (arrival order); return incidents it led to."""
        return self.feed_many([detection])

    def feed_many(
        self,
        detections: list[Detection],
        *,
        cut: bool = False,
        on_error: Callable[[Exception], None] | None = None,
    ) -> list[Incident]:
        """:meth:`feed` for a run of detections (arrival order), with one call into the
        reorder buffer and the scan builder for the whole run.

        ``cut``: also track the time window the scan builder holds open, instead of
        waiting for a report of a later window to close it. A live service with no
        reorder window does this when its queue runs dry, so what it has is on the map
        now; a report of the same window arriving later is tracked as a second scan of
        that window. ``on_error``: a window the tracker or a listener fails on is handed
        to it and the next windows go on (else the error is raised)."""
        released = self.reorder.push_many(detections)
        scans = self.scans.add_many(released) if released else []
        if cut:
            scans.extend(self.scans.flush())
        out: list[Incident] = []
        for scan in scans:
            try:
                out.extend(self._window([scan]))
            except Exception as err:  # reported, and the stream goes on, when asked
                if on_error is None:
                    raise
                on_error(err)
        return out

    def feed_all(self, detections: Iterable[Detection]) -> list[Incident]:
        out: list[Incident] = []
        for det in detections:
            out.extend(self.feed(det))
        out.extend(self.finish())
        return out

    def finish(self) -> list[Incident]:
        """End of stream: release what the reorder buffer and scan builder hold."""
        out: list[Incident] = []
        for scan in self.scans.add_many(list(self.reorder.flush())) + self.scans.flush():
            out.extend(self._window([scan]))
        return out

    def _window(self, scans: list[Scan]) -> list[Incident]:
        counts = self.counts
        counts.scans += len(scans)
        counts.detections += sum(len(scan) for scan in scans)
        batch = self.tracker.process_window(scans)
        counts.cues.extend(batch.cues)
        counts.track_updates += len(batch)
        if self.groups is not None:
            batch = self.groups.update(batch, self.tracker)
        prepared = self.watch.prepare(batch)  # the head counts of groups through gaps
        for listener in self.track_listeners:
            listener(prepared.batch)
        incidents, revisions = self.watch.judge_revised(prepared)
        for revision in revisions:
            # Sent as an update of the alerts the incident raised (AlertCenter), never as
            # a new alert; the pipeline's own sinks saw the alert once already.
            updated = self.router.route(revision) if self.router else []
            for revision_listener in self.revision_listeners:
                revision_listener(revision, updated)
        counts.revisions += len(revisions)
        self.revisions.extend(revisions)
        for incident in incidents:
            alerts = self.router.route(incident) if self.router else []
            for incident_listener in self.incident_listeners:
                incident_listener(incident, alerts)
            for alert in alerts:
                for sink in self.sinks:
                    sink.deliver(alert)
            counts.alerts += len(alerts)
        counts.incidents += len(incidents)
        self.incidents.extend(incidents)
        return incidents

    @property
    def suppressed_animal_crossings(self) -> int:
        return sum(getattr(rule, "suppressed_animal_crossings", 0) for rule in self.watch.rules)


def build_pipeline(
    boundary: Boundary,
    *,
    conditions: ConditionsProvider = UNKNOWN_CONDITIONS,
    places: Places | None = None,
    sharing: SharingPolicy | None = None,
    sinks: Sequence[AlertSink] = (),
    route: bool = True,
    reorder_window_s: float = 5.0,
    scan_window_s: float = 1.0,
    track_listeners: Sequence[TrackListener] = (),
    incident_listeners: Sequence[IncidentListener] = (),
    revision_listeners: Sequence[IncidentListener] = (),
    alert_router: AlertRouter | None = None,
    incident_prefix: str = "INC",
    first_track_serial: int = 1,
    raises_at: PlaceFilter | None = None,
) -> Pipeline:
    """The default composition: every stage with its default settings. ``alert_router``
    (e.g. an :class:`~borderwatch.alerts.AlertCenter`) replaces the fixed-rule router.

    For one of several pipelines that share a picture (one per boundary segment,
    geo/segments.py): ``incident_prefix`` and ``first_track_serial`` keep their ids apart,
    and ``raises_at(lat, lon)`` says where this one raises incidents (its segment's core);
    it watches everything it is fed, so a group tracked in the overlap is raised by
    exactly one of them."""
    factory = IncidentFactory(boundary, RiskModel(conditions), prefix=incident_prefix)
    rules: list[WatchRule] = [CrossingRule(boundary, factory), ApproachRule(boundary, factory)]
    revisions = CountRevisions(factory.risk)
    watch: Watch = (Watch(boundary, rules, revisions=revisions) if raises_at is None
                    else PlacedWatch(boundary, rules, raises_at, revisions))
    router: AlertRouter | None = alert_router or (
        Router(boundary, places or Places.bundled(), sharing or SharingPolicy.bundled())
        if route
        else None
    )
    return Pipeline(
        reorder=ReorderBuffer(reorder_window_s),
        scans=ScanBuilder(boundary.frame, window_s=scan_window_s),
        tracker=Tracker(first_serial=first_track_serial),
        watch=watch,
        groups=GroupTracker(),
        router=router,
        sinks=sinks,
        track_listeners=track_listeners,
        incident_listeners=incident_listeners,
        revision_listeners=revision_listeners,
    )
