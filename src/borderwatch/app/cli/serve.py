"""`borderwatch serve` and `borderwatch keys`: the service and its API keys."""

from __future__ import annotations

import socket
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console

from borderwatch.app.cli.options import (
    CapOption,
    MqttAlertsOption,
    PolicyOption,
    SecretEnvOption,
    TakCaOption,
    TakCertOption,
    TakKeyOption,
    TakOption,
    WebhookOption,
    delivery_from,
)
from borderwatch.app.runtime.config import WEBHOOK_SECRET_ENV, Delivery
from borderwatch.domain.time import DEFAULT_MAX_SKEW_S

if TYPE_CHECKING:
    from borderwatch.app.cluster.deployment import Deployment
    from borderwatch.app.runtime.config import TakStreamSettings
    from borderwatch.app.runtime.service import Service
    from borderwatch.ports.storage import ApiKeys
    from borderwatch.sources.registry import SensorRegistry

console = Console()
keys_app = typer.Typer(help="API keys: each bound to an agency and a role; only a hash is kept.",
                       no_args_is_help=True)
DbOption = Annotated[Path, typer.Option("--db", help="The service's SQLite file.")]
KeyStoreOption = Annotated[str | None, typer.Option(
    "--store", help="A cluster's PostgreSQL URL instead of --db.")]
DEFAULT_DB = Path("borderwatch-service.db")
ROLES = ("viewer", "operator", "screening_officer", "partner", "admin", "monitor")


def serve(
    db: DbOption = DEFAULT_DB,
    host: Annotated[str, typer.Option("--host", help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="Port (0: any free port).")] = 8600,
    replay: Annotated[
        str | None,
        typer.Option("--replay", help="Replay a bundled scenario (coutts, emerson) live."),
    ] = None,
    speed: Annotated[float, typer.Option("--speed", help="Replay speed (x real time).")] = 20.0,
    reorder_window: Annotated[
        float,
        typer.Option(
            "--reorder-window",
            help="Seconds of data time to wait for late reports.",
        )
    ] = 5.0,
    tracker: Annotated[
        str,
        typer.Option(
            "--tracker",
            help="process: the tracker runs in a process of its own, beside the HTTP one "
            "(the default: ingest and the live feed do not wait for it); thread: in this "
            "process (one process to debug or profile).",
        ),
    ] = "process",
    max_skew: Annotated[float, typer.Option(
        "--max-skew", help="Seconds after this server's clock a posted detection may be "
        "dated (more is refused per item: one report ahead would make all others late).",
        min=0.0)] = DEFAULT_MAX_SKEW_S,
    max_age: Annotated[float | None, typer.Option(
        "--max-age", help="Seconds before this server's clock a posted detection may be "
        "dated (default: no bound, so recorded nights can be posted).", min=0.0)] = None,
    max_body: Annotated[int, typer.Option(
        "--max-body", help="Largest ingest request body in bytes (413 beyond; the rest is "
        "not read).", min=1)] = 8 * 1024 * 1024,
    policy: PolicyOption = None,
    tak: TakOption = None,
    cap: CapOption = None,
    webhook: WebhookOption = None,
    alerts_mqtt: MqttAlertsOption = None,
    webhook_secret_env: SecretEnvOption = WEBHOOK_SECRET_ENV,
    tak_cert: TakCertOption = None,
    tak_key: TakKeyOption = None,
    tak_ca: TakCaOption = None,
    sensors: Annotated[Path | None, typer.Option(
        "--sensors", help="The sensor registry (YAML, docs/security/health.md): the "
        "sensors ingest accepts reports from, who may report for each, the limit per key.",
        dir_okay=False)] = None,
    allow_undeclared: Annotated[bool, typer.Option(
        "--allow-undeclared-sensors", help="Also track sensors the registry does not "
        "declare (development, tests, exercises); each key is still held to "
        "--max-sensors-per-key. Without it, a report from an undeclared sensor is "
        "refused.")] = False,
    max_sensors_per_key: Annotated[int | None, typer.Option(
        "--max-sensors-per-key", min=1, help="Distinct sensors one API key may report "
        "for (default: the registry's, else 1000).")] = None,
    config_file: Annotated[Path | None, typer.Option(
        "--config", help="A cluster's deployment file: serve as one of its API processes "
        "(docs/deployment.md).", dir_okay=False)] = None,
    store: Annotated[str | None, typer.Option(
        "--store", help="A cluster's PostgreSQL URL (or BORDERWATCH_STORE); with --bus.")] = None,
    bus: Annotated[str | None, typer.Option(
        "--bus", help="A cluster's NATS URL(s), comma-separated (or BORDERWATCH_BUS).")] = None,
    tak_port: Annotated[int | None, typer.Option(
        "--tak-port", help="Serve the TAK stream for ATAK devices on this port (TAK "
        "Server's is 8089): TLS, a client certificate from --tak-certs' CA required; each "
        "device gets its agency's view (docs/devices.md).", min=0, max=65535)] = None,
    tak_host: Annotated[str | None, typer.Option(
        "--tak-host", help="Address of the TAK stream (default: --host).")] = None,
    tak_certs: Annotated[Path | None, typer.Option(
        "--tak-certs", help="The folder of `borderwatch tak certs init`.",
        file_okay=False)] = None,
    tak_plain: Annotated[bool, typer.Option(
        "--tak-plain", help="Plain TCP instead of TLS: loopback addresses only "
        "(development); every connection is a field device of this agency.")] = False,
    mqtt: Annotated[str | None, typer.Option(
        "--mqtt", help="Also take Frigate NVR events from this MQTT broker, mqtt://host:port "
        "(with --cameras; docs/devices.md).")] = None,
    cameras: Annotated[Path | None, typer.Option(
        "--cameras", exists=True, dir_okay=False,
        help="The Frigate cameras file (YAML) for --mqtt.")] = None,
    mqtt_topic: Annotated[str, typer.Option(
        "--mqtt-topic", help="Frigate's events topic (<topic_prefix>/events).")] = "frigate/events",
    mqtt_client_id: Annotated[str, typer.Option(
        "--mqtt-client-id", help="The MQTT client id, fixed: the broker keeps the session "
        "under it while the service restarts.")] = "borderwatch-frigate",
    responders: Annotated[Path | None, typer.Option(
        "--responders", help="A YAML file whose `responders:` list declares the field "
        "units (id, callsign, agency, home, road_speed_ms, offroad_speed_ms; "
        "docs/responders.md); a deployment file will do. With --replay and none given, "
        "the scenario's own (simulated) units.", dir_okay=False)] = None,
    roads: Annotated[Path | None, typer.Option(
        "--roads", help="The deployment's road network, GeoJSON LineStrings (optional "
        "speed_kmh, name; roads join where they share a vertex): intercepts go by road "
        "where sooner than a straight line (docs/responders.md). None is bundled.",
        dir_okay=False)] = None,
    basemap: Annotated[Path | None, typer.Option(
        "--basemap", help="An offline PMTiles basemap (version 3) drawn under the "
        "dashboard's vector layers, served from this service with range requests "
        "(docs/dashboard.md); without one the map's background is plain.",
        exists=True, dir_okay=False, readable=True)] = None,
) -> None:
    """Run the HTTP API, the live feed and the dashboard (FastAPI on uvicorn).

    Only the sensors declared with --sensors are tracked; a report from any other is
    refused per item, unless --allow-undeclared-sensors (development).

    Detections are stored in --db before they are acknowledged; on restart the stored
    stream is replayed, so tracks, incidents and alerts come back. With --replay, the
    scenario is played into the service at --speed and a dashboard URL with a fresh
    operator key (RCMP-K) is printed; everything replayed is marked simulated. Each
    replay starts from an empty --db: the database of an earlier replay is moved to
    <db>.previous (one kept), and one holding real detections is refused.

    Alerts are routed by --policy and delivered to the TAK servers (--tak), CAP folders
    (--cap), webhooks (--webhook) and MQTT brokers (--alerts-mqtt, the policy's mqtt
    channel) given, through the outbox: retried with backoff, dead-lettered after the
    last try (`borderwatch alerts dead --db`), never lost on a restart. With none given,
    alerts are stored and shown, and nothing is sent.

    With --tak-port and --tak-certs (`borderwatch tak certs`), ATAK devices connect over
    TLS with their client certificate: each receives the tracks and incidents its
    agency may see, and its position reports and sightings come back in.

    With --config, or --store and --bus (or their environment variables), this is one
    API process of a cluster: detections go to NATS JetStream by boundary segment and
    are answered once stored there; tracker workers and dispatchers (`borderwatch
    worker`) do the rest; the dashboard is fed from the bus.

    With --mqtt and --cameras, a Frigate NVR's events are a source too, as `borderwatch
    ingest mqtt` takes them, stored and tracked like posted detections.
    """
    from borderwatch.app.bootstrap import build_service, settle_collector
    from borderwatch.app.http.api import create_app, run_server
    from borderwatch.app.runtime.config import ServiceConfig
    from borderwatch.app.runtime.replay import Replay
    from borderwatch.domain.access import Role

    if tracker not in ("process", "thread"):
        from borderwatch.domain import InputError

        raise InputError("--tracker", f"must be process or thread, got {tracker!r}")
    delivery = delivery_from(policy, tak, cap, webhook, webhook_secret_env, tak_cert,
                             tak_key, tak_ca, mqtt=alerts_mqtt)
    config = ServiceConfig(db=db, replay=replay, reorder_window_s=reorder_window,
                           tracker_process=tracker == "process", delivery=delivery,
                           max_skew_s=max_skew, max_age_s=max_age, max_body_bytes=max_body,
                           sensors=_sensor_registry(sensors, allow_undeclared,
                                                    max_sensors_per_key, replay is None),
                           tak=_tak_stream(tak_port, tak_host or host, tak_certs, tak_plain))
    deployment = _deployment(config_file, store, bus, delivery)
    if basemap is not None:
        config.basemap = _pmtiles(basemap)
    if responders is not None:  # the field units an intercept may propose
        config.responders = _responders_file(responders)
    config.roads = roads
    if replay is not None and not config.responders:  # the night's units (simulated)
        from borderwatch.app.demo.responders import night_units

        config.responders = night_units(_scenario(replay))
    if replay is not None:  # the night's weather, as the demo uses it (risk: cold, snow)
        from borderwatch.sim import bundled_scenario_path, load_scenario
        from borderwatch.watch import Conditions, FixedConditions

        weather = load_scenario(bundled_scenario_path(replay)).weather
        config.conditions = FixedConditions(
            Conditions(weather.temperature_c, weather.snow_cover, weather.wind_ms))
    if replay is not None and deployment is None:
        from borderwatch.app.runtime.replay import fresh_replay_db

        moved = fresh_replay_db(db)  # each replay starts from nothing (replay.py)
        if moved is not None:
            typer.echo(moved)
    listener = _listen(host, port)  # bound here, so the printed link has the real port
    port = int(listener.getsockname()[1])
    if deployment is not None:
        from borderwatch.app.bootstrap import build_cluster_service

        service = build_cluster_service(config, deployment)
    else:
        service = build_service(config)
    if (mqtt is None) != (cameras is None):
        from borderwatch.domain import InputError

        raise InputError("--mqtt" if mqtt is None else "--cameras",
                         "--mqtt and --cameras go together (the broker and the cameras file)")
    if mqtt is not None and cameras is not None:
        _attach_frigate(service, mqtt, cameras, mqtt_topic, mqtt_client_id)
    app = create_app(service)
    shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    if ":" in shown:
        shown = f"[{shown}]"
    if replay is not None:
        player = Replay(service, replay, speed)
        service.extras["replay"] = player  # the operator's controls (http/history.py)
        key, _ = service.keys.create("RCMP-K", Role.OPERATOR, note=f"replay {replay}")
        typer.echo(f"EXERCISE: replaying {replay} at x{speed:g} (simulated data)")
        typer.echo(f"Dashboard: http://{shown}:{port}/#key={key}")
        service.starters.append(player.start)
    else:
        typer.echo(f"Dashboard: http://{shown}:{port}/ (create a key: borderwatch keys create)")
    if delivery.sends:
        where = [*delivery.cot, *delivery.cap, *delivery.webhook, *delivery.mqtt]
        typer.echo(f"Alerts delivered to: {', '.join(where)}")
    if config.tak is not None:
        scheme = "tcp" if config.tak.plain else "ssl"
        typer.echo(f"TAK stream: {config.tak.host}:{service.extras['tak'].port}:{scheme}")
    settle_collector()
    run_server(app, listener)


def _tak_stream(port: int | None, host: str, certs: Path | None,
                plain: bool) -> TakStreamSettings | None:
    """The TAK stream's settings, checked (``InputError`` names the option)."""
    from borderwatch.app.runtime.config import TakStreamSettings
    from borderwatch.domain import InputError

    if port is None:
        if certs is not None or plain:
            raise InputError("--tak-port", "give the port of the TAK stream")
        return None
    settings = TakStreamSettings(port=port, host=host, cert_dir=certs, plain=plain)
    settings.check()
    return settings
def _attach_frigate(service: Service, url: str, cameras: Path, topic: str,
                    client_id: str) -> None:
    """Frigate's events as a source of the service (app/runtime/frigate_intake.py)."""
    from borderwatch.adapters.mqtt.broker import parse_broker
    from borderwatch.adapters.sources.frigate_cameras import load_frigate_cameras
    from borderwatch.app.runtime.frigate_intake import attach_to_service

    broker = parse_broker(url, "--mqtt")
    calibrated = load_frigate_cameras(cameras)
    attach_to_service(service, {"broker": broker, "cameras": calibrated, "topic": topic,
                                "client_id": client_id})
    typer.echo(f"Frigate events: {topic} on {broker.url} ({len(calibrated)} cameras)")


def _scenario(name: str) -> Any:
    from borderwatch.sim import bundled_scenario_path, load_scenario

    return load_scenario(bundled_scenario_path(name))


def _responders_file(path: Path) -> Any:
    """The ``responders:`` list of a YAML file (InputError names the file and item)."""
    import yaml

    from borderwatch.domain import InputError
    from borderwatch.respond import parse_responders

    if not path.is_file():
        raise InputError("--responders", f"no file at {path}")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as err:
        raise InputError("--responders", f"{path}: not YAML: {err}") from None
    if not isinstance(data, dict) or "responders" not in data:
        raise InputError("--responders", f"{path}: give a mapping with a `responders:` list")
    try:
        return parse_responders(data["responders"])
    except InputError as err:
        raise InputError(err.field, f"{err.reason} ({path})") from None


def _sensor_registry(path: Path | None, allow_undeclared: bool, max_per_key: int | None,
                     warn: bool) -> SensorRegistry:
    """The registry --sensors declares (none: no sensor is declared)."""
    from borderwatch.adapters.sources.sensor_file import load_sensor_file
    from borderwatch.sources.registry import SensorRegistry

    registry = (load_sensor_file(path, allow_undeclared=allow_undeclared) if path
                else SensorRegistry(allow_undeclared=allow_undeclared))
    if max_per_key is not None:
        registry.max_sensors_per_key = max_per_key
    if warn and not registry.sensors and not allow_undeclared:
        Console(stderr=True).print(
            "No sensor is declared: every detection posted will be refused. Give "
            "--sensors FILE, or --allow-undeclared-sensors for development.")
    return registry


def _deployment(config_file: Path | None, store: str | None, bus: str | None,
                delivery: Delivery) -> Deployment | None:
    """The cluster this API process belongs to, or None (one process on SQLite)."""
    import os

    from borderwatch.app.cluster.deployment import (
        BUS_ENV,
        STORE_ENV,
        load_deployment,
        with_delivery,
    )

    if not (config_file or store or bus or os.environ.get(STORE_ENV) or os.environ.get(BUS_ENV)):
        return None
    deployment = load_deployment(config_file, store=store, bus=bus)
    return with_delivery(deployment, delivery) if delivery.sends or delivery.policy else deployment


def _listen(host: str, port: int) -> socket.socket:
    """A listening socket on ``host:port`` (0: a free port chosen by the system)."""
    from borderwatch.domain import InputError

    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as err:
        sock.close()
        raise InputError("--port", f"cannot listen on {host}:{port}: {err.strerror}") from None
    sock.listen(2048)
    return sock


def _keys(db: Path, store_url: str | None) -> ApiKeys:
    """The key store: the service's SQLite file, or a cluster's PostgreSQL."""
    if store_url is not None:
        from borderwatch.adapters.postgres.storage import PostgresStorage

        return PostgresStorage(store_url).keys
    from borderwatch.adapters.sqlite.keys import KeyStore

    return KeyStore(db)


@keys_app.command("create")
def create_key(
    agency: Annotated[str, typer.Option("--agency", help="Agency or unit, e.g. RCMP-K, USBP-HVM.")],
    role: Annotated[str, typer.Option("--role", help="viewer, operator, screening_officer, "
                                      "partner, admin or monitor (/metrics only).")],
    db: DbOption = DEFAULT_DB,
    note: Annotated[str, typer.Option("--note", help="Who it is for.")] = "",
    store_url: KeyStoreOption = None,
) -> None:
    """Create an API key and print it once (only its SHA-256 hash is stored)."""
    from borderwatch.domain import InputError
    from borderwatch.domain.access import Role

    if role not in ROLES:
        raise InputError("--role", f"must be one of {', '.join(ROLES)}, got {role!r}")
    store = _keys(db, store_url)
    try:
        key, who = store.create(agency, Role(role), note)
    except ValueError as err:
        raise InputError("--agency", str(err)) from None
    finally:
        getattr(store, "close", lambda: None)()
    typer.echo(key)
    Console(stderr=True).print(f"{who.key_id}: {agency} {role} (shown once; store it now)")


@keys_app.command("list")
def list_keys(db: DbOption = DEFAULT_DB, store_url: KeyStoreOption = None) -> None:
    """The keys: id, agency, role, creation time (never the key itself)."""

    store = _keys(db, store_url)
    for row in store.list():
        revoked = f"  revoked {row['revoked_at']}" if row["revoked_at"] else ""
        typer.echo(f"{row['key_id']}  {row['agency']:<12} {row['role']:<18} "
                   f"{row['created_at']}{revoked}")
    getattr(store, "close", lambda: None)()


@keys_app.command("revoke")
def revoke_key(
    key_id: Annotated[str, typer.Argument(help="The key's id, as `borderwatch keys list` "
                                               "shows it (key-…), never the key itself.")],
    db: DbOption = DEFAULT_DB,
    store_url: KeyStoreOption = None,
) -> None:
    """Revoke an API key: refused (401) from then on, within 5 s in a running service."""
    from borderwatch.domain import InputError

    store = _keys(db, store_url)
    try:
        if not store.revoke(key_id):
            raise InputError("KEY_ID", f"no live key {key_id!r} in {db} (see keys list)")
    finally:
        getattr(store, "close", lambda: None)()
    Console(stderr=True).print(f"{key_id} revoked")


def _pmtiles(path: Path) -> Path:
    """``path`` if it starts as a PMTiles version 3 archive does (the 7 bytes "PMTiles"
    and the version byte: github.com/protomaps/PMTiles, spec/v3); else a clear error
    rather than a map that silently stays blank."""
    from borderwatch.domain import InputError

    with path.open("rb") as f:
        head = f.read(8)
    if head[:7] != b"PMTiles":
        raise InputError("--basemap", f"{path} is not a PMTiles archive (it does not start "
                         "with 'PMTiles')")
    if head[7] != 3:
        raise InputError("--basemap", f"{path} is PMTiles version {head[7]}; the dashboard "
                         "reads version 3 (convert it with the pmtiles tool)")
    return path.resolve()
