"""The demo's console and output folder, piece by piece (the whole demo: tests/e2e/test_demo.py)."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

from rich.console import Console

from borderwatch.app.demo.night import group_at_distance
from borderwatch.app.demo.outputs import OUTPUTS, clear_outputs, present, readme_text
from borderwatch.sim.progress import PlainProgress


def test_the_head_count_and_the_distance_never_read_as_one_number() -> None:
    assert group_at_distance(9, 949.4) == "group of ~9, 949 m from the line"
    assert "~9 949" not in group_at_distance(9, 949.0)


def test_the_readme_describes_each_file_present_from_the_one_table() -> None:
    names = ["case.json", "cap/", "README.txt", "alerts.db", "mystery.bin"]
    text = readme_text("SIMULATED\n\nScenario: x", names)
    described = dict(OUTPUTS)
    lines = text.splitlines()
    assert lines[0] == "SIMULATED"
    for name in ("case.json", "cap/", "README.txt", "alerts.db"):
        assert any(line.split() and line.split()[0] == name and described[name] in line
                   for line in lines), name
    assert any(line.split()[:1] == ["mystery.bin"] and "(not described)" in line
               for line in lines)
    # Files not written are not described: the table has more than these.
    assert "truth.jsonl" not in text


def test_clear_and_list_leave_sqlite_side_files_out(tmp_path: Path) -> None:
    for name in ("borderwatch.db", "borderwatch.db-wal", "borderwatch.db-shm", "case.json",
                 "keep.txt", ".hidden"):
        (tmp_path / name).write_text("x")
    (tmp_path / "cap").mkdir()
    (tmp_path / "cap" / "a.xml").write_text("x")
    assert present(tmp_path) == ["borderwatch.db", "cap/", "case.json", "keep.txt"]
    clear_outputs(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == [".hidden", "keep.txt"]


def test_every_output_name_is_unique_and_described() -> None:
    names = [n for n, _ in OUTPUTS]
    assert len(names) == len(set(names))
    assert all(text.strip() for _, text in OUTPUTS)


def test_progress_is_plain_lines_when_the_console_is_not_a_terminal() -> None:
    buffer = io.StringIO()
    console = Console(file=buffer, force_terminal=False, width=120)
    ticks = iter(float(t) for t in range(1000))
    progress = PlainProgress(console, clock=lambda: next(ticks))
    for done in range(0, 101):
        progress("cam-1", done, 100)
    progress("drone-1", 1, 1)  # a sensor read from the frames cache reports once, done
    lines = buffer.getvalue().splitlines()
    assert [line.split(",")[0] for line in lines] == [
        "cam-1: rendering frames", "cam-1: rendering frames", "cam-1: rendering frames",
        "cam-1: rendering frames", "cam-1: done", "drone-1: done",
    ]
    assert "25/100 scans (25%)" in lines[1]
    assert "100/100 scans (100%)" in lines[4]


def test_importing_the_tak_transport_prints_no_package_warning() -> None:
    # pytak warns at import about optional packages; cryptography is a dependency of
    # ours and aiohttp's warning is silenced on purpose (adapters/transports/tak.py).
    result = subprocess.run(
        [sys.executable, "-W", "default", "-c", "import borderwatch.adapters.transports.tak"],
        capture_output=True, text=True, check=True,
    )
    assert "package is required" not in result.stderr, result.stderr
