"""A deployment's settings, shared by every process of a cluster: where the records are
(PostgreSQL), where the bus is (NATS JetStream), how the border is cut into segments,
and where alerts go. From a YAML file (``--config``), environment variables
(``BORDERWATCH_STORE``, ``BORDERWATCH_BUS``) or options, in rising order of precedence.

    name: bw                  # the bus's streams BW_DET, BW_LIVE; subjects bw.det.<segment>
    store: postgresql://borderwatch@db1.example:5432/borderwatch
    bus: [nats://nats1.example:4222, nats://nats2.example:4222, nats://nats3.example:4222]
    replicas: 3               # JetStream stream replicas (1 on one server)
    retention_hours: 72       # how long the bus keeps detections (a worker replays them)
    claim_lease_s: 60         # a dispatcher's hold on a message it sends (then another may)
    segments: my-segments.yaml   # default: the bundled eight USBP sectors
    delivery:
      policy: policy.yaml
      tak: [tls://tak.example:8089]
      cap: [/srv/cap-outbox]
      webhook: [https://partner.example/hook]
      mqtt: [mqtts://broker.example:8883]   # incidents on borderwatch/incidents/<segment>
      webhook_secret_env: BORDERWATCH_WEBHOOK_SECRET
      deadline_s: 5           # one delivery attempt, whatever the receiver does
    responders:               # field units an intercept may propose (docs/responders.md)
      - {id: RCMP-K-IBET-1, callsign: "IBET 1", agency: RCMP,
         home: {lat: 49.003, lon: -111.955}, road_speed_ms: 22, offroad_speed_ms: 8}
    responders_stale_after_s: 600   # a reported position older than this is not proposed
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import yaml

from borderwatch.alerts.outbox import DEADLINE_S
from borderwatch.app.runtime.config import WEBHOOK_SECRET_ENV, Delivery, TakSettings
from borderwatch.domain import InputError
from borderwatch.respond import STALE_AFTER_S, DeclaredUnit, parse_responders

STORE_ENV = "BORDERWATCH_STORE"
BUS_ENV = "BORDERWATCH_BUS"
LIVE_RETAINED = 10_000
DETECTION_MESSAGES_KEPT = 100_000_000
"""The detection stream's message limit; its age limit (``retention_hours``) bites first:
a message holds a request's detections for one segment."""
_KEYS = {"name", "store", "bus", "replicas", "retention_hours", "claim_lease_s", "segments",
         "delivery", "responders", "responders_stale_after_s"}
_NAME = re.compile(r"[a-z][a-z0-9_]{0,30}")
_DELIVERY_KEYS = {"policy", "tak", "cap", "webhook", "mqtt", "webhook_secret_env",
                  "tak_cert", "tak_key", "tak_ca", "deadline_s"}


@dataclass(frozen=True)
class Deployment:
    """What every process of a cluster must agree on (module docstring)."""

    store: str
    bus: tuple[str, ...]
    replicas: int = 1
    retention_hours: float = 72.0
    segments: Path | None = None
    delivery: Delivery = field(default_factory=Delivery)
    claim_lease_s: float = 60.0
    """How long a dispatcher holds a message it is sending: one that dies mid-delivery
    leaves it to another after this (adapters/postgres/outbox.py). Longer than the
    slowest send, or a slow send is made twice (receivers de-duplicate by key)."""
    responders: tuple[DeclaredUnit, ...] = ()
    """The field units declared for intercepts (``responders:``; respond/registry.py)."""
    responders_stale_after_s: float = STALE_AFTER_S
    name: str = "bw"
    """Names the deployment's streams on a shared NATS: ``BW_DET`` holds the detections
    on ``bw.det.<segment code>`` (wire.detection_subject), ``BW_LIVE`` the live events on
    ``bw.live.<type>``."""

    @property
    def detection_stream(self) -> tuple[str, str]:
        """The detection stream's name and subject namespace."""
        return f"{self.name.upper()}_DET", f"{self.name}.det"

    @property
    def live_stream(self) -> tuple[str, str]:
        return f"{self.name.upper()}_LIVE", f"{self.name}.live"

    def check(self) -> None:
        if not _NAME.fullmatch(self.name):
            raise InputError("name", f"{self.name!r}: lower-case letters, digits and _, "
                             "starting with a letter")
        if not self.store.startswith(("postgresql://", "postgres://")):
            raise InputError("store", f"{self.store!r}: give a postgresql:// URL")
        if not self.bus:
            raise InputError("bus", "give at least one nats:// URL")
        for url in self.bus:
            if not url.startswith(("nats://", "tls://")):
                raise InputError("bus", f"{url!r}: give nats://host:port")
        if self.replicas not in (1, 3, 5):
            raise InputError("replicas", f"must be 1, 3 or 5, got {self.replicas}")
        if not self.claim_lease_s > 0:
            raise InputError("claim_lease_s", f"must be > 0, got {self.claim_lease_s}")
        if not self.retention_hours > 0:
            raise InputError("retention_hours", f"must be > 0, got {self.retention_hours}")
        if self.segments is not None and not self.segments.is_file():
            raise InputError("segments", f"no segments file at {self.segments}")
        self.delivery.check()
        if not self.claim_lease_s > self.delivery.deadline_s:
            raise InputError("claim_lease_s", f"must be longer than one delivery attempt "
                             f"(delivery.deadline_s = {self.delivery.deadline_s:g} s), got "
                             f"{self.claim_lease_s:g}")


def load_deployment(
    path: Path | None = None,
    *,
    store: str | None = None,
    bus: str | None = None,
    delivery: Delivery | None = None,
) -> Deployment:
    """The file (if any), then the environment, then the options given; checked."""
    data: dict[str, Any] = {}
    if path is not None:
        if not path.is_file():
            raise InputError("--config", f"no deployment file at {path}")
        try:
            loaded = yaml.safe_load(path.read_text(encoding="utf-8"))
        except yaml.YAMLError as err:
            raise InputError("--config", f"{path}: not YAML: {err}") from None
        if not isinstance(loaded, dict):
            raise InputError("--config", f"{path}: must be a mapping of settings")
        unknown = set(loaded) - _KEYS
        if unknown:
            raise InputError("--config", f"{path}: unknown settings {sorted(unknown)}; "
                             f"use {sorted(_KEYS)}")
        data = loaded
    store = store or os.environ.get(STORE_ENV) or data.get("store")
    bus_urls: Any = bus or os.environ.get(BUS_ENV) or data.get("bus")
    if not store:
        raise InputError("store", f"give --store, {STORE_ENV} or `store:` in --config")
    if not bus_urls:
        raise InputError("bus", f"give --bus, {BUS_ENV} or `bus:` in --config")
    if isinstance(bus_urls, str):
        bus_urls = [u.strip() for u in bus_urls.split(",") if u.strip()]
    base = path.parent if path is not None else Path(".")
    deployment = Deployment(
        name=str(data.get("name", "bw")),
        store=str(store),
        bus=tuple(str(u) for u in bus_urls),
        replicas=int(data.get("replicas", 1)),
        retention_hours=float(data.get("retention_hours", 72.0)),
        claim_lease_s=float(data.get("claim_lease_s", 60.0)),
        segments=(base / data["segments"]) if data.get("segments") else None,
        delivery=delivery or _delivery(data.get("delivery"), base),
        responders=parse_responders(data.get("responders")),
        responders_stale_after_s=_seconds(data.get("responders_stale_after_s", STALE_AFTER_S),
                                          "responders_stale_after_s"),
    )
    deployment.check()
    return deployment


def _seconds(value: Any, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
        raise InputError(name, f"must be a positive number of seconds, got {value!r}")
    return float(value)


def _delivery(raw: Any, base: Path) -> Delivery:
    if raw is None:
        return Delivery()
    if not isinstance(raw, dict):
        raise InputError("delivery", "must be a mapping (policy, tak, cap, webhook, mqtt)")
    unknown = set(raw) - _DELIVERY_KEYS
    if unknown:
        raise InputError("delivery", f"unknown settings {sorted(unknown)}; "
                         f"use {sorted(_DELIVERY_KEYS)}")

    def listed(key: str) -> tuple[str, ...]:
        value = raw.get(key) or ()
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list | tuple):
            raise InputError(f"delivery.{key}", "must be a list")
        return tuple(str(v) for v in value)

    def path(key: str) -> Path | None:
        return base / raw[key] if raw.get(key) else None

    try:
        deadline_s = float(raw.get("deadline_s", DEADLINE_S))
    except (TypeError, ValueError):
        raise InputError("delivery.deadline_s", f"not a number of seconds: "
                         f"{raw.get('deadline_s')!r}") from None
    from borderwatch.adapters.mqtt.broker import parse_broker

    for url in listed("mqtt"):  # named as the file names it, not as the option does
        parse_broker(url, "delivery.mqtt")
    return Delivery(policy=path("policy"), cot=listed("tak"), cap=listed("cap"),
                    webhook=listed("webhook"), mqtt=listed("mqtt"), deadline_s=deadline_s,
                    webhook_secret_env=str(raw.get("webhook_secret_env", WEBHOOK_SECRET_ENV)),
                    tak=TakSettings(client_cert=path("tak_cert"), client_key=path("tak_key"),
                                    ca_file=path("tak_ca")))


def with_delivery(deployment: Deployment, delivery: Delivery) -> Deployment:
    """The deployment with the delivery given on a command line instead of its own."""
    delivery.check()
    return replace(deployment, delivery=delivery)
