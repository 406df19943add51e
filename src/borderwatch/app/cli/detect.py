"""`borderwatch detect`: thermal or night-vision frames -> detections (JSONL)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from borderwatch.domain import InputError

console = Console()
err_console = Console(stderr=True)


def detect(
    frames: Annotated[
        Path,
        typer.Argument(
            exists=True,
            help="A folder of TIFF/PNG frames (16-bit radiometric or 8-bit), a .npy stack "
            "(frames, rows, columns) or a video file.",
        ),
    ],
    camera: Annotated[
        Path,
        typer.Option(
            "--camera",
            exists=True,
            dir_okay=False,
            help="Camera file (YAML): a fixed camera or a drone with a pose log (docs/thermal.md).",
        ),
    ],
    detections: Annotated[
        Path, typer.Option("--detections", help="Where to write the detections (JSONL).")
    ],
    weights: Annotated[
        Path | None,
        typer.Option(
            "--weights",
            exists=True,
            dir_okay=False,
            help="Classifier weights (default: the bundled ones).",
        ),
    ] = None,
    annotations: Annotated[
        Path | None,
        typer.Option(
            "--annotations",
            exists=True,
            dir_okay=False,
            help="COCO-style annotations of the frames (by file name): print recall, "
            "false person reports, animals taken for people and head counts.",
        ),
    ] = None,
    strict: Annotated[
        bool, typer.Option("--strict", help="Stop at the first unusable frame (nothing written).")
    ] = False,
    show_problems: Annotated[
        int, typer.Option("--show-problems", help="How many unusable frames to list.")
    ] = 10,
) -> None:
    """Find people, animals and vehicles in thermal frames and write georeferenced detections.

    Each detection (the detection wire format) has a position from the camera model with its
    1-sigma error, which grows with range, a kind (person, animal, vehicle, unknown), a head
    count (people walking close together are counted, not reported as one blob) and, for
    people tall enough in the image (about 10 px), how many are children. Runs offline on a
    CPU. An unusable frame (corrupt, wrong bit depth or size, no pose) is named and
    skipped; the rest of the run goes on. The output is written whole or not at all.
    """
    from borderwatch.adapters.sources.jsonl import write_detections
    from borderwatch.adapters.sources.thermal.annotations import load_coco
    from borderwatch.adapters.sources.thermal.camera_file import load_camera_file
    from borderwatch.adapters.sources.thermal.classifier import load_classifier
    from borderwatch.adapters.sources.thermal.detector import Found
    from borderwatch.adapters.sources.thermal.frames import frame_count
    from borderwatch.adapters.sources.thermal.scoring import Reported, Score, separable_groups
    from borderwatch.adapters.sources.thermal.source import ThermalFrameSource

    cam = load_camera_file(camera)
    classifier = load_classifier(weights)
    truth = load_coco(annotations) if annotations is not None else None
    score = Score()

    def on_frame(name: str, found: list[Found]) -> None:
        if truth is None:
            return
        objects = truth.get(name)
        if objects is None:
            return
        reports = [
            Reported(
                boxes=tuple(tuple(float(x) for x in b) for b in f.members),  # type: ignore[misc]
                kind=f.kind,
                count=f.count,
                children=f.children,
            )
            for f in found
        ]
        score.add(reports, objects, separable_groups(objects))

    total = frame_count(frames)
    with Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err_console,
        transient=True,
        disable=total is not None and total < 50,
    ) as progress:
        task = progress.add_task("frames", total=total)
        source = ThermalFrameSource(
            frames_path=frames,
            camera=cam,
            classifier=classifier,
            progress=lambda n: progress.advance(task, n),
            on_frame=on_frame,
        )
        found = []
        for det in source:
            found.append(det)
            if strict and source.report.problems:
                break
        if strict and source.report.problems:
            raise InputError(None, str(source.report.problems[0]), source=str(frames))
    report = source.report
    if report.frames == 0:
        first = f" (first: {report.problems[0]})" if report.problems else ""
        raise InputError(None, f"no usable frame{first}", source=str(frames))
    write_detections(detections, found)
    table = Table(title="borderwatch detect", show_header=False)
    table.add_row("frames searched", f"{report.frames:,}")
    table.add_row("frames skipped", f"{len(report.problems):,}")
    table.add_row("detections", f"{report.detections:,}")
    table.add_row("people (sum of head counts)", f"{report.people:,}")
    console.print(table)
    for problem in report.problems[:show_problems]:
        err_console.print(f"[red]skipped[/] {escape(str(problem))}", highlight=False)
    if len(report.problems) > show_problems:
        err_console.print(f"... and {len(report.problems) - show_problems} more")
    if truth is not None:
        scored = Table(title="scored against the annotations", show_header=False)
        for key, value in score.summary().items():
            if key in ("positions", "inside_2_sigma"):
                continue  # COCO boxes carry no ground positions
            scored.add_row(key.replace("_", " "), "n/a" if value is None else str(value))
        console.print(scored)
    if cam.simulated:
        console.print("[yellow]Simulated frames: every detection is marked simulated.[/]")
    console.print(f"detections -> {detections}")
