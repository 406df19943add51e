"""The composition root: the one place that names concrete adapters and wires the system.

* :func:`open_alert_service` builds the alert stage around one SQLite file (alert states,
  outbox and disclosure log together) with the transports its channels need;
* :func:`build_live_tracker` builds the live tracker (pipeline and alert stage) that runs
  in a thread of the service or in its own process (``app/runtime/worker.py`` calls it);
* :func:`build_service` builds the HTTP service around one SQLite file.

The pipeline's own default composition of the pure stages is ``pipeline.build_pipeline``.
This is configuration, not logic: the CLI, the demo, the benchmarks and the tests build
their systems here.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

import orjson

from borderwatch.adapters.audit.keys import seal_from_env
from borderwatch.adapters.bus.local import LocalBus
from borderwatch.adapters.nats.bus import JetStreamBus
from borderwatch.adapters.postgres.coordination import SegmentLocks
from borderwatch.adapters.postgres.storage import PostgresStorage
from borderwatch.adapters.sqlite.storage import SqliteStorage
from borderwatch.adapters.transports.dispatch import Dispatcher, FolderTransport
from borderwatch.adapters.transports.tak import CotStreamServer, TakServerTransport
from borderwatch.adapters.transports.webhook import WebhookTransport
from borderwatch.alerts.base import Transport
from borderwatch.alerts.center import AlertCenter, Channels, EventListener
from borderwatch.alerts.gate import DisclosureRecorder, SharingGate, TeeDisclosures
from borderwatch.alerts.lifecycle import EVERY_ALERT, AlertBook, PageScope
from borderwatch.alerts.outbox import DEADLINE_S, Backoff, claim_fresh_s
from borderwatch.alerts.policy import AlertPolicy
from borderwatch.alerts.routing import PolicyRouter
from borderwatch.alerts.sharing import SharingPolicy
from borderwatch.app.cluster.deployment import (
    DETECTION_MESSAGES_KEPT,
    LIVE_RETAINED,
    Deployment,
)
from borderwatch.app.cluster.intake import BusIntake
from borderwatch.app.cluster.picture import BusPicture
from borderwatch.app.cluster.runner import SegmentRunner, segment_page_scope
from borderwatch.app.cluster.track_worker import TrackWorker, WorkerStatus
from borderwatch.app.http.hub import FEED_RETAINED, FEED_RETAINED_BYTES, Hub
from borderwatch.app.http.views import Viewer
from borderwatch.app.runtime.alert_service import AlertService
from borderwatch.app.runtime.config import Delivery, ServiceConfig, TakSettings
from borderwatch.app.runtime.live import Publish, ThreadTracker
from borderwatch.app.runtime.officers import OfficerDesk
from borderwatch.app.runtime.release import QuietRelease
from borderwatch.app.runtime.responders import ResponderDesk
from borderwatch.app.runtime.service import Service
from borderwatch.app.runtime.tak import FeedResponders, TakGateway
from borderwatch.app.runtime.worker import ProcessTracker
from borderwatch.geo import Boundary, Places
from borderwatch.geo.segments import Segments
from borderwatch.ports.storage import Storage
from borderwatch.respond import ResponderRegistry
from borderwatch.watch import ConditionsProvider
from borderwatch.watch.risk import UNKNOWN_CONDITIONS


def transports_for(
    channels: Channels,
    *,
    webhook_secret: bytes | None = None,
    served: CotStreamServer | None = None,
    tak: TakSettings | None = None,
    deadline_s: float = DEADLINE_S,
) -> dict[str, Transport]:
    """A transport for every destination the channels name (keyed by destination), each
    attempt over the network bounded by ``deadline_s``."""
    transports: dict[str, Transport] = {}
    for destination in channels.cot:
        if destination == "served":
            if served is None:
                raise ValueError("CoT destination 'served' needs a CotStreamServer")
            transports[destination] = served
        else:
            settings = tak or TakSettings()
            transports[destination] = TakServerTransport(
                destination,
                client_cert=settings.client_cert,
                client_key=settings.client_key,
                ca_file=settings.ca_file,
                check_hostname=settings.check_hostname,
                timeout_s=deadline_s,
            )
    for destination in channels.cap:
        if destination.startswith(("http://", "https://")):
            raise ValueError("CAP over HTTP is not supported yet; give a folder")
        transports[destination] = FolderTransport(destination)
    if channels.webhook:
        if not webhook_secret:
            raise ValueError("webhook destinations need a shared secret")
        hook = WebhookTransport(webhook_secret, deadline_s=deadline_s)
        for destination in channels.webhook:
            transports[destination] = hook
    if channels.mqtt:  # one for every broker: a destination is a broker and a topic
        from borderwatch.adapters.transports.mqtt import MqttTransport

        transports["mqtt"] = MqttTransport(deadline_s=deadline_s)
    return transports


def open_alert_service(
    db: str | Path | Storage,
    *,
    boundary: Boundary,
    places: Places | None = None,
    sharing: SharingPolicy | None = None,
    policy: AlertPolicy | None = None,
    channels: Channels | None = None,
    transports: Mapping[str, Transport] | None = None,
    disclosure_logs: Sequence[DisclosureRecorder] = (),
    listeners: Sequence[EventListener] = (),
    backoff: Backoff | None = None,
    background: bool = False,
    synchronous: str = "FULL",
    page_scope: PageScope = EVERY_ALERT,
) -> AlertService:
    """The alert stage on ``db`` (a file, or an open storage: then ``synchronous`` and
    ``backoff`` are its own). ``background=True`` starts the dispatcher thread;
    otherwise call ``service.dispatcher.deliver_due()`` when convenient (a replay).
    ``page_scope``: the alerts whose escalation pages this stage sends (a cluster's
    segment runner: its own segment's)."""
    sharing = sharing or SharingPolicy.bundled()
    policy = policy or AlertPolicy.bundled()
    channels = channels or Channels()
    storage = (SqliteStorage(db, synchronous=synchronous, backoff=backoff)
               if isinstance(db, str | Path) else db)
    store, outbox, disclosures = storage.alerts, storage.outbox, storage.disclosures
    dispatcher = Dispatcher(outbox, transports or {})
    center = AlertCenter(
        router=PolicyRouter(boundary, places or Places.bundled(), sharing, policy),
        book=AlertBook(policy, store, page_scope),
        gate=SharingGate(sharing, TeeDisclosures(disclosures, *disclosure_logs)),
        outbox=outbox,
        channels=channels,
        dispatcher=dispatcher,
        listeners=listeners,
    )
    if background:
        dispatcher.start()
    closers: list[object] = list({id(t): t for t in (transports or {}).values()}.values())
    return AlertService(center, outbox, store, disclosures, dispatcher, closers)


def build_live_tracker(config: ServiceConfig, publish: Publish, *,
                       max_pending: int | None = None) -> ThreadTracker:
    """The live tracker over ``config.db``: the pipeline and an alert stage of its own.
    The tracker process calls this (``worker.run_worker``); ``max_pending`` None takes
    the configured bound."""
    boundary = config.boundary or Boundary.bundled()
    alerts = _alert_stage(config.db, config, boundary, config.places or Places.bundled())
    return ThreadTracker(boundary, alerts, publish=publish, conditions=config.conditions,
                         reorder_window_s=config.reorder_window_s,
                         max_pending=config.max_pending if max_pending is None else max_pending,
                         max_skew_s=config.max_skew_s)


def build_tracker_process_side(config: ServiceConfig, publish: Publish) -> ThreadTracker:
    """What the tracker process runs (``worker.run_worker``): the live tracker with no
    bound of its own (the HTTP process bounds what it hands over), and the collector
    settled once it is built."""
    live = build_live_tracker(config, publish, max_pending=1 << 62)
    settle_collector()
    return live


def build_service(config: ServiceConfig) -> Service:
    """The HTTP service around ``config.db``: detection log, keys, alert stage, case store,
    the live tracker (in a thread, or in its own process), the feed's hub and the viewer."""
    boundary = config.boundary or Boundary.bundled()
    places = config.places or Places.bundled()
    sharing = SharingPolicy.bundled()
    hub = Hub(LocalBus(max_msgs=FEED_RETAINED, max_bytes=FEED_RETAINED_BYTES),
              client_bytes=config.feed_client_bytes)
    # The screening audit log is signed and checkpointed with the key directory named by
    # $BORDERWATCH_AUDIT_KEYS (docs/security/audit.md); unset, it is written unsigned.
    storage = SqliteStorage(config.db, audit_seal=seal_from_env())
    # The alert stage that routes is the one that sends (config.delivery): with a tracker
    # process, that is the tracker's own; this one then only reads and stores, and must
    # not drain the outbox too (the SQLite outbox hands a due message to every reader).
    alerts = (open_alert_service(storage, boundary=boundary, places=places, sharing=sharing)
              if config.tracker_process
              else _alert_stage(storage, config, boundary, places))
    log = storage.detections
    accepting = threading.Lock()
    live: ThreadTracker | ProcessTracker
    if config.tracker_process:
        live = ProcessTracker(config, alerts, publish=hub.publish, position=log.last,
                              accepting=accepting, build=build_tracker_process_side)
    else:
        live = ThreadTracker(
            boundary,
            alerts,
            publish=hub.publish,
            conditions=config.conditions,
            reorder_window_s=config.reorder_window_s,
            max_pending=config.max_pending,
            max_skew_s=config.max_skew_s,
        )
    # The tracker releases its buffers where this decides, recorded in the log first, so
    # that a restart replays the same cuts (runtime/release.py).
    releases = QuietRelease(log, live.release, accepting=accepting,
                            quiet_s=config.idle_flush_s)
    return with_tak_stream(with_officers(Service(
        config=config,
        boundary=boundary,
        places=places,
        keys=storage.keys,
        log=log,
        alerts=alerts,
        cases=storage.cases,
        evidence=storage.evidence,
        hub=hub,
        live=live,
        viewer=Viewer(SharingGate(sharing, alerts.disclosures), agency=config.agency,
                      boundary=boundary, places=places),
        accepting=accepting,
        releases=releases,
        responders=responder_desk(config, config.delivery, storage, boundary, hub, alerts),
    ), storage, sharing))


def with_officers(service: Service, storage: Storage, sharing: SharingPolicy) -> Service:
    """``service`` with the screening officers' desk on ``storage``: handoff notices
    released through ``sharing`` into the storage's disclosure log, in the same
    transaction as the return; decisions timed by the service's clock (a replay's own)."""
    service.officers = OfficerDesk(storage, SharingGate(sharing, storage.disclosures),
                                   clock=lambda: service.clock())
    return service


def with_tak_stream(service: Service) -> Service:
    """``service`` with its TAK stream for devices when configured (`serve --tak-port`):
    started on the service's event loop, closed with it; each device's position reports
    go to the responder registry (which puts them on the live feed as ``responder`` events
    and proposes the unit for intercepts), its sightings to ingest."""
    settings = service.config.tak
    if settings is None:
        return service
    sink = service.responders if service.responders is not None else FeedResponders(
        service.hub.publish)
    gateway = TakGateway(service, settings, sink)
    service.extras["tak"] = gateway
    service.starters.append(gateway.start)
    service.closers.insert(0, gateway)
    return service


def responder_desk(config: ServiceConfig, delivery: Delivery, storage: Storage,
                   boundary: Boundary, hub: Hub, alerts: AlertService) -> ResponderDesk:
    """The declared units, the intervention times in ``storage``, tasks queued in its
    outbox for the deployment's TAK servers, ``responder`` events on the feed."""
    registry = ResponderRegistry.of(config.responders,
                                    stale_after_s=config.responders_stale_after_s)
    roads = None
    if config.roads is not None:
        from borderwatch.geo.roads import load_roads

        roads = load_roads(config.roads, boundary.frame)
    return ResponderDesk(registry, storage.interventions, boundary.frame,
                         publish=hub.publish, outbox=storage.outbox, cot=delivery.cot,
                         wake=alerts.dispatcher.wake, roads=roads)




def _alert_stage(db: Path | Storage, config: ServiceConfig, boundary: Boundary,
                 places: Places) -> AlertService:
    return alert_stage(db, config.delivery, boundary, places, send=True)


def alert_stage(db: Path | Storage, delivery: Delivery, boundary: Boundary, places: Places,
                *, send: bool, page_scope: PageScope = EVERY_ALERT) -> AlertService:
    """The alert stage with a delivery's policy and channels. ``send``: also a transport
    for each destination and the dispatcher on a thread of its own (the process that
    routes, in one process; in a cluster only the dispatchers send, and everyone else's
    stage enqueues). Nothing configured: states and decisions are stored, nothing is
    sent or disclosed (alert-policy.md)."""
    delivery.check()
    channels = delivery.channels()
    return open_alert_service(
        db, boundary=boundary, places=places, sharing=SharingPolicy.bundled(),
        policy=AlertPolicy.load(delivery.policy) if delivery.policy else None,
        channels=channels,
        transports=transports_for(channels, webhook_secret=delivery.webhook_secret(),
                                  tak=delivery.tak, deadline_s=delivery.deadline_s)
        if send else {},
        background=send and delivery.sends, page_scope=page_scope)


def settle_collector() -> None:
    """Keep the cyclic garbage collector off the hot path of a long-running service.

    Everything built at start-up (the boundary, the policies, FastAPI's routes) is moved
    out of the collector's sight (``gc.freeze``), and a young-generation pass runs after
    50,000 new containers instead of 700: a second of a thousand tracks builds some
    20,000 dicts and lists, and with the default threshold the collector ran dozens of
    times a second, a quarter of the service's time (docs/gotchas.md). Reference
    counting still frees everything that is not in a cycle at once."""
    import gc

    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, 20, 10)


# -- a cluster (docs/deployment.md): the same stages on PostgreSQL and NATS JetStream ------


def open_cluster_buses(deployment: Deployment) -> tuple[JetStreamBus, JetStreamBus]:
    """The detection stream (kept ``retention_hours``: a worker that takes a segment over
    replays it) and the live stream (the feed's last events only)."""
    stream, namespace = deployment.detection_stream
    detections = JetStreamBus(deployment.bus, stream=stream, namespace=namespace,
                              max_msgs=DETECTION_MESSAGES_KEPT,
                              max_age_s=deployment.retention_hours * 3600,
                              replicas=deployment.replicas)
    try:
        stream, namespace = deployment.live_stream
        live = JetStreamBus(deployment.bus, stream=stream, namespace=namespace,
                            max_msgs=LIVE_RETAINED, max_bytes=FEED_RETAINED_BYTES,
                            replicas=deployment.replicas)
    except BaseException:
        detections.close()
        raise
    return detections, live


def cluster_segments(deployment: Deployment) -> Segments:
    return Segments.load(deployment.segments) if deployment.segments else Segments.bundled()


def build_cluster_service(config: ServiceConfig, deployment: Deployment) -> Service:
    """A cluster's API process: keys, cases and alert states in PostgreSQL, accepted
    detections published to the bus by segment, the picture mirrored from the bus."""
    boundary = config.boundary or Boundary.bundled()
    places = config.places or Places.bundled()
    sharing = SharingPolicy.bundled()
    storage = PostgresStorage(deployment.store, audit_seal=seal_from_env())
    detections, live_bus = open_cluster_buses(deployment)
    hub = Hub(LocalBus(max_msgs=FEED_RETAINED, max_bytes=FEED_RETAINED_BYTES),
              client_bytes=config.feed_client_bytes)
    alerts = alert_stage(storage, deployment.delivery, boundary, places, send=False)
    return with_tak_stream(with_officers(Service(
        config=config, boundary=boundary, places=places, keys=storage.keys,
        log=storage.detections, alerts=alerts, cases=storage.cases, hub=hub,
        evidence=storage.evidence,
        live=BusPicture(alerts, live_bus, publish=hub.publish),
        viewer=Viewer(SharingGate(sharing, alerts.disclosures), agency=config.agency,
                      boundary=boundary, places=places),
        intake=BusIntake(detections, cluster_segments(deployment)),
        closers=[detections, live_bus, storage],
        responders=responder_desk(replace(config, responders=deployment.responders,
                                          responders_stale_after_s=(
                                              deployment.responders_stale_after_s)),
                                  deployment.delivery, storage, boundary, hub, alerts),
    ), storage, sharing))


def build_track_worker(deployment: Deployment, worker_id: str, *,
                       conditions: ConditionsProvider = UNKNOWN_CONDITIONS,
                       reorder_window_s: float = 5.0, idle_flush_s: float = 2.0,
                       max_segments: int | None = None) -> tuple[TrackWorker, list[object]]:
    """A tracker worker (`borderwatch worker track`) and what to close after it ran."""
    boundary, places = Boundary.bundled(), Places.bundled()
    segments = cluster_segments(deployment)
    # A connection for each segment's thread (track_worker.py) and one for the beats.
    storage = PostgresStorage(deployment.store, pool_size=len(segments.codes) + 2)
    detections, live_bus = open_cluster_buses(deployment)

    def publish(events: list[dict[str, Any]]) -> None:
        live_bus.publish_many([(str(e["type"]), orjson.dumps(e), None) for e in events])

    def publish_soon(events: list[dict[str, Any]]) -> Callable[[], object]:
        return live_bus.publish_soon([(str(e["type"]), orjson.dumps(e), None) for e in events])

    def make_runner(code: str) -> SegmentRunner:
        alerts = alert_stage(storage, deployment.delivery, boundary, places, send=False,
                             page_scope=segment_page_scope(segments, code))
        return SegmentRunner(code, segments=segments, boundary=boundary, bus=detections,
                             storage=storage, center=alerts.center,
                             progress=storage.positions, publish=publish,
                             publish_soon=publish_soon,
                             conditions=conditions, reorder_window_s=reorder_window_s,
                             idle_flush_s=idle_flush_s)

    def report(status: WorkerStatus) -> None:
        publish([{"type": "worker", **asdict(status)}])

    worker = TrackWorker(worker_id, segments.codes,
                         leases=SegmentLocks(deployment.store, worker_id),
                         membership=storage.heartbeats, make_runner=make_runner,
                         max_segments=max_segments, on_status=report)
    return worker, [detections, live_bus, storage]


def build_dispatcher(deployment: Deployment, *, poll_s: float = 0.2) -> tuple[Dispatcher,
                                                                             list[object]]:
    """A dispatcher (`borderwatch worker dispatch`): the shared outbox, claimed message by
    message (adapters/postgres/outbox.py), sent through the deployment's transports, one
    queue per destination, no send started on a claim its lease might not cover."""
    delivery = deployment.delivery
    delivery.check()
    storage = PostgresStorage(deployment.store, claim_lease_s=deployment.claim_lease_s)
    transports = transports_for(delivery.channels(), webhook_secret=delivery.webhook_secret(),
                                tak=delivery.tak, deadline_s=delivery.deadline_s)
    closers: list[object] = [*{id(t): t for t in transports.values()}.values(), storage]
    fresh_s = claim_fresh_s(deployment.claim_lease_s, delivery.deadline_s)
    return Dispatcher(storage.outbox, transports, poll_s=poll_s, claim_fresh_s=fresh_s), closers
