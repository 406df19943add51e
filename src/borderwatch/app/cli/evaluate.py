"""`borderwatch evaluate`: score incidents against ground truth, or run the documented
tuning and held-out seed splits and print them side by side.

Kept out of main.py so the command module stays small. The splits are the ones in
``sim/evaluation/crossing_splits.py``: the crossing suite's seeds 1, 2 (tuning) and 31, 32
(held out) and the field streams' 1101-1104 and 2201-2204; the crossing rules were chosen on
the tuning seeds only (docs/tracking.md, "Choosing the crossing test").
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from borderwatch.domain import InputError

if TYPE_CHECKING:
    from borderwatch.sim.evaluation.crossing_splits import SplitFigures

console = Console()

SUITES = {"crossings": ("suite",), "field": ("field",), "both": ("suite", "field")}
"""``--suite`` -> generators: the crossing suite (sim/crossing_suite.py) and the field
streams (sim/field_streams.py), two independently designed generators."""
SPLITS = {"both": ("tuning", "held-out"), "tuning": ("tuning",), "held-out": ("held-out",)}


def evaluate(
    mode: Annotated[
        str | None,
        typer.Argument(
            help="Leave out to score --incidents against --truth; `splits` to run the "
            "documented tuning and held-out seeds and print them side by side.",
            show_default=False,
        ),
    ] = None,
    incidents: Annotated[
        Path | None,
        typer.Option("--incidents", help="Incidents JSONL (from `run`).", exists=True),
    ] = None,
    truth: Annotated[
        Path | None,
        typer.Option("--truth", help="Ground truth JSONL (from `simulate`).", exists=True),
    ] = None,
    suite: Annotated[
        str,
        typer.Option(
            "--suite",
            help="With `splits`: crossings (the crossing suite), field (the field streams) "
            "or both.",
        ),
    ] = "both",
    split: Annotated[
        str,
        typer.Option(
            "--split", help="With `splits`: both (side by side), tuning or held-out."
        ),
    ] = "both",
    hours: Annotated[
        float,
        typer.Option(
            "--hours",
            help="With `splits`: simulated hours per seed (the documented figures use 1).",
        ),
    ] = 1.0,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """Score crossing incidents against ground truth: recall, false crossings, latency.

    `borderwatch evaluate --incidents i.jsonl --truth t.jsonl`: a truth crossing by people
    or a vehicle must be found (same direction, within 300 s and 500 m); an animal's must
    not. Latency is detected_at minus the true crossing time.

    `borderwatch evaluate splits [--suite crossings|field|both] [--split both]`: simulates
    the fixed seed splits itself (all simulated), runs each seed through a fresh pipeline
    and prints tuning and held-out side by side: the seeds of each column, true crossings
    found (recall), false crossings, duplicate crossings, latency p50/p95 from the true
    crossing and from the first report after it. The rules were chosen on the tuning seeds
    only; held-out is what to quote. One simulated hour per seed takes minutes; --hours 0.1
    is a quick look.
    """
    if mode is None:
        if incidents is None or truth is None:
            raise InputError(
                "--incidents", "give --incidents and --truth, or `evaluate splits` to run the "
                "tuning and held-out seeds"
            )
        _score_files(incidents, truth, as_json)
        return
    if mode != "splits":
        raise InputError("MODE", f"must be `splits` or left out, got {mode!r}")
    if incidents is not None or truth is not None:
        raise InputError("--incidents", "`evaluate splits` simulates its own streams; "
                         "leave out --incidents and --truth")  # fmt: skip
    if suite not in SUITES:
        raise InputError("--suite", f"must be one of {', '.join(SUITES)}, got {suite!r}")
    if split not in SPLITS:
        raise InputError("--split", f"must be one of {', '.join(SPLITS)}, got {split!r}")
    if not 0 < hours <= 24:
        raise InputError("--hours", f"must be more than 0 and at most 24, got {hours:g}")
    figures = run_splits(SUITES[suite], SPLITS[split], hours)
    _show_splits(figures, hours, as_json)


def run_splits(
    generators: tuple[str, ...], splits: tuple[str, ...], hours: float
) -> list[SplitFigures]:
    """Each generator's splits, tuning before held-out, with a progress bar per seed."""
    from borderwatch.sim.evaluation.crossing_splits import measure_split, seeds_of

    jobs = [(g, s) for g in generators for s in splits]
    total = sum(len(seeds_of(g, s)) for g, s in jobs)
    figures = []
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=Console(stderr=True), transient=True) as progress:
        task = progress.add_task("simulating", total=total)
        for generator, split in jobs:
            progress.update(task, description=f"{generator} / {split}")
            figures.append(
                measure_split(
                    generator, split, hours=hours, on_seed=lambda _: progress.advance(task)
                )
            )
    return figures


def _show_splits(figures: list[SplitFigures], hours: float, as_json: bool) -> None:
    from borderwatch.sim.evaluation.crossing_splits import as_json as figures_json
    from borderwatch.sim.evaluation.crossing_splits import side_by_side

    if as_json:
        import orjson

        document = {"simulated": True, "hours_per_seed": hours,
                    "splits": [figures_json(f) for f in figures]}  # fmt: skip
        sys.stdout.write(orjson.dumps(document, option=orjson.OPT_INDENT_2).decode() + "\n")
        return
    header, rows = side_by_side(figures)
    splits = list(dict.fromkeys(f.split for f in figures))
    paired = " side by side" if len(splits) > 1 else ""
    table = Table(
        title=f"Crossing detection, {' and '.join(splits)} seeds{paired} (SIMULATED, "
        f"{hours:g} h per seed)",
        title_justify="left",
    )
    for j, name in enumerate(header):
        table.add_column(name, justify="left" if j == 0 else "right")
    for row in rows:
        table.add_row(*row)
    console.print(table)
    console.print(
        "[dim]Rules chosen on the tuning seeds only; quote held-out. Seeds: "
        "sim/evaluation/crossing_splits.py.[/]",
        highlight=False,
    )


def _score_files(incidents: Path, truth: Path, as_json: bool) -> None:
    import orjson

    from borderwatch.sim.evaluation.crossings import evaluate as score
    from borderwatch.sim.evaluation.crossings import load_incidents, load_truth_crossings

    result = score(load_incidents(incidents), load_truth_crossings(truth))
    summary = result.summary()
    if as_json:
        sys.stdout.write(orjson.dumps(summary, option=orjson.OPT_INDENT_2).decode() + "\n")
        return
    table = Table(title="Crossing detection against ground truth", show_header=False)
    labels = {
        "truth_crossings": "true crossings (people, vehicles)",
        "truth_animal_crossings": "true animal crossings (must not alarm)",
        "detected": "detected",
        "recall": "recall",
        "false_crossings": "false crossing incidents",
        "latency_median_s": "latency median (s)",
        "latency_p95_s": "latency p95 (s)",
        "point_error_median_m": "crossing point error, median (m)",
        "time_error_median_s": "crossing time error, median (s)",
    }
    for key, label in labels.items():
        value = summary[key]
        table.add_row(label, "n/a" if value is None else str(value))
    console.print(table)
    for miss in result.missed:
        console.print(f"[red]missed[/] {miss.entity_id} {miss.direction} at {miss.time:%H:%M:%SZ}")
    for false in result.false_crossings:
        console.print(
            f"[red]false[/] {false.incident_id} {false.direction} at {false.time:%H:%M:%SZ}"
        )
