"""The thermal benchmark (bench/thermal.py) on a slice of its test set.

Not timed. The first test runs the bench's parts as ``main`` does on a few scenes and checks
what they computed: the frame counts follow from the scenes, the scores are consistent with
each other, and the summary line (scripts read it) carries the run's own figures. The
second is the detector's quality gate (as Norfair keeps its metrics): the issue's targets,
on every third scene of the fixed test set, twelve frames each. A change that makes the
detector worse fails here before docs/accuracy.md's figures drift.
"""

from __future__ import annotations

import math
import re
from dataclasses import replace
from types import ModuleType

import pytest
from tests.bench_helpers import load_bench

SUMMARY = re.compile(
    r"thermal: recall=(?P<recall>\d\.\d+|1\.0|n/a) fp_per_frame=(?P<fp>\d+(\.\d+)?) "
    r"fps=(?P<fps>\d+)"
)


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    return load_bench("thermal.py")


def test_the_run_its_table_and_its_summary_line_agree(bench: ModuleType) -> None:
    specs = bench.test_set(10)[::9]  # three fixed scenes: 8 learning frames, 2 scored
    assert [s.camera for s in specs] == ["fixed"] * 3
    totals = bench.run(specs)
    # Frame counts follow from the scenes: every frame, and the ones after learning.
    assert totals.every_frame.frames == 10 * len(specs)
    assert totals.ours.frames == totals.ours_frames - 8 * len(specs) == 2 * len(specs)
    assert totals.ours_fixed.frames == totals.ours.frames and totals.ours_drone.frames == 0
    ours, every = totals.ours.summary(), totals.every_frame.summary()
    assert 0 < ours["people"] <= every["people"]
    every_person = totals.every_frame.people + totals.every_frame.small_people
    assert len(totals.person_heights_px) == every_person
    assert ours["recall"] == round(totals.ours.people_found / totals.ours.people, 3)
    assert 0.0 <= ours["recall"] <= 1.0 and ours["fp_per_frame"] >= 0.0
    # The rate the run measured (detection alone), not a number this test made up.
    assert totals.ours_seconds > 0
    fps = totals.ours_frames / totals.ours_seconds
    assert math.isfinite(fps) and fps > 0
    line = bench.summary_line(totals, fps)
    match = SUMMARY.fullmatch(line)
    assert match, line
    assert float(match["recall"]) == ours["recall"]
    assert float(match["fp"]) == ours["fp_per_frame"]
    assert int(match["fps"]) == round(fps)
    # The table's operating column is the same run.
    table = bench.table(totals, fps, fps)
    cells = [[c.strip() for c in row.strip("|").split("|")] for row in table[2:]]
    rows = {c[0]: c[1:] for c in cells}
    assert rows["recall, people >= 8 px"][0] == str(ours["recall"])
    assert rows["frames"] == [
        str(totals.ours.frames),
        str(totals.ours_fixed.frames),
        str(totals.ours_drone.frames),
        str(totals.every_frame.frames),
    ]
    assert {s.camera for s in bench.test_set(2)} == {"fixed", "drone"}
    assert {s.range_m for s in bench.test_set(2) if s.camera == "fixed"} >= {100.0, 1500.0}


def test_quality_gate_on_a_slice_of_the_test_set(bench: ModuleType) -> None:
    # 12 frames: a fixed camera's first 8 learn its background and are scored apart.
    totals = bench.run(bench.test_set(12)[::3])
    summary = totals.ours.summary()
    assert summary["people"] >= 60
    # The aim is recall >= 0.95 (0.973 over the whole tuning set). On this slice 0.949 since
    # 6 December 2026 (197 person-frames): a person seen from above needs p >= 0.85, and the
    # 2 % below it are reported unknown (docs/thermal.md, "Classifier"); 0.94 catches a collapse.
    assert summary["recall"] >= 0.94, summary
    assert summary["fp_per_frame"] <= 0.01, summary
    # docs/accuracy.md's "exact head count of separable groups >= 0.9" (0.921 over the whole set;
    # 15 of 16 groups on this slice, measured 5 December 2026).
    assert summary["count_exact"] >= 0.9, summary
    # Issue 18's head-count target: within ±1 on >= 90 % of group-frames (0.993 over the whole
    # tuning set, 6 December 2026), and the reported range holding the truth as often.
    assert summary["count_within_1"] >= 0.9, summary
    assert summary["count_range_covered"] >= summary["count_exact"], summary
    # The target (>= 0.9, met over the whole test set: docs/accuracy.md) is not asserted on this
    # slice, which holds a few dozen animal-frames; this only trips on a collapse.
    assert summary["animals_not_people"] >= 0.8, summary


def test_the_held_out_split_is_the_same_design_on_new_seeds(bench: ModuleType) -> None:
    tuning, held = bench.test_set(2, "tuning"), bench.test_set(2, "held-out")
    assert [s.seed for s in tuning] == list(range(1, 28))  # what the detector was tuned on
    assert [s.seed for s in held] == list(range(1001, 1028))  # never tuned on
    # Same ranges, lenses, groups, animals and weather: only the random draws differ.
    assert [replace(s, seed=0) for s in tuning] == [replace(s, seed=0) for s in held]
    # The diagnostic split (misses traced on it, 6 December 2026): the design three times over.
    diagnostic = bench.test_set(2, "diagnostic")
    assert [s.seed for s in diagnostic] == list(range(3001, 3082))
    assert [replace(s, seed=0) for s in diagnostic] == [replace(s, seed=0) for s in tuning] * 3


def test_the_split_table_puts_tuning_beside_held_out(bench: ModuleType) -> None:
    by_split = {
        split: bench.run(bench.test_set(10, split)[::9]) for split in ("tuning", "held-out")
    }
    lines = bench.split_table(by_split)
    assert lines[0] == (
        "| measure, operating frames | tuning (seeds 1-27) | held-out (seeds 1001-1027) |"
    )
    rows = {c[0]: c[1:] for c in ([x.strip() for x in r.strip("|").split("|")] for r in lines[2:])}
    for j, split in enumerate(by_split):
        summary = by_split[split].ours.summary()
        assert rows["recall, people >= 8 px"][j] == str(summary["recall"])
        assert rows["people >= 8 px (person-frames)"][j] == str(summary["people"])
        within = rows["separable groups: head count within ±1"][j]
        assert within == str(summary["count_within_1"])
        covered = rows["separable groups: count range holds the truth"][j]
        assert covered == str(summary["count_range_covered"])
        line = bench.split_line(split, by_split[split])
        assert line.startswith(f"thermal/{split}: recall={summary['recall']} ")
    # different draws: the two columns are not one run printed twice
    assert rows["people >= 8 px (person-frames)"][0] != rows["people >= 8 px (person-frames)"][1]
