"""Smoke test of the throughput benchmark (bench/run.py) on ~3,000 detections.

Not timed and no assertion on speed: it checks that the generator writes what the wire
format accepts, in time order apart from the deliberately delayed reports, that crossing
targets raise crossing incidents, and that the summary line keeps its exact format.
"""

from __future__ import annotations

import re
from types import ModuleType

import orjson
import pytest
from tests.bench_helpers import load_bench

from borderwatch.adapters.sources.jsonl import JsonlDetectionSource
from borderwatch.domain.time import parse_time

SUMMARY = re.compile(r"run: detections=\d+ parse_per_s=\d+ run_per_s=\d+ ratio=\d+\.\d\d")
N = 3000


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    return load_bench("run.py")


@pytest.fixture(scope="module")
def stream(bench: ModuleType, tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    # Few targets, so ~3,000 detections cover two minutes; half the people start 50-100 m
    # from the line heading across it, so crossings happen within that time.
    shape = bench.Shape(targets=24, crossing_share=0.6, crossing_start_m=(50.0, 100.0))
    path = tmp_path_factory.mktemp("bench") / "detections.jsonl"
    stats = bench.generate(path, N, seed=11, shape=shape)
    return path, stats


def test_generator_output_parses_with_nothing_rejected(stream) -> None:  # type: ignore[no-untyped-def]
    path, stats = stream
    source = JsonlDetectionSource(path, strict=True)
    detections = list(source)
    assert len(detections) == N == stats.detections
    assert source.report.rejected == 0
    assert all(d.simulated for d in detections)
    assert {d.sensor_id for d in detections} <= {f"radar-{i:02d}" for i in range(1, 11)}
    assert 0 < stats.clutter < N
    assert {d.count for d in detections} - {1}, "groups are reported with a count"


def test_times_are_non_decreasing_apart_from_the_delayed_reports(stream) -> None:  # type: ignore[no-untyped-def]
    path, stats = stream
    lines = path.read_bytes().splitlines()
    for line in lines[:50]:
        assert orjson.loads(line)["time"].endswith("Z")
    times = [parse_time(orjson.loads(line)["time"]).timestamp() for line in lines]
    newest = float("-inf")
    out_of_order = []
    for t in times:
        if t < newest:
            out_of_order.append(newest - t)
        newest = max(newest, t)
    assert stats.delayed > 0
    # Only delayed reports come before something newer, and never by more than the
    # reorder window: a report delayed by d <= 3 s follows only reports at most d newer.
    assert 0 < len(out_of_order) <= stats.delayed
    assert max(out_of_order) <= 3.0 + 1e-3


def test_crossing_targets_raise_crossing_incidents(bench, stream, tmp_path) -> None:  # type: ignore[no-untyped-def]
    path, _ = stream
    incidents = tmp_path / "incidents.jsonl"
    report, _seconds = bench.timed_run(path, incidents)
    assert report.rejected == 0
    assert report.late == 0, "delays are within the 5 s reorder window"
    assert report.crossings >= 1
    written = [orjson.loads(line) for line in incidents.read_bytes().splitlines()]
    crossings = [i for i in written if i["type"] == "crossing"]
    assert crossings and all(i["simulated"] is True for i in written)
    assert {i["direction"] for i in crossings} <= {"northbound", "southbound"}


def test_summary_line_has_the_exact_format(bench, stream, tmp_path) -> None:  # type: ignore[no-untyped-def]
    path, _ = stream
    result = bench.measure(path, tmp_path / "incidents.jsonl", warmup_lines=200)
    line = bench.summary_line(result)
    assert SUMMARY.fullmatch(line), line
    assert line.startswith(f"run: detections={N} ")


def test_main_prints_the_summary_last(bench, capsys: pytest.CaptureFixture[str]) -> None:
    assert bench.main(["--detections", "2000", "--seed", "3"]) == 0
    lines = capsys.readouterr().out.rstrip("\n").splitlines()
    assert SUMMARY.fullmatch(lines[-1]), lines[-1]
    assert lines[-1].startswith("run: detections=2000 ")
