"""The thermal benchmark (bench/thermal.py) on a slice of its test set.

Not timed. The first test keeps the summary line's format (scripts read it) and checks the
HOG baseline runs on the same frames. The second is the detector's quality gate (as Norfair
keeps its metrics): the issue's targets, on every third scene of the fixed test set, twelve
frames each. A change that makes the detector worse fails here before the README's figures
drift. Recall and false people are held to the issue's targets here.
"""

from __future__ import annotations

import re
from types import ModuleType

import pytest
from tests.bench_helpers import load_bench

SUMMARY = re.compile(
    r"thermal: recall=(\d\.\d+|1\.0|n/a) fp_per_frame=\d+(\.\d+)? fps=\d+ "
    r"hog_recall=(\d\.\d+|n/a)"
)


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    return load_bench("thermal.py")


def test_summary_line_and_the_baseline_on_the_same_frames(bench: ModuleType) -> None:
    pytest.importorskip("cv2")
    specs = bench.test_set(10)[::9]  # three fixed scenes: 8 learning frames, 2 scored
    totals = bench.run(specs, with_hog=True)
    assert totals.every_frame.frames == 10 * len(specs)
    assert totals.ours.frames == 2 * len(specs)
    assert totals.hog.frames == totals.ours.frames
    line = bench.summary_line(totals, 123.4)
    assert SUMMARY.fullmatch(line), line
    assert " fps=123 " in line
    assert {s.camera for s in bench.test_set(2)} == {"fixed", "drone"}
    assert {s.range_m for s in bench.test_set(2) if s.camera == "fixed"} >= {100.0, 1500.0}


def test_quality_gate_on_a_slice_of_the_test_set(bench: ModuleType) -> None:
    # 12 frames: a fixed camera's first 8 learn its background and are scored apart.
    totals = bench.run(bench.test_set(12)[::3], with_hog=False)
    summary = totals.ours.summary()
    assert summary["people"] >= 60
    assert summary["recall"] >= 0.95, summary
    assert summary["fp_per_frame"] <= 0.01, summary
    # The target (>= 0.9, met over the whole test set: README) is not asserted on this
    # slice, which holds a few dozen animal-frames; this only trips on a collapse.
    assert summary["animals_not_people"] >= 0.8, summary
