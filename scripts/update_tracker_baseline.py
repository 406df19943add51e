"""Rewrite tests/baselines/tracker_metrics.json from a fresh measurement.

    .venv/bin/python scripts/update_tracker_baseline.py

Run it only after a deliberate change to the tracker, the group layer or the watch rules,
and say in the commit why the figures moved (the baseline test exists so that they do not
move by accident).
"""

from __future__ import annotations

import json
from pathlib import Path

from borderwatch.sim.evaluation.tracker_quality import measure

BASELINE = Path(__file__).resolve().parents[1] / "tests" / "baselines" / "tracker_metrics.json"


def main() -> None:
    figures = measure()
    BASELINE.parent.mkdir(parents=True, exist_ok=True)
    BASELINE.write_text(json.dumps(figures, indent=2, sort_keys=True) + "\n")
    for name, value in sorted(figures.items()):
        print(f"{name:32s} {value}")
    print(f"written: {BASELINE}")


if __name__ == "__main__":
    main()
