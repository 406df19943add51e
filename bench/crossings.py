"""Crossing detection quality on the crossing suite: hours of walking groups and Border Road
traffic through the whole pipeline, scored against the generator's truth.

    .venv/bin/python bench/crossings.py [--hours 10] [--seed 7]

The suite (``borderwatch.sim.crossing_suite``): groups of 1-9 people walk at ~1 m/s from
300-900 m away across the line and 300 m on; vehicles drive Border Road 6.5-28.5 m north
of the line end to end; a sensor reports each object once a second with probability 0.9
and 10 m noise; a little clutter. Every detection is marked simulated.

Prints recall, false crossings (and how many of them near the road), latency (median and
90th percentile), and the share of crossings with an approach warning before the line
and its median lead time. The LAST line is
``crossings: hours=.. recall=.. false=.. latency_median_s=.. approach_share=..``.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Sequence

from rich.console import Console
from rich.table import Table

from borderwatch.geo import Boundary
from borderwatch.pipeline import build_pipeline
from borderwatch.sim.crossing_suite import CrossingSuiteSpec, generate, score


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--hours", type=float, default=10.0)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    console = Console()
    spec = CrossingSuiteSpec(hours=args.hours, seed=args.seed)
    with console.status("generating the suite"):
        suite = generate(spec)
    console.print(
        f"[bold]Crossing suite[/] (simulated): {args.hours:g} h, seed {args.seed}: "
        f"{suite.groups} walking groups, {suite.vehicles} Border Road vehicles, "
        f"{len(suite.detections):,} detections"
    )
    started = time.perf_counter()
    pipeline = build_pipeline(Boundary.bundled(), route=False)
    with console.status("running the pipeline"):
        incidents = pipeline.feed_all(suite.detections)
    seconds = time.perf_counter() - started
    result = score(suite, list(incidents))
    table = Table(title="Crossing detection on the crossing suite")
    table.add_column("figure")
    table.add_column("value", justify="right")
    table.add_row("true crossings (people)", str(result.crossings))
    table.add_row("found (right direction)", str(result.found))
    table.add_row("recall", f"{result.recall:.4f}")
    table.add_row("false crossings", str(result.false_crossings))
    table.add_row("  of them near Border Road", str(result.false_near_road))
    table.add_row("latency median", f"{result.latency_median_s:.1f} s")
    table.add_row("latency 90th percentile", f"{result.latency_p90_s:.1f} s")
    table.add_row("approach warning before the line", f"{result.approach_share:.1%}")
    table.add_row("approach lead time (median)", f"{result.lead_median_s / 60:.1f} min")
    table.add_row("pipeline time", f"{seconds:.1f} s")
    console.print(table)
    print(
        f"crossings: hours={args.hours:g} recall={result.recall:.4f} "
        f"false={result.false_crossings} latency_median_s={result.latency_median_s:.1f} "
        f"approach_share={result.approach_share:.3f}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
