"""The bundled scenarios over other seeds: the figures docs/accuracy.md gives for seeds 1-10.

    .venv/bin/python scripts/scenario_seeds.py [--seeds 1-10] [--scenarios coutts,emerson]

Each scenario file is run with each seed in place of its own (same movers and sensors,
other random draws: paths, detections, the rendered frames of the Coutts cameras and drone),
through the whole pipeline, and scored against its truth as `borderwatch evaluate` does. One
line per run, then a summary. All of it is simulated. The Coutts night renders about 4,800
frames per seed (about a minute on two quiet cores).
"""

from __future__ import annotations

import argparse
import dataclasses

from borderwatch.domain.time import epoch_to_datetime
from borderwatch.geo import Boundary
from borderwatch.pipeline import build_pipeline
from borderwatch.sim import bundled_scenario_path, load_scenario, simulate
from borderwatch.sim.evaluation.crossings import TruthCrossing, evaluate
from borderwatch.watch import incident_from_wire, incident_to_wire


def _seeds(text: str) -> list[int]:
    first, _, last = text.partition("-")
    return list(range(int(first), int(last or first) + 1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", default="1-10", help="a seed or a range, e.g. 1-10")
    parser.add_argument("--scenarios", default="coutts,emerson")
    args = parser.parse_args()
    boundary = Boundary.bundled()
    runs = perfect = 0
    worst_point_m = 0.0
    medians: dict[str, list[float]] = {}
    for name in args.scenarios.split(","):
        for seed in _seeds(args.seeds):
            scenario = dataclasses.replace(load_scenario(bundled_scenario_path(name)), seed=seed)
            sim = simulate(scenario, boundary)
            incidents = build_pipeline(boundary, route=False).feed_all(sim.detections)
            truth = [
                TruthCrossing(c.entity_id, c.kind.value, c.direction.value,
                              epoch_to_datetime(c.epoch_s), c.lat, c.lon, c.group_size)
                for c in sim.crossings
            ]
            result = evaluate([incident_from_wire(incident_to_wire(i)) for i in incidents], truth)
            counts = [(m.incident.group_size, m.truth.group_size) for m in result.matches]
            points = [m.point_error_m for m in result.matches]
            latencies = sorted(m.latency_s for m in result.matches)
            runs += 1
            exact = all(est == true for est, true in counts)
            perfect += int(result.recall == 1.0 and not result.false_crossings and exact)
            worst_point_m = max([worst_point_m, *points])
            median = result.latency(50)
            medians.setdefault(name, []).append(median)
            print(
                f"{name} seed {seed}: recall {result.recall} false {len(result.false_crossings)} "
                f"head counts {', '.join(f'{e} of {t}' for e, t in counts)}; points "
                f"{', '.join(f'{p:.1f}' for p in points)} m; latency "
                f"{', '.join(f'{s:.1f}' for s in latencies)} s (median {median:.1f} s)",
                flush=True,
            )
    for name, values in medians.items():
        print(f"{name}: latency median per run {min(values):.1f}-{max(values):.1f} s")
    print(f"seeds: runs={runs} all_found_none_false_counts_exact={perfect} "
          f"worst_point_m={worst_point_m:.1f}")


if __name__ == "__main__":
    main()
