"""The tracker's metrics baseline (Norfair's tests/metrics.txt, done our way): GOSPA on the
strip, group head counts, and crossing recall, false crossings, latency and approach
warnings on the crossing suite, on fixed seeds. Any figure more than 5% worse than the
checked-in baseline fails (crossing recall: more than 1%, the aim being >= 0.99);
scripts/update_tracker_baseline.py rewrites it after a deliberate change."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from borderwatch.sim.evaluation.tracker_quality import (
    DEFAULT_TOLERANCE,
    HIGHER_IS_BETTER,
    TOLERANCE,
    measure,
    worse,
)

BASELINE = Path(__file__).resolve().parents[1] / "baselines" / "tracker_metrics.json"


@pytest.fixture(scope="module")
def figures() -> dict[str, float]:
    return measure()


def test_baseline_names_every_figure(figures: dict[str, float]) -> None:
    baseline = json.loads(BASELINE.read_text())
    assert set(baseline) == set(figures) == set(HIGHER_IS_BETTER)


@pytest.mark.parametrize("name", sorted(HIGHER_IS_BETTER))
def test_no_figure_is_more_than_5_percent_worse(figures: dict[str, float], name: str) -> None:
    baseline = json.loads(BASELINE.read_text())
    assert not worse(name, figures[name], baseline[name]), (
        f"{name}: {figures[name]} is worse than the baseline {baseline[name]} by more than "
        f"{TOLERANCE.get(name, DEFAULT_TOLERANCE):.0%}"
    )


def test_the_comparison_itself() -> None:
    assert worse("strip_gospa", 106.0, 100.0) and not worse("strip_gospa", 104.0, 100.0)
    # Recall is held to the aim (>= 0.99): one crossing in 60 missed is worse.
    assert worse("suite_recall", 0.983, 1.0) and not worse("suite_recall", 0.991, 1.0)
    assert worse("suite_approach_share", 0.94, 1.0) and not worse("suite_approach_share", 0.96, 1.0)
    assert worse("suite_false_crossings", 1.0, 0.0)
    assert not worse("suite_false_crossings", 0.0, 0.0)
