"""The `borderwatch` command. Each subcommand's help says what it reads and writes."""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from borderwatch.app.cli.alerts import alerts_app
from borderwatch.app.cli.audit import KeysOption, audit_app
from borderwatch.app.cli.case import case_app
from borderwatch.app.cli.cluster import cluster_app, worker_app
from borderwatch.app.cli.detect import detect as detect_command
from borderwatch.app.cli.evaluate import evaluate as evaluate_command
from borderwatch.app.cli.ingest import ingest_app
from borderwatch.app.cli.serve import keys_app
from borderwatch.app.cli.serve import serve as serve_command
from borderwatch.app.cli.stats import register as register_stats_commands
from borderwatch.app.cli.tak import tak_app
from borderwatch.domain import BorderwatchError, InputError

if TYPE_CHECKING:
    from borderwatch.app.batch import RunReport
    from borderwatch.geo import Boundary
    from borderwatch.pipeline import AlertRouter
    from borderwatch.watch import ConditionsProvider

app = typer.Typer(
    name="borderwatch",
    help=(
        "Border operations from sensor detections to incidents, alerts and cases.\n\n"
        "Start with `borderwatch demo`: it replays the night of 3 February 2025 at Coutts, "
        "Alberta, from a seeded simulation, end to end. `simulate` makes detection streams "
        "from a scenario file, `run` turns any detection stream into incidents, and "
        "`evaluate` scores incidents against ground truth."
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console()
err_console = Console(stderr=True)

BoundaryOption = Annotated[
    Path | None,
    typer.Option(
        "--boundary",
        help="Boundary GeoJSON (LineString features with segment/left/right properties). "
        "Default: the bundled Canada-US 49th-parallel line (nominal; see its SOURCES.md).",
        exists=True,
        dir_okay=False,
    ),
]


@app.command()
def demo(
    out: Annotated[Path, typer.Option("--out", help="Folder for every output of the demo.")] = Path(
        "out/demo"
    ),
    quiet: Annotated[bool, typer.Option("--quiet", help="Only the summary.")] = False,
) -> None:
    """Replay 3 February 2025 near Coutts, AB, end to end, from a seeded simulation.

    Prints a timeline in local time (MST) and UTC: the US tip, the cameras and the drone,
    the group track, the northbound crossing with its risk, the alerts to the RCMP team and
    the partner notice to USBP Havre Sector, the interception and the case. Writes
    incidents.jsonl, alerts.jsonl, case.json, truth.jsonl, detections.jsonl and more to
    --out. Everything is marked simulated.
    """
    from borderwatch.app.demo.night import run_demo

    run_demo(out, console=console, quiet=quiet)


@app.command()
def simulate(
    scenario: Annotated[
        str,
        typer.Argument(
            help="Scenario YAML file, or the name of a bundled one (coutts, emerson).",
        ),
    ],
    detections: Annotated[
        Path, typer.Option("--detections", help="Where to write the detections (JSONL).")
    ],
    truth: Annotated[
        Path, typer.Option("--truth", help="Where to write the ground truth (JSONL).")
    ],
    boundary: BoundaryOption = None,
) -> None:
    """Run a scenario file and write its detections and ground truth.

    The format is documented in docs/scenario-format.md; `borderwatch simulate coutts`
    runs the bundled Coutts night. Output is seeded, reproducible and marked simulated.
    """
    from borderwatch.geo import Boundary
    from borderwatch.sim import bundled_scenario_names, bundled_scenario_path, load_scenario
    from borderwatch.sim.progress import simulate_with_progress

    path = (
        bundled_scenario_path(scenario) if scenario in bundled_scenario_names() else Path(scenario)
    )
    if not path.exists():
        names = ", ".join(bundled_scenario_names())
        raise InputError(
            None, f"no such scenario file or bundled scenario (bundled: {names})", source=scenario
        )
    loaded = load_scenario(path)
    line = Boundary.load(boundary) if boundary else None
    result = simulate_with_progress(loaded, line, err_console)
    result.write(detections, truth)
    console.print(
        f"[bold]{loaded.title}[/]\n{len(result.detections)} detections -> {detections}\n"
        f"{len(result.truth)} truth records ({len(result.crossings)} crossings) -> {truth}\n"
        "[yellow]All records are marked simulated.[/]"
    )


@app.command()
def run(
    detections: Annotated[
        Path,
        typer.Option(
            "--detections",
            help="Detection stream, JSONL in the detection wire format (docs/references.md).",
            exists=True,
            dir_okay=False,
        ),
    ],
    incidents: Annotated[
        Path, typer.Option("--incidents", help="Where to write incidents (JSONL).")
    ],
    boundary: BoundaryOption = None,
    strict: Annotated[
        bool, typer.Option("--strict", help="Stop at the first bad line instead of skipping it.")
    ] = False,
    reorder_window: Annotated[
        float,
        typer.Option(
            "--reorder-window", help="Seconds of out-of-order arrival tolerated; later is 'late'."
        ),
    ] = 5.0,
    temperature: Annotated[
        float | None,
        typer.Option("--temperature-c", help="Air temperature for the risk score, if known."),
    ] = None,
    show_errors: Annotated[
        int, typer.Option("--show-errors", help="How many bad lines to list.")
    ] = 10,
    alerts_db: Annotated[
        Path | None,
        typer.Option(
            "--alerts-db",
            help="Route every incident through the alert stage into this SQLite outbox "
            "(send with `borderwatch alerts deliver --db`).",
        ),
    ] = None,
    policy: Annotated[
        Path | None,
        typer.Option(
            "--policy",
            help="Routing policy YAML (docs/alert-policy.md); default: the bundled "
            "Alberta-Montana policy. Needs --alerts-db.",
            exists=True,
            dir_okay=False,
        ),
    ] = None,
    cap: Annotated[
        list[Path] | None,
        typer.Option("--cap", help="Folder for the policy's CAP channel (repeatable)."),
    ] = None,
    webhook: Annotated[
        list[str] | None,
        typer.Option("--webhook", help="URL for the policy's webhook channel (repeatable)."),
    ] = None,
    tak: Annotated[
        list[str] | None,
        typer.Option("--tak", help="tcp:// or tls:// TAK server for CoT (repeatable)."),
    ] = None,
) -> None:
    """Replay a detection stream (from any producer) and write the incidents it raises.

    Bad lines are reported with line number, field and reason, skipped and counted
    (--strict stops at the first). Reports later than the reorder window are counted as
    late, never merged. Exit status 0 even with skipped lines; 2 on unusable input,
    including a file with no valid line (nothing is written then).

    With --alerts-db, the incidents are also routed by the policy (--policy, or the bundled
    one) to units and channels, grouped, inhibited and filtered by the sharing policy, and
    every message is stored in the outbox first; `borderwatch alerts deliver --db` sends
    them, `borderwatch alerts list --db` shows them.
    """
    from borderwatch.geo import Boundary
    from borderwatch.watch import Conditions, FixedConditions
    from borderwatch.watch.risk import UNKNOWN_CONDITIONS

    line = Boundary.load(boundary) if boundary else Boundary.bundled()
    conditions = (
        FixedConditions(Conditions(temperature_c=temperature))
        if temperature is not None
        else UNKNOWN_CONDITIONS
    )
    if policy is not None and alerts_db is None:
        raise InputError("--policy", "needs --alerts-db (where the alerts are stored)")
    service = None
    if alerts_db is not None:
        from borderwatch.alerts import AlertPolicy
        from borderwatch.alerts.center import Channels
        from borderwatch.app.bootstrap import open_alert_service

        service = open_alert_service(
            alerts_db,
            boundary=line,
            policy=AlertPolicy.load(policy) if policy else None,
            channels=Channels(
                cap=tuple(str(c) for c in cap or ()),
                webhook=tuple(webhook or ()),
                cot=tuple(tak or ()),
            ),
        )
    from borderwatch.app.batch import NoValidDetection

    size = detections.stat().st_size
    try:
        report = _run_with_progress(
            detections,
            incidents,
            line,
            conditions,
            strict,
            reorder_window,
            size,
            alert_router=service.center if service else None,
        )
    except NoValidDetection as err:
        # The per-line reasons first: they say what the file is instead (exit 2 via main).
        _print_bad_lines(err.report.errors, err.report.rejected, show_errors)
        raise
    finally:
        if service is not None:
            service.close()
    _print_run_report(report, incidents, alerts_db, show_errors)


def _run_with_progress(
    detections: Path,
    incidents: Path,
    line: Boundary,
    conditions: ConditionsProvider,
    strict: bool,
    reorder_window: float,
    size: int,
    *,
    alert_router: AlertRouter | None,
) -> RunReport:
    from borderwatch.app.batch import run_file

    with Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        TextColumn("{task.completed:,} detections"),
        TimeElapsedColumn(),
        console=err_console,
        transient=True,
        disable=size < 5_000_000,
    ) as progress:
        task = progress.add_task("tracking", total=None)
        report = run_file(
            detections,
            incidents,
            boundary=line,
            conditions=conditions,
            strict=strict,
            reorder_window_s=reorder_window,
            progress=lambda n: progress.advance(task, n),
            alert_router=alert_router,
        )
    return report


def _print_run_report(
    report: RunReport, incidents: Path, alerts_db: Path | None, show_errors: int
) -> None:
    # Errors before the summary, so the table is the last thing on the screen.
    _print_bad_lines(report.errors, report.rejected, show_errors)
    table = Table(title="borderwatch run", show_header=False)
    table.add_row("detections accepted", f"{report.accepted:,}")
    table.add_row("bad lines skipped", f"{report.rejected:,}")
    table.add_row("late (beyond reorder window)", f"{report.late:,}")
    table.add_row("off the map frame (not tracked)", f"{report.unplaceable:,}")
    table.add_row("duplicate ids ignored", f"{report.duplicates:,}")
    table.add_row("cues (vague reports, e.g. tips)", f"{report.cues:,}")
    table.add_row("tracks started", f"{report.tracks_started:,}")
    table.add_row("crossing incidents", f"{report.crossings:,}")
    table.add_row("approach incidents", f"{report.approaches:,}")
    table.add_row("animal crossings not alarmed", f"{report.suppressed_animal_crossings:,}")
    if alerts_db is not None:
        table.add_row("alerts stored in the outbox", f"{report.alerts:,} -> {alerts_db}")
    table.add_row("throughput", f"{report.detections_per_s:,.0f} detections/s")
    table.add_row(
        "replay speed",
        f"{report.data_span_s / 60:,.1f} min of data in {report.seconds:,.1f} s "
        f"({report.times_real_time:,.0f}x real time)",
    )
    console.print(table)
    console.print(f"incidents -> {incidents}")


def _print_bad_lines(errors: list[InputError], rejected: int, show_errors: int) -> None:
    """The first ``show_errors`` bad lines, then how many more (bounded output)."""
    for error in errors[: max(show_errors, 0)]:
        err_console.print(f"[red]skipped[/] {escape(str(error))}", highlight=False)
    if rejected > max(show_errors, 0):
        err_console.print(f"... and {rejected - max(show_errors, 0):,} more bad lines")


@app.command()
def screen(
    case_file: Annotated[
        Path, typer.Argument(exists=True, dir_okay=False, help="Case file JSON (case.json).")
    ],
    law_date: Annotated[
        str | None,
        typer.Option("--law-date", help="What-if law date YYYY-MM-DD (default: the claim date)."),
    ] = None,
    fmt: Annotated[str, typer.Option("--format", help="text or json.")] = "text",
    db: Annotated[
        Path | None,
        typer.Option("--db", help="Record the screening in this SQLite audit log."),
    ] = None,
    keys: KeysOption = None,
) -> None:
    """Screen each person of a case under the Safe Third Country Agreement (decision support).

    Applies IRPA 101(1)(e) and IRPR 159.1-159.7 in force on the claim date, person by person,
    with citations. Outcomes: no_claim, not_applicable, exception, ineligible,
    needs_information (unknown facts that matter: the facts to ask are listed; unknown is
    never read as false) and eligible_either_way (the rule that applies is open, but every
    open rule ends with the Agreement not barring referral: the open rules are listed, each
    with its outcome and citations, and the fact that would settle the rule). Removal
    deferrals to the country of nationality are shown separately and never change the
    outcome. An officer confirms.
    """
    import orjson

    from borderwatch.adapters.audit.keys import load_seal
    from borderwatch.adapters.sqlite.audit import AuditLog
    from borderwatch.screening import format_text, result_to_json
    from borderwatch.screening import screen as run_screen

    if fmt not in ("json", "text"):
        raise InputError("--format", f"must be json or text, got {fmt!r}")
    try:
        day = date.fromisoformat(law_date) if law_date else None
    except ValueError:
        raise InputError("--law-date", f"must be YYYY-MM-DD, got {law_date!r}") from None
    try:
        case = orjson.loads(case_file.read_bytes())
    except orjson.JSONDecodeError as err:
        raise InputError(None, f"not valid JSON ({err})", source=str(case_file)) from None
    result = run_screen(case, law_date=day)
    if db is not None:
        # With --keys (or $BORDERWATCH_AUDIT_KEYS) the record is signed and checkpointed;
        # without, it is written unsigned and `audit verify` says "unkeyed".
        log = AuditLog(db, seal=load_seal(keys) if keys is not None else None)
        try:
            log.record_screening(case, result)
        finally:
            log.close()
    if fmt == "json":
        typer.echo(orjson.dumps(result_to_json(result), option=orjson.OPT_INDENT_2).decode())
    else:
        typer.echo(format_text(result))


# `borderwatch audit init-key|verify|checkpoint` lives in cli/audit.py.
app.add_typer(audit_app, name="audit")
# `borderwatch case record` (the officer's decision record per person) lives in cli/case.py.
app.add_typer(case_app, name="case")


# `borderwatch evaluate` (files against truth, or the tuning/held-out splits) in cli/evaluate.py.
app.command("evaluate")(evaluate_command)
# `borderwatch stats ...` and `borderwatch report` live in cli_stats.py.
register_stats_commands(app)
# `borderwatch detect` (thermal frames -> detections) lives in cli_detect.py.
app.command()(detect_command)


# `borderwatch alerts ...` (ack, resolve, list, dead letters, retry, tips) lives in cli_alerts.py.
app.add_typer(alerts_app, name="alerts")
# `borderwatch serve` and `borderwatch keys ...` (the HTTP service) live in cli_serve.py.
app.command("serve")(serve_command)
app.add_typer(keys_app, name="keys")
# `borderwatch worker track|dispatch` and `borderwatch cluster up|down|status` (a cluster on
# PostgreSQL and NATS JetStream, docs/deployment.md) live in cli/cluster.py.
app.add_typer(worker_app, name="worker")
app.add_typer(cluster_app, name="cluster")
app.add_typer(tak_app, name="tak")
# `borderwatch ingest mqtt` (Frigate NVR events over MQTT, docs/devices.md) lives in cli/ingest.py.
app.add_typer(ingest_app, name="ingest")


def main() -> None:
    try:
        app()
    except BorderwatchError as err:
        # escape: the message quotes the input, which may hold rich markup such as "[/]".
        err_console.print(f"[bold red]error:[/] {escape(str(err))}", highlight=False)
        sys.exit(2)


if __name__ == "__main__":
    main()
