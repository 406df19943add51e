"""Choose the crossing test's settings on the TUNING seeds only (both generators), by
replaying the pipeline's group tracks through the watch with each candidate.

    .venv/bin/python bench/tune_crossings.py [--hours 1]

For each (probability, margin, persistence, guard against traffic along the line) it
prints, per generator, true crossings, found, duplicates, false crossings, latency median
and 95th percentile over the tuning streams. The rule in ``watch/crossing.py`` was chosen
so: the lowest probability with no more false crossings or duplicates than the strictest
candidate, then one grid step higher as a margin for unseen ground; persistence and margin
only if they remove a false crossing; the along-the-line guard (``along_speed_ms``) on and
off. The held-out seeds are never run here. Every stream is simulated.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence

import numpy as np

from borderwatch.geo import Boundary
from borderwatch.sim.crossing_suite import CrossingSuite, score
from borderwatch.sim.evaluation.crossing_splits import recorded_streams, replay
from borderwatch.watch import CrossingSettings


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--hours", type=float, default=1.0)
    args = parser.parse_args(argv)
    boundary = Boundary.bundled()
    recorded = recorded_streams("tuning", hours=args.hours)
    grid = [(p, 5.0, 1, 4.0) for p in (0.8, 0.85, 0.9, 0.95, 0.98, 0.99, 0.995, 0.999)] + [
        (0.95, 0.0, 1, 4.0), (0.95, 5.0, 2, 4.0),
        (0.9, 5.0, 1, np.inf), (0.95, 5.0, 1, np.inf), (0.99, 5.0, 1, np.inf),  # no guard
        (0.99865, 10.0, 2, np.inf),  # the rule before issue 18
    ]
    print("generator probability margin_m persistence along_guard crossings found dup false "
          "road p50 p95 evidence_p50 evidence_p95")
    for probability, margin, persistence, along in grid:
        settings = CrossingSettings(
            probability=probability, margin_m=margin, persistence=persistence,
            along_speed_ms=along,
        )
        for generator in ("suite", "field"):
            n = found = dup = false = road = 0
            latencies: list[float] = []
            evidence: list[float] = []
            for stream, batches in recorded:
                if (generator == "suite") != isinstance(stream, CrossingSuite):
                    continue
                incidents = replay(boundary, batches, settings)
                result = score(stream, list(incidents))
                n += result.crossings
                found += result.found
                dup += result.duplicates
                false += result.false_crossings
                road += result.false_near_road
                latencies.extend(result.latencies_s)
                evidence.extend(result.evidence_latencies_s)
            print(
                f"{generator} {probability} {margin:g} {persistence} {along < np.inf} {n} "
                f"{found} {dup} "
                f"{false} {road} {np.median(latencies):.1f} "
                f"{np.percentile(latencies, 95):.1f} {np.median(evidence):.1f} "
                f"{np.percentile(evidence, 95):.1f}"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
