"""One boundary segment's tracker inside a tracker worker: it reads the segment's
detection subject from the start of the stream, rebuilds its state from what was
already processed, then processes the rest, committing each fetched run of messages in
one transaction with the segment's position (coordination.py).

Replay and live are one code path: messages at or below the position the runner started
from are fed to the pipeline only (their effects are committed already: nothing is
stored, routed or published again); those after it are stored, tracked, routed and
published. The pipeline is deterministic for a given sequence of messages (ticks
included, wire.py), so a worker that takes a segment over rebuilds exactly the tracks
the dead one had, with the same ids, and raises nothing twice.

What the runner shows: tracks whose position lies in its own segment's core, so a group
inside the overlap is on the map once; an incident only where its place lies in the core
(pipeline.PlacedWatch), so it is raised once (docs/deployment.md, "Hand-over").
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from typing import Any, Protocol

from borderwatch.adapters.sources.detection_wire import parse_detection
from borderwatch.adapters.sqlite.alerts import state_to_json
from borderwatch.alerts import AlertEvent
from borderwatch.alerts.center import AlertCenter
from borderwatch.alerts.lifecycle import PageScope
from borderwatch.app.cluster.wire import (
    TICK_BODY,
    decode_batch,
    detection_subject,
    tick_id,
)
from borderwatch.app.runtime.live import track_features
from borderwatch.domain import Alert, Detection, Incident, InputError
from borderwatch.domain.time import epoch_to_datetime, format_time
from borderwatch.geo import Boundary
from borderwatch.geo.segments import Segments
from borderwatch.pipeline import Pipeline, build_pipeline
from borderwatch.ports.bus import Bus, Message, Subscription
from borderwatch.ports.coordination import SegmentProgress
from borderwatch.ports.storage import Storage
from borderwatch.tracking import TrackBatch, track_id
from borderwatch.watch import ConditionsProvider, incident_to_wire
from borderwatch.watch.risk import UNKNOWN_CONDITIONS

Event = dict[str, Any]
Publish = Callable[[list[Event]], None]
"""Sends a run's live events, in order (one batch of publishes to the live stream)."""
PublishSoon = Callable[[list[Event]], Callable[[], object]]
"""Sends live events without waiting; the function returned waits for the bus's answers
(and raises as :data:`Publish` would)."""
SERIALS_PER_SEGMENT = 100_000_000
"""Track serials of segment i start at i x this + 1: ids never meet across segments."""
FETCH = 64
EAGER_RUN = 4
"""A run of at most this many messages (the worker keeps up: one or two arrive per
fetch) sends each ``tracks`` event the moment the pipeline makes it; a longer run (a
catch-up) sends them together when its pipeline is done."""
RECENT_IDS = 100_000
"""Detection ids a runner remembers per segment (about three minutes of a busy segment at
5,000 detections/s over eight): a repeat among them is settled without the database."""


def incident_prefix(code: str) -> str:
    """The start of the ids of the incidents segment ``code`` raises (``INC-BLW`` and then
    ``-20250203-0001``): ids never meet across segments."""
    return f"INC-{code.upper()}"


def segment_page_scope(segments: Segments, code: str) -> PageScope:
    """The alerts segment ``code``'s alert centre pages: those its incidents raised, and
    any raised outside every segment (alerts/lifecycle.py PageScope).

    >>> segment_page_scope(Segments.bundled(), "blw").own
    'INC-BLW-'
    """
    return PageScope(
        incident_prefix(code) + "-",
        tuple(incident_prefix(c) + "-" for c in segments.codes if c != code),
    )


class WorkLock(Protocol):
    """What a runner holds while it works (track_worker.Turns)."""

    def __enter__(self) -> object: ...
    def __exit__(self, *exc: object) -> None: ...
    def give_way(self) -> None:
        """Between two messages of a run: let the runners waiting go first."""
        ...


class _Alone:
    """The work lock of a runner that shares its thread with no other (tests, work_once)."""

    def __enter__(self) -> object:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def give_way(self) -> None:
        return None


class SeenBefore(RuntimeError):
    """A run tracked a detection the segment had already tracked (its id was recorded in
    ``segment_seen`` before this runner knew it): the run is rolled back, and the segment
    is rebuilt from its committed position by a runner that checks ids before tracking
    up to stream position ``through``."""

    def __init__(self, segment: str, ids: list[str], through: int) -> None:
        super().__init__(
            f"segment {segment} had already tracked {len(ids)} of the run's"
            f" ids (e.g. {ids[0]!r}); rebuilt, checked up to {through}"
        )
        self.through = through


class RecentIds:
    """The last ``size`` detection ids a runner committed or replayed, oldest out first.

    >>> recent = RecentIds(2)
    >>> recent.add_all(["a", "b", "c"])
    >>> [i in recent for i in "abc"]
    [False, True, True]
    """

    def __init__(self, size: int | None = None) -> None:
        self.size = RECENT_IDS if size is None else size
        self._ids: OrderedDict[str, None] = OrderedDict()

    def __contains__(self, det_id: object) -> bool:
        return det_id in self._ids

    def add_all(self, ids: Iterable[str]) -> None:
        for det_id in ids:
            if det_id in self._ids:
                self._ids.move_to_end(det_id)
            else:
                self._ids[det_id] = None
                if len(self._ids) > self.size:
                    self._ids.popitem(last=False)

    def fresh(self, ids: list[str]) -> list[bool]:
        """For each id, whether it is neither remembered nor earlier in ``ids``."""
        out: list[bool] = []
        run: set[str] = set()
        for det_id in ids:
            out.append(det_id not in self._ids and det_id not in run)
            run.add(det_id)
        return out


class SegmentRunner:
    """The tracker of one segment; :meth:`step` does a bounded piece of work."""

    def __init__(
        self,
        code: str,
        *,
        segments: Segments,
        boundary: Boundary,
        bus: Bus,
        storage: Storage,
        center: AlertCenter,
        progress: SegmentProgress,
        publish: Publish,
        publish_soon: PublishSoon | None = None,
        conditions: ConditionsProvider = UNKNOWN_CONDITIONS,
        reorder_window_s: float = 5.0,
        idle_flush_s: float = 2.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.code = code
        self.segments = segments
        self.boundary = boundary
        self.bus = bus
        self.storage = storage
        self.center = center
        self.progress = progress
        self.publish = publish
        self.publish_soon = publish_soon
        self.idle_flush_s = idle_flush_s
        self.clock = clock
        index = segments.codes.index(code)
        self.pipeline: Pipeline = build_pipeline(
            boundary,
            conditions=conditions,
            reorder_window_s=reorder_window_s,
            track_listeners=[self._on_tracks],
            incident_listeners=[self._on_incident],
            revision_listeners=[self._on_revision],
            alert_router=center,
            incident_prefix=incident_prefix(code),
            first_track_serial=index * SERIALS_PER_SEGMENT + 1,
            raises_at=lambda lat, lon: segments.owns_incident(code, lat, lon),
        )
        self.router = self.pipeline.router
        center.listeners = (*center.listeners, self._on_alert_event)
        self.position = 0
        """The position committed: every message up to it is processed and stored."""
        self.replay_until = 0
        """The position at start: messages up to it are replayed, not processed again."""
        self._committed = 0
        self.processed = 0
        self.incidents = 0
        self.failures = 0
        self.last_failure = ""
        self.data_time: float | None = None
        self._ticked: float | None = None
        self._tick_error: Exception | None = None
        self._events: list[Event] = []
        self._tracks_out: list[Event] | None = None
        """A run's ``tracks`` events, sent together once its pipeline is done (None:
        outside a run, sent at once)."""
        self._eager = False
        """In a short run: each ``tracks`` event leaves as it is made (EAGER_RUN)."""
        self._sending: list[Callable[[], object]] = []
        """The answers to wait for of the tracks sent so far in the run."""
        self._shown: set[str] = set()
        self._replay_seen: set[str] = set()
        self.recent = RecentIds()
        """Ids this runner replayed or committed: settles most repeats before tracking."""
        self.check_through = 0
        """A run holding a message at or below this position asks the database which ids
        are new before tracking them (after a SeenBefore); later runs ask after."""
        self._replaying = False
        self._dirty = False
        self._quiet_since = clock()
        self._subscription: Subscription | None = None
        self.work_lock: WorkLock = _Alone()
        """Held while the runner works on what it fetched (not while it waits to fetch):
        a worker gives its runners one (track_worker.Turns), so that one segment tracks
        at a time (track_worker.py, "How it runs")."""

    # -- lifecycle ---------------------------------------------------------------------

    def start(self) -> None:
        """Read the position, then subscribe to the segment from the stream's start."""
        self.position = self.replay_until = self.progress.position(self.code)
        self._committed = self.position
        self._subscription = self.bus.subscribe(detection_subject(self.code), deliver="all")

    def stop(self) -> None:
        if self._subscription is not None:
            self._subscription.close()
            self._subscription = None

    @property
    def recovering(self) -> bool:
        return self.position < self.replay_until

    # -- work --------------------------------------------------------------------------

    def step(self, timeout: float = 0.0) -> int:
        """Fetch and process what is there (one run of messages); returns how many."""
        assert self._subscription is not None, "start() first"
        messages = self._subscription.fetch(batch=FETCH, timeout=timeout)
        if not messages:  # its tick is a bus round trip: not in the turn
            self._maybe_tick()
            return 0
        with self.work_lock:
            self._quiet_since = self.clock()
            replayed = [m for m in messages if m.seq <= self.replay_until]
            fresh = [m for m in messages if m.seq > self.replay_until]
            if replayed:
                self._replay(replayed)
            if fresh:
                self._process(fresh)
        return len(messages)

    def _replay(self, messages: list[Message]) -> None:
        self._replaying = True
        self.pipeline.router = None  # routed before: the states are in the store
        try:
            for message in messages:
                self.work_lock.give_way()
                batch = self._decode(message)
                if batch is None:
                    continue
                if batch.tick:
                    self._flush()
                    continue
                ids = [str(w.get("id")) for w in batch.detections]
                keep = [
                    w
                    for w, i in zip(batch.detections, ids, strict=True)
                    if i not in self._replay_seen
                ]
                self._replay_seen.update(ids)
                self.recent.add_all(ids)
                self._feed(keep)
        finally:
            self.pipeline.router = self.router
            self._replaying = False
            self._events.clear()
        for message in messages:
            message.ack()
        self.position = max(m.seq for m in messages)
        if not self.recovering:
            self._replay_seen.clear()

    def _process(self, messages: list[Message]) -> None:
        # One statement marks the run's ids seen and one stores its new detections, not
        # two per message, both after the pipeline (_run): its `tracks` events leave when
        # it is done, in one pipelined publish, before the commit (the live feed's latency
        # is the pipeline's, not the database's; one publish per event made a backlog's
        # catch-up wait a JetStream round trip per data second). Tracks are not records:
        # a run that fails is replayed by the next owner to the same tracks, sent again,
        # which the picture takes as updates. Incidents and alerts are records: they are
        # sent after the commit. A short run (a worker that keeps up, EAGER_RUN) sends each
        # `tracks` event the moment its window closes, without waiting for the bus, and
        # waits for the answers when its pipeline is done: a message holds a few data
        # seconds, and the first of them no longer waits for the others to be tracked.
        self._tracks_out = []
        self._eager = self.publish_soon is not None and len(messages) <= EAGER_RUN
        try:
            ids = self._run(messages)
        finally:
            self._tracks_out = None
            self._eager = False
            self._sending.clear()
        self.position = self._committed = max(m.seq for m in messages)
        self.recent.add_all(ids)
        for message in messages:
            message.ack()
        events, self._events = self._events, []
        if events:
            self._send(events)

    def _run(self, messages: list[Message]) -> list[str]:
        """Track, send the tracks, store and commit one run (see _process); returns the
        run's ids, all recorded as seen now."""
        with self.storage.transaction():
            batches = [self._decode(message) for message in messages]
            ids = [
                str(w["id"]) for b in batches if b is not None and not b.tick for w in b.detections
            ]
            # Which ids are new: asked of the database after tracking, not before (one
            # statement off the live feed's path), with the runner's memory of recent ids
            # settling repeats first. A run that tracked an id the database had seen is
            # rolled back and rebuilt (SeenBefore): rare, as the memory holds what the bus
            # brings back. After a rebuild, the failed run's messages ask before.
            last = max(m.seq for m in messages)
            ask_first = min(m.seq for m in messages) <= self.check_through
            first = iter(
                self.progress.first_seen(self.code, ids) if ask_first else self.recent.fresh(ids)
            )
            stored: list[tuple[str, dict[str, Any]]] = []
            for batch in batches:
                self.work_lock.give_way()
                if batch is None:
                    continue
                if batch.tick:
                    self._flush()
                    continue
                new = [w for w in batch.detections if next(first)]
                stored.extend((str(w["id"]), w) for w in new)
                self._feed(new)
                self._dirty = True
            tracks, self._tracks_out = self._tracks_out or [], []
            if tracks:
                self._send(tracks)
            sending, self._sending = self._sending, []
            for answers in sending:  # sent one by one: answered before the commit too
                try:
                    answers()
                except Exception as unanswered:  # the picture misses them; the records don't
                    self._failed(unanswered)
            if self._tick_error is not None:
                err, self._tick_error = self._tick_error, None
                raise err
            if not ask_first:
                tracked = [i for i, _ in stored]
                new_ids = self.progress.first_seen(self.code, tracked)
                if not all(new_ids):
                    raise SeenBefore(
                        self.code, [i for i, n in zip(tracked, new_ids, strict=True) if not n], last
                    )
            self.storage.detections.append(stored)
            self.progress.advance(self.code, self._committed, last)
        self.processed += len(stored)
        return ids

    def _send(self, events: list[Event]) -> None:
        try:
            self.publish(events)
        except Exception as err:  # the picture misses them; the records have them
            self._failed(err)

    def _maybe_tick(self) -> None:
        """Quiet for a while with something in the buffers: release them, through a tick
        on the segment's own subject so that a replay releases them at the same point."""
        if self._dirty and self.clock() - self._quiet_since >= self.idle_flush_s:
            self._dirty = False
            self.bus.publish(
                detection_subject(self.code), TICK_BODY, msg_id=tick_id(self.code, self.position)
            )

    def _flush(self) -> None:
        try:
            self.pipeline.finish()
        except Exception as err:  # counted and kept; the segment goes on
            self._failed(err)

    def _feed(self, wires: list[dict[str, Any]]) -> None:
        detections: list[Detection] = []
        for wire in wires:
            try:
                detections.append(parse_detection(wire))
            except InputError as err:  # checked by the API: a message not of ours
                self._failed(err)
        if detections:
            self.pipeline.feed_many(detections, on_error=self._failed)

    def _decode(self, message: Message) -> Any:
        try:
            return decode_batch(message.data)
        except ValueError as err:
            self._failed(ValueError(f"message {message.seq} on {message.subject}: {err}"))
            return None

    def _failed(self, err: Exception) -> None:
        self.failures += 1
        self.last_failure = f"{type(err).__name__}: {err}"[:300]

    # -- pipeline listeners --------------------------------------------------------------

    def _on_tracks(self, batch: TrackBatch) -> None:
        if len(batch):
            self.data_time = float(batch.epoch_s.max())
        if self._replaying:  # the pages of what is replayed are stored already
            return
        # The alert stage's clock at each scan's data time (inside the run's
        # transaction), not once per fetched run: the pages fall at the same data times
        # however the stream was fetched (runtime/live.py ``_tick`` does the same).
        # A tick that fails fails the run, as before (the pipeline would count it and
        # skip the window's incidents): ``_run`` raises it once the run is fed.
        if self.data_time is not None and (self._ticked is None or self.data_time > self._ticked):
            self._ticked = self.data_time
            try:
                self.center.tick(epoch_to_datetime(self.data_time))
            except Exception as err:
                self._tick_error = self._tick_error or err
        owner = self.segments.owner
        mine: list[dict[str, Any]] = []
        elsewhere: list[dict[str, Any]] = []
        for feature in track_features(self.boundary, batch):
            state = feature["properties"]
            (mine if owner(state["lat"], state["lon"]).code == self.code else elsewhere).append(
                feature
            )
        # A track that ended, or walked out of this core (the neighbour shows it now),
        # leaves this segment's part of the map.
        gone = [
            t
            for t in (*(track_id(int(s)) for s in batch.ended), *(f["id"] for f in elsewhere))
            if t in self._shown
        ]
        self._shown.difference_update(gone)
        self._shown.update(f["id"] for f in mine)
        if mine or gone:
            event = {
                "type": "tracks",
                "tracks": mine,
                "ended": gone,
                "segment": self.code,
                "data_time": (
                    format_time(epoch_to_datetime(self.data_time))
                    if self.data_time is not None
                    else None
                ),
                "simulated": any(f["properties"]["simulated"] for f in mine),
            }
            if self._eager and self.publish_soon is not None:
                try:
                    self._sending.append(self.publish_soon([event]))
                except Exception as err:  # the bus is closing: as a failed publish
                    self._failed(err)
            elif self._tracks_out is not None:
                self._tracks_out.append(event)
            else:
                self._send([event])

    def _on_incident(self, incident: Incident, alerts: list[Alert]) -> None:
        self.incidents += 1
        if not self._replaying:
            self._events.append(
                {
                    "type": "incident",
                    "incident": incident_to_wire(incident),
                    "segment": self.code,
                    "simulated": incident.simulated,
                }
            )

    def _on_revision(self, incident: Incident, alerts: list[Alert]) -> None:
        """A raised incident's firmer head count (watch/revision.py): on the feed as the
        same incident again, which the picture puts in its place; not counted."""
        if not self._replaying:
            self._events.append(
                {
                    "type": "incident",
                    "incident": incident_to_wire(incident),
                    "segment": self.code,
                    "simulated": incident.simulated,
                }
            )

    def _on_alert_event(self, event: AlertEvent) -> None:
        if self._replaying:
            return
        self._events.append(
            {
                "type": "alert",
                "event": event.kind,
                "text": event.text,
                "alert": state_to_json(event.state),
                "segment": self.code,
                "simulated": event.state.simulated,
            }
        )
