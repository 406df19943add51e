"""`borderwatch ingest mqtt`: Frigate NVR events from an MQTT broker into a detection log."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from borderwatch.app.runtime.frigate_intake import DEFAULT_CLIENT_ID, DEFAULT_TOPIC

console = Console()
err_console = Console(stderr=True)
ingest_app = typer.Typer(
    help="Take detections from devices that publish their own format (Frigate NVRs over "
    "MQTT) into a detection log. See docs/devices.md.",
    no_args_is_help=True,
)

BrokerOption = Annotated[str, typer.Option(
    "--broker", help="The MQTT broker Frigate publishes to: mqtt://[user[:password]@]host"
    "[:port] (1883) or mqtts:// (TLS, 8883).")]
TopicOption = Annotated[str, typer.Option(
    "--topic", help="Frigate's events topic: <topic_prefix>/events of its mqtt: config.")]
CamerasOption = Annotated[Path, typer.Option(
    "--cameras", exists=True, dir_okay=False,
    help="The cameras file (YAML): each Frigate camera name with where it is, its height, "
    "azimuth, tilt, detect resolution and lens (docs/devices.md).")]
ClientIdOption = Annotated[str, typer.Option(
    "--client-id", help="This subscriber's MQTT client id. Keep it fixed: the broker keeps "
    "the session under it and queues what Frigate publishes while Borderwatch is away.")]


@ingest_app.command("mqtt")
def ingest_mqtt(
    broker: BrokerOption,
    cameras: CamerasOption,
    db: Annotated[Path, typer.Option(
        "--db", help="The SQLite file to store the detections in: a service's --db (while "
        "that service is stopped; a running one takes MQTT itself with serve --mqtt), "
        "replayed by the service when it starts.")] = Path("borderwatch-service.db"),
    topic: TopicOption = DEFAULT_TOPIC,
    client_id: ClientIdOption = DEFAULT_CLIENT_ID,
    max_events: Annotated[int, typer.Option(
        "--max-events", min=0, help="Stop after this many messages (0: until Ctrl-C).")] = 0,
    idle_exit: Annotated[float, typer.Option(
        "--idle-exit", min=0.0, help="Stop after this many seconds without a message "
        "(0: never).")] = 0.0,
    show_refusals: Annotated[int, typer.Option(
        "--show-refusals", min=0, help="How many refused messages to list at the end.")] = 10,
) -> None:
    """Subscribe to a Frigate NVR's events and store them as detections on the ground.

    Each message on --topic (Frigate's `frigate/events`: type new, update or end, and the
    tracked object) becomes one detection: the foot of the object's box is projected onto
    flat ground with the camera's calibration from --cameras, with a position error that
    grows with range. person -> person, car/truck/bus/motorcycle/bicycle/boat -> vehicle,
    animals -> animal; other labels are refused. Frigate's false positives are skipped.
    Malformed messages, unknown cameras and labels, missing fields, repeated and
    out-of-order messages are refused, counted by reason and named (event id, field).

    The subscription is QoS 1 in a persistent session under --client-id: what Frigate
    publishes while this command is not running is delivered when it starts again, and a
    message is acknowledged only once stored, so a crash loses nothing. Runs until
    Ctrl-C, --max-events or --idle-exit; then prints the counts by reason.

    Example: borderwatch ingest mqtt --broker mqtt://nvr.local:1883 --cameras cameras.yaml
    --db borderwatch-service.db
    """
    from borderwatch.adapters.mqtt.broker import parse_broker
    from borderwatch.adapters.sources.frigate_cameras import load_frigate_cameras
    from borderwatch.adapters.sqlite.detections import DetectionLog
    from borderwatch.app.runtime.frigate_intake import FrigateIntake, log_store
    from borderwatch.domain import BorderwatchError

    address = parse_broker(broker)
    calibrated = load_frigate_cameras(cameras)
    log = DetectionLog(db)
    intake = FrigateIntake(address, calibrated, log_store(log), topic=topic,
                           client_id=client_id)
    try:
        intake.start()
    except ConnectionError as err:
        log.close()
        raise BorderwatchError(str(err)) from None
    err_console.print(f"subscribed to {escape(topic)} on {address.url} as {client_id} "
                      f"({len(calibrated)} cameras); Ctrl-C to stop", highlight=False)
    status = intake.subscriber.status
    last_count, last_change = 0, time.monotonic()
    try:
        with err_console.status("") as line:
            while intake.subscriber.failed is None:
                time.sleep(0.2)
                counts = intake.counts
                refused = sum(v for k, v in counts.items() if k not in ("accepted", "ended"))
                state = "connected" if status.connected else f"[red]{status.last_error}[/]"
                line.update(f"{state} | received {status.received:,} | stored "
                            f"{counts['accepted']:,} | refused {refused:,} | waiting "
                            f"{intake.subscriber.pending:,}")
                if status.handled != last_count:
                    last_count, last_change = status.handled, time.monotonic()
                if max_events and status.handled >= max_events:
                    break
                if idle_exit and time.monotonic() - last_change >= idle_exit:
                    break
    except KeyboardInterrupt:
        pass
    finally:
        intake.stop()
        log.close()
    _report(intake, db, show_refusals)
    if intake.subscriber.failed is not None:
        raise BorderwatchError(f"stopped: {status.last_error} (what was not stored stays "
                               "with the broker for the next run)")


def _report(intake: object, db: Path, show_refusals: int) -> None:
    from borderwatch.adapters.sources.frigate import REASONS
    from borderwatch.app.runtime.frigate_intake import FrigateIntake

    assert isinstance(intake, FrigateIntake)
    counts = intake.counts
    for refusal in intake.refusals[:show_refusals]:
        err_console.print(f"[red]refused[/] {escape(str(refusal))}", highlight=False)
    table = Table(title="borderwatch ingest mqtt", show_header=False)
    table.add_row("messages received", f"{intake.subscriber.status.received:,}")
    table.add_row("detections stored", f"{counts['accepted']:,}")
    table.add_row("end messages (object closed)", f"{counts['ended']:,}")
    for reason in REASONS:
        label = ("skipped: Frigate's false positives" if reason == "false_positive"
                 else f"refused: {reason.replace('_', ' ')}")
        table.add_row(label, f"{counts[reason]:,}")
    table.add_row("connections (1 + reconnections)", f"{intake.subscriber.status.connections:,}")
    console.print(table)
    if any(camera.simulated for camera in intake.cameras.values()):
        console.print("[yellow]Simulated cameras: their detections are marked simulated.[/]")
    console.print(f"detections -> {db}")
