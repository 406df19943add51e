"""Composition of the alert stage around one SQLite file (alert states, outbox and the
disclosure log together), with the transports its channels need.

This is configuration, not logic: the CLI, the demo, the benchmark and the kill-and-restart
test build their alerting here, each with its own destinations.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from borderwatch.alerts.alertdb import SqliteAlertStore, SqliteDisclosures
from borderwatch.alerts.base import Transport
from borderwatch.alerts.center import AlertCenter, Channels, EventListener
from borderwatch.alerts.dispatch import Dispatcher, FolderTransport
from borderwatch.alerts.gate import DisclosureRecorder, SharingGate, TeeDisclosures
from borderwatch.alerts.lifecycle import AlertBook
from borderwatch.alerts.outbox import Backoff, Outbox
from borderwatch.alerts.policy import AlertPolicy
from borderwatch.alerts.routing import PolicyRouter
from borderwatch.alerts.sharing import SharingPolicy
from borderwatch.alerts.sqlite import Database
from borderwatch.alerts.tak import CotStreamServer, TakServerTransport
from borderwatch.alerts.webhook import WebhookTransport
from borderwatch.geo import Boundary, Places


@dataclass
class TakSettings:
    """Client certificate settings for ``tls://`` TAK servers (PEM files)."""

    client_cert: Path | None = None
    client_key: Path | None = None
    ca_file: Path | None = None
    check_hostname: bool = True


@dataclass
class AlertService:
    center: AlertCenter
    outbox: Outbox
    store: SqliteAlertStore
    disclosures: SqliteDisclosures
    dispatcher: Dispatcher
    closers: list[object] = field(default_factory=list)

    def close(self) -> None:
        self.dispatcher.stop()
        for item in self.closers:
            close = getattr(item, "close", None)
            if close is not None:
                close()
        self.outbox.close()  # the one Database the store and the disclosures share


def transports_for(
    channels: Channels,
    *,
    webhook_secret: bytes | None = None,
    served: CotStreamServer | None = None,
    tak: TakSettings | None = None,
) -> dict[str, Transport]:
    """A transport for every destination the channels name (keyed by destination)."""
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
            )
    for destination in channels.cap:
        if destination.startswith(("http://", "https://")):
            raise ValueError("CAP over HTTP is not supported yet; give a folder")
        transports[destination] = FolderTransport(destination)
    if channels.webhook:
        if not webhook_secret:
            raise ValueError("webhook destinations need a shared secret")
        hook = WebhookTransport(webhook_secret)
        for destination in channels.webhook:
            transports[destination] = hook
    return transports


def open_alert_service(
    db: str | Path,
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
) -> AlertService:
    """The alert stage on ``db``. ``background=True`` starts the dispatcher thread;
    otherwise call ``service.dispatcher.deliver_due()`` when convenient (a replay)."""
    sharing = sharing or SharingPolicy.bundled()
    policy = policy or AlertPolicy.bundled()
    channels = channels or Channels()
    database = Database(db, synchronous=synchronous)
    store = SqliteAlertStore(database)
    outbox = Outbox(database, backoff=backoff)
    disclosures = SqliteDisclosures(database)
    dispatcher = Dispatcher(outbox, transports or {})
    center = AlertCenter(
        router=PolicyRouter(boundary, places or Places.bundled(), sharing, policy),
        book=AlertBook(policy, store),
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
