"""`borderwatch alerts ...`: operators' commands on an alert database (alert states, the
outbox and the disclosure log in one SQLite file, as written by the demo or a service)."""

from __future__ import annotations

import os
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import orjson
import typer
from rich.console import Console
from rich.table import Table

from borderwatch.domain import InputError
from borderwatch.domain.time import DEFAULT_MAX_SKEW_S

if TYPE_CHECKING:  # imported where used: `borderwatch --help` stays fast
    from borderwatch.alerts import AlertBook, AlertState
    from borderwatch.app.runtime.alert_service import AlertService

alerts_app = typer.Typer(
    help=(
        "Alert lifecycle and delivery on an alert database (--db, e.g. out/demo/alerts.db): "
        "list alerts, acknowledge (stops escalation), resolve (sends CAP Cancel / CoT "
        "cancel where the alert went), list and retry the dead-letter list, deliver what is "
        "pending, show the disclosure log, and parse an inbound partner tip."
    ),
    no_args_is_help=True,
)
# A table piped to a file or another program is read whole, not on a screen: rich's
# default of 80 columns there folded unit ids and incident types mid-word (`grep RCMP-K`
# found nothing). COLUMNS, when set, still decides; a terminal gives its own width.
console = (Console(width=160)
           if "COLUMNS" not in os.environ and not sys.stdout.isatty() else Console())

DbOption = Annotated[
    Path,
    typer.Option("--db", help="Alert database (SQLite), e.g. out/demo/alerts.db."),
]
ByOption = Annotated[str, typer.Option(
    "--by", help="The person's name (recorded with the alert).")]
NoteOption = Annotated[str, typer.Option(
    "--note", help="What they say about it, e.g. 'team en route' (recorded with the alert).")]


def _book(db: Path) -> AlertBook:
    from borderwatch.adapters.sqlite.alerts import SqliteAlertStore
    from borderwatch.alerts import AlertBook, AlertPolicy

    return AlertBook(AlertPolicy.bundled(), SqliteAlertStore.existing(db))


def _center(db: Path) -> AlertService:
    from borderwatch.app.bootstrap import open_alert_service
    from borderwatch.geo import Boundary

    if not db.is_file():
        raise InputError("--db", f"no alert database at {db}")
    return open_alert_service(db, boundary=Boundary.bundled())


@alerts_app.command("list")
def list_alerts(
    db: DbOption,
    status: Annotated[
        str | None,
        typer.Option(help="Only this status: triggered, acknowledged, resolved, inhibited."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="JSON lines instead of a table.")] = False,
) -> None:
    """List the alerts in the database, oldest first, with their status and escalation."""
    from borderwatch.adapters.sqlite.alerts import state_to_json

    states = _book(db).store.all_alerts()
    if status:
        states = [s for s in states if s.status.value == status]
    if as_json:
        for state in states:
            typer.echo(orjson.dumps(state_to_json(state)).decode())
        return
    table = Table(title=f"alerts in {db}")
    # `alerts ack` needs the whole id: its column keeps its width while the others wrap,
    # and nothing is cut with an ellipsis (too narrow even for the id, it folds).
    width = max((len(s.alert_id) for s in states), default=5)
    table.add_column("alert", no_wrap=True, min_width=width, overflow="fold")
    for column in ("to", "incident", "status", "raised (UTC)", "pages", "note"):
        table.add_column(column, overflow="fold")
    for s in states:
        note = _note(s)
        table.add_row(
            s.alert_id,
            s.unit.unit_id,
            f"{s.facts.type} {s.facts.direction}".strip(),
            s.status.value + (" (SIMULATED)" if s.simulated else ""),
            f"{s.raised_at:%Y-%m-%d %H:%M:%S}",
            str(s.escalation_level),
            note,
        )
    console.print(table)


def _note(state: AlertState) -> str:
    """The list's note: who acknowledged or resolved it and what they said."""
    if state.resolved_by:
        return f"resolved by {state.resolved_by}" + (f": {state.reason}" if state.reason else "")
    if state.acknowledged_by:
        said = f": {state.acknowledged_note}" if state.acknowledged_note else ""
        return f"ack by {state.acknowledged_by}{said}"
    return state.reason or ""


@alerts_app.command("ack")
def ack(alert_id: str, db: DbOption, by: ByOption = "operator", note: NoteOption = "") -> None:
    """Acknowledge an alert: its escalation chain stops; nobody else is paged for it. The
    person's name (--by) and their note (--note) are stored with the alert."""
    service = _center(db)
    try:
        state = service.center.acknowledge(alert_id, by, datetime.now(UTC), note)
    finally:
        service.close()
    console.print(f"{state.alert_id} acknowledged by {by}; escalation stopped")


@alerts_app.command("resolve")
def resolve(
    alert_id: str,
    db: DbOption,
    by: ByOption = "operator",
    note: Annotated[str, typer.Option(
        "--note", "--reason", help="Why, e.g. 'intercepted' (stored with the alert and "
        "sent in the CAP Cancel note).")] = "",
) -> None:
    """Resolve an alert. A CAP Cancel (referencing every CAP message of the alert), a CoT
    cancel and a webhook `resolve` event are queued to where the alert was sent; `alerts
    deliver` or the running service sends them."""
    service = _center(db)
    try:
        state = service.center.resolve(alert_id, by, datetime.now(UTC), note)
        queued = [
            m
            for m in service.outbox.for_alert(alert_id)
            if ":cancel:" in m.message.dedup_key or ":resolve:" in m.message.dedup_key
        ]
    finally:
        service.close()
    console.print(f"{state.alert_id} resolved by {by}; {len(queued)} cancel message(s) queued")


@alerts_app.command("dead")
def dead(db: DbOption) -> None:
    """List the dead-letter messages: every try failed; nothing is dropped silently."""
    from borderwatch.adapters.sqlite.outbox import SqliteOutbox

    if not db.is_file():
        raise InputError("--db", f"no alert database at {db}")
    outbox = SqliteOutbox(db)
    rows = outbox.dead()
    outbox.close()
    table = Table(title=f"dead letters in {db}")
    for column in ("id", "alert", "channel", "destination", "tries", "last error"):
        table.add_column(column)
    for r in rows:
        m = r.message
        table.add_row(
            str(r.id), m.alert_id, m.channel, m.destination, str(r.attempts), r.last_error or ""
        )
    console.print(table)
    console.print(f"{len(rows)} dead letter(s)")


@alerts_app.command("retry")
def retry(
    db: DbOption,
    ids: Annotated[list[int] | None, typer.Argument(help="Message ids (default: all).")] = None,
) -> None:
    """Put dead-letter messages back in the queue (all, or the given ids), due now."""
    from borderwatch.adapters.sqlite.outbox import SqliteOutbox

    if not db.is_file():
        raise InputError("--db", f"no alert database at {db}")
    outbox = SqliteOutbox(db)
    count = outbox.retry(ids or None)
    outbox.close()
    console.print(f"{count} message(s) queued again; `borderwatch alerts deliver` sends them")


@alerts_app.command("deliver")
def deliver(
    db: DbOption,
    secret_env: Annotated[
        str, typer.Option(help="Environment variable holding the webhook secret.")
    ] = "BORDERWATCH_WEBHOOK_SECRET",
    tak_cert: Annotated[
        Path | None, typer.Option(help="Client certificate (PEM) for tls://.")
    ] = None,
    tak_key: Annotated[Path | None, typer.Option(help="Client key (PEM) for tls://.")] = None,
    tak_ca: Annotated[Path | None, typer.Option(help="CA of the TAK server (PEM).")] = None,
) -> None:
    """Send every pending message that is due, once, and report. Webhooks are signed with
    the secret from --secret-env; TAK servers over tls:// need --tak-cert and --tak-key."""
    from borderwatch.adapters.sqlite.outbox import SqliteOutbox
    from borderwatch.adapters.transports.dispatch import Dispatcher, FolderTransport
    from borderwatch.adapters.transports.tak import TakServerTransport
    from borderwatch.adapters.transports.webhook import WebhookTransport
    from borderwatch.alerts.base import Transport

    if not db.is_file():
        raise InputError("--db", f"no alert database at {db}")
    outbox = SqliteOutbox(db)
    transports: dict[str, Transport] = {}
    secret = os.environ.get(secret_env, "").encode()
    for stored in outbox.due(10_000):
        destination = stored.message.destination
        if destination in transports:
            continue
        if destination.startswith(("http://", "https://")) and secret:
            transports[destination] = WebhookTransport(secret)
        elif destination.startswith(("tcp://", "tls://")):
            transports[destination] = TakServerTransport(
                destination, client_cert=tak_cert, client_key=tak_key, ca_file=tak_ca
            )
        elif stored.message.channel == "cap" and "://" not in destination:
            transports[destination] = FolderTransport(destination)
    report = Dispatcher(outbox, transports).deliver_due(10_000)
    outbox.close()
    console.print(
        f"sent {report.sent}, retrying later {report.retrying}, dead-lettered {report.dead}"
    )
    for error in report.errors[:10]:
        console.print(f"[red]{error}[/]")


@alerts_app.command("disclosures")
def disclosures(db: DbOption) -> None:
    """The disclosure log: every partner notification, with the fields shared, the
    channel and the legal basis."""
    from borderwatch.adapters.sqlite.alerts import SqliteDisclosures

    if not db.is_file():
        raise InputError("--db", f"no alert database at {db}")
    log = SqliteDisclosures(db)
    for entry in log.entries():
        typer.echo(orjson.dumps(entry).decode())
    log.close()


@alerts_app.command("tip")
def tip(
    path: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="CoT, CAP or JSON.")],
    replay: Annotated[bool, typer.Option(
        "--replay", help="A recorded tip: its time is not checked against this machine's "
        "clock (only against the years 1970-2099).")] = False,
    max_skew: Annotated[float, typer.Option(
        "--max-skew", help="Seconds after this machine's clock a live tip may be dated.",
        min=0.0)] = DEFAULT_MAX_SKEW_S,
) -> None:
    """Read a partner's tip (CoT event, CAP 1.2 message or JSON detection) and print the
    detection it becomes, with its stated uncertainty. Unsafe XML (DTDs, entities) is
    refused, and so is any value out of range (docs/security/admission.md). A live tip
    dated more than --max-skew seconds after this machine's clock is refused (it would
    make every later report late); say --replay for a recorded one."""
    import time

    from borderwatch.adapters.sources.tips import parse_tip
    from borderwatch.domain.time import check_live_time, format_time

    det = parse_tip(path.read_bytes(), source=str(path))
    if not replay:
        try:
            check_live_time(det.epoch_s, time.time(), max_ahead_s=max_skew)
        except InputError as err:
            raise err.at(source=str(path)) from None
    typer.echo(
        orjson.dumps(
            {
                "time": format_time(det.time),
                "sensor_id": det.sensor_id,
                "lat": det.lat,
                "lon": det.lon,
                "sigma_m": round(det.sigma_m, 1),
                "kind": det.kind.value,
                "count": det.count,
                "confidence": det.confidence,
                "id": det.id,
                "simulated": det.simulated,
            }
        ).decode()
    )
