"""How a running service is configured: its one SQLite file, its tracker's settings,
whether the tracker runs in a process of its own, and where its alerts are delivered."""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from pathlib import Path

from borderwatch.alerts.center import Channels
from borderwatch.alerts.outbox import DEADLINE_S
from borderwatch.app.runtime.health import HealthLimits
from borderwatch.domain import InputError
from borderwatch.domain.limits import AccessLimits
from borderwatch.domain.time import DEFAULT_MAX_SKEW_S
from borderwatch.geo import Boundary, Places
from borderwatch.respond import STALE_AFTER_S, DeclaredUnit
from borderwatch.sources.registry import SensorRegistry
from borderwatch.watch import ConditionsProvider
from borderwatch.watch.risk import UNKNOWN_CONDITIONS

WEBHOOK_SECRET_ENV = "BORDERWATCH_WEBHOOK_SECRET"


@dataclass(frozen=True)
class TakSettings:
    """Client certificate settings for ``tls://`` TAK servers (PEM files)."""

    client_cert: Path | None = None
    client_key: Path | None = None
    ca_file: Path | None = None
    check_hostname: bool = True


@dataclass(frozen=True)
class TakStreamSettings:
    """`serve --tak-port --tak-host --tak-certs --tak-plain`."""

    port: int
    host: str = "127.0.0.1"
    cert_dir: Path | None = None
    """The folder of `tak certs init` (server certificate, key, CA). Required unless plain."""
    plain: bool = False
    """Plain TCP, loopback only (development, a local gateway): every connection is then
    a field device of the deployment's agency named ``loopback``."""

    def check(self) -> None:
        """``InputError`` naming the option, before anything starts."""
        if self.plain:
            if self.cert_dir is not None:
                raise InputError("--tak-plain", "give --tak-certs or --tak-plain, not both")
            from borderwatch.adapters.tak.stream import check_plain

            check_plain(self.host)
        elif self.cert_dir is None:
            raise InputError("--tak-certs", "the TAK stream is TLS with client certificates: "
                             "give the folder of `borderwatch tak certs init` (or "
                             "--tak-plain on a loopback address, for development)")


@dataclass(frozen=True)
class Delivery:
    """Where a running service sends its alerts: the routing policy (which units hear of
    which incidents over which channel names) and what this deployment has for each
    channel. Nothing configured: alerts are stored and shown, never sent (the default).

    The webhook secret is read from the environment variable named here, in the process
    that sends, never written into a configuration file or passed on a command line."""

    policy: Path | None = None
    cot: tuple[str, ...] = ()
    """TAK servers: ``tcp://host:port`` or ``tls://host:port``."""
    cap: tuple[str, ...] = ()
    """Folders, one CAP file per message (an agency's inbox)."""
    webhook: tuple[str, ...] = ()
    webhook_secret_env: str = WEBHOOK_SECRET_ENV
    mqtt: tuple[str, ...] = ()
    """MQTT brokers, ``mqtt://host:port``: incidents on ``borderwatch/incidents/<segment>``
    (the policy's ``mqtt`` channel, alerts/mqtt.py)."""
    tak: TakSettings = field(default_factory=TakSettings)
    deadline_s: float = DEADLINE_S
    """The longest one delivery attempt may take (connect, send, the receiver's status),
    whatever the receiver does; past it the attempt fails and is retried with backoff."""

    @property
    def sends(self) -> bool:
        """Whether any channel is configured (else nothing leaves the service)."""
        return bool(self.cot or self.cap or self.webhook or self.mqtt)

    def channels(self) -> Channels:
        return Channels(cot=self.cot, cap=self.cap, webhook=self.webhook, mqtt=self.mqtt)

    def webhook_secret(self) -> bytes | None:
        """The shared secret webhooks are signed with (HMAC-SHA256, docs/alert-policy.md).
        Raises ``InputError`` when webhooks are configured and the variable is empty."""
        if not self.webhook:
            return None
        secret = os.environ.get(self.webhook_secret_env, "")
        if not secret:
            raise InputError("--webhook", f"webhooks are signed: set the secret in the "
                             f"environment variable {self.webhook_secret_env}")
        return secret.encode("utf-8")

    def check(self) -> None:
        """Refuse what cannot work before anything starts (``InputError`` names the
        option): a destination of the wrong kind, a missing secret or certificate."""
        for url in self.cot:
            if not url.startswith(("tcp://", "tls://")):
                raise InputError("--tak", f"{url!r}: give tcp://host:port or tls://host:port")
            if url.startswith("tls://") and not (self.tak.client_cert and self.tak.client_key):
                raise InputError("--tak", f"{url!r} needs --tak-cert and --tak-key")
        for folder in self.cap:
            if "://" in folder:
                raise InputError("--cap", f"{folder!r}: CAP goes to a folder (one file "
                                 "per message); CAP over HTTP is not supported yet")
        for url in self.webhook:
            if not url.startswith(("http://", "https://")):
                raise InputError("--webhook", f"{url!r}: give an http:// or https:// URL")
        for url in self.mqtt:
            from borderwatch.adapters.mqtt.broker import parse_broker

            parse_broker(url, "--alerts-mqtt")
        if not (math.isfinite(self.deadline_s) and self.deadline_s > 0):
            raise InputError("delivery.deadline_s",
                             f"must be a positive number of seconds, got {self.deadline_s}")
        self.webhook_secret()
        if self.policy is not None and not self.policy.is_file():
            raise InputError("--policy", f"no policy file at {self.policy}")


@dataclass
class ServiceConfig:
    """The settings of one running service (``borderwatch serve``'s options)."""

    db: Path
    """One SQLite file for everything the service stores."""
    reorder_window_s: float = 5.0
    max_pending: int = 200_000
    """Detections accepted but not yet tracked; beyond this, ingest answers 429."""
    max_batch: int = 10_000
    max_body_bytes: int = 8 * 1024 * 1024
    """Largest ingest body, counted while it is read (413 beyond): a full batch of
    detections with the longest ids allowed is under 5 MB (docs/security/admission.md)."""
    max_skew_s: float = DEFAULT_MAX_SKEW_S
    """How far after the service's clock a live report may be dated: one report ahead
    makes every later one "late" until real time catches up (docs/security/admission.md)."""
    max_age_s: float | None = None
    """How far before the service's clock a live report may be dated (None: no bound, as
    recorded nights are posted to a live service for exercises and tests)."""
    idle_flush_s: float = 2.0
    """Wall seconds of quiet ingest after which the tracker's buffers are released, the
    release recorded in the log so that a restart releases at the same place
    (release.py)."""
    feed_client_bytes: int = 4 << 20
    """Bytes of live events buffered for one feed connection at most; beyond, its
    buffer is dropped and it is sent ``resync`` (app/http/hub.py)."""
    conditions: ConditionsProvider = UNKNOWN_CONDITIONS
    boundary: Boundary | None = None
    places: Places | None = None
    replay: str | None = None
    """A bundled scenario being replayed into the service (shown on the dashboard)."""
    basemap: Path | None = None
    """An offline PMTiles basemap the operator supplied (``serve --basemap``), drawn under
    the dashboard's vector layers; without one the map's background is plain."""
    tracker_process: bool = False
    """Run the tracker in a process of its own (worker.py), as `borderwatch serve` does;
    otherwise in a thread of this one (simpler to debug and to test)."""
    delivery: Delivery = field(default_factory=Delivery)
    """Where alerts go. The tracker's alert stage routes them and its dispatcher sends
    them (in the tracker process when there is one: it is the one that routes)."""
    agency: str = "RCMP"
    """The agency that runs this deployment and owns its sensors' picture (as the sharing
    policy names agencies: ``RCMP``, not ``RCMP-K``). Its keys see tracks, sensors and
    incidents whole; a key of any other agency gets what the sharing policy releases to
    its agency (docs/security/sharing.md). The bundled reference deployment is RCMP K
    Division's at Coutts."""
    limits: AccessLimits = field(default_factory=AccessLimits)
    """Failed-key and per-key request limits of the HTTP API (domain/limits.py)."""
    sensors: SensorRegistry = field(default_factory=SensorRegistry)
    """The declared sensors (``serve --sensors``). Ingest refuses a report from any other
    sensor unless the registry allows undeclared ones (``--allow-undeclared-sensors``);
    the default, an empty registry, refuses every sensor."""
    health: HealthLimits = field(default_factory=HealthLimits)
    """Where /healthz turns degraded (health.py)."""
    tak: TakStreamSettings | None = None
    """The TAK stream for devices (`serve --tak-port`, app/runtime/tak.py); None: none."""
    responders: tuple[DeclaredUnit, ...] = ()
    """The field units declared for intercepts (the deployment file's ``responders:``,
    respond/registry.py); units that only report are listed as they report."""
    responders_stale_after_s: float = STALE_AFTER_S
    """A reported unit position older than this is shown with its age, not proposed."""
    roads: Path | None = None
    """The deployment's road network (GeoJSON, geo/roads.py) for intercepts by road;
    None: straight lines only (`serve --roads`)."""
