"""Smoke test of bench/scale.py --quick: the embedded default, then a cluster with one and
with two tracker workers, each started by the bench on PostgreSQL and NATS of its own;
every acknowledged detection is stored once, the two workers split the loaded segments,
and the last line keeps its exact format. Not timed: no assertion on speed."""

from __future__ import annotations

import re

import pytest
from tests.bench_helpers import ROOT, run_bench

SUMMARY = re.compile(r"^scale: ingest_per_s=\d+ feed_p99_ms=\d+ worker_speedup_2=\d+\.\d\d "
                     r"lost=(\d+) duplicated=(\d+)$")
SETUPS = ("embedded (serve --db)", "cluster, 1 worker", "cluster, 2 workers")
pytestmark = pytest.mark.slow


def test_bench_scale_runs_every_setup_and_loses_nothing() -> None:
    out = run_bench("scale.py", "--quick", timeout=900)
    lines = out.strip().splitlines()
    last = SUMMARY.match(lines[-1])
    assert last, out
    assert last.groups() == ("0", "0"), out
    rows = {name: line[len(name):].split() for line in lines for name in SETUPS
            if line.startswith(name + " ")}
    assert set(rows) == set(SETUPS), out
    for setup in ("cluster, 1 worker", "cluster, 2 workers"):
        assert rows[setup][-2:] == ["0", "0"], out  # lost, duplicated
    assert "stored but not acknowledged 0" in out, out
    split = re.search(r"cluster, 2 workers: .*split (\S+): (\S+); (\S+): (\S+)$", out, re.M)
    assert split, out
    assert sorted(split[2].split(",") + split[4].split(",")) == ["blw", "gfn", "hvm", "spw"]
    assert len(split[2].split(",")) == len(split[4].split(",")) == 2, out


def test_bench_readme_reports_the_scale_benchmark_in_its_format() -> None:
    lines = [line.strip("` ") for line in (ROOT / "bench" / "README.md").read_text().splitlines()]
    assert any(SUMMARY.match(line) for line in lines)
