"""Smoke test of the fuzzing bench (bench/fuzz.py): every parser fuzzed for a second or
two, and the last line keeps its exact format; a target that crashes on purpose is caught,
saved and counted. Not timed: no assertion on speed or on how many inputs were tried."""

from __future__ import annotations

import re
from pathlib import Path

from tests.bench_helpers import ROOT, run_bench

SUMMARY = re.compile(r"^fuzz: parsers=(\d+) execs=(\d+) crashes=(\d+)$")


def test_bench_fuzz_runs_every_parser_and_prints_its_summary_line(tmp_path: Path) -> None:
    out = run_bench("fuzz.py", "--per-parser", "2", "--crashes", str(tmp_path), timeout=300)
    match = SUMMARY.match(out.strip().splitlines()[-1])
    assert match is not None, out
    assert match.group(1) == "7" and int(match.group(2)) > 0
    assert match.group(3) == "0", sorted(p.name for p in tmp_path.iterdir())


def test_a_crash_is_caught_saved_and_counted(tmp_path: Path) -> None:
    out = run_bench(
        "fuzz.py", "--per-parser", "1", "--parsers", "self-check", "--crashes", str(tmp_path),
        timeout=120,
    )
    assert SUMMARY.match(out.strip().splitlines()[-1]).groups()[::2] == ("1", "1"), out  # type: ignore[union-attr]
    saved = sorted(p.name for p in tmp_path.iterdir())
    assert len(saved) == 2 and saved[0].startswith("self-check-KeyError-"), saved
    assert "KeyError" in (tmp_path / saved[1]).read_text()


def test_bench_readme_reports_the_fuzz_run_in_its_format() -> None:
    lines = [line.strip("` ") for line in (ROOT / "bench/README.md").read_text().splitlines()]
    assert any(SUMMARY.match(line) for line in lines)
