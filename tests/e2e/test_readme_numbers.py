"""The evaluation figures recorded in the docs come from a real run: re-run it. The full
tables are in docs/accuracy.md; the README's held-out summary must agree with them."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from borderwatch.app.cli.main import app

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
ACCURACY = ROOT / "docs" / "accuracy.md"
DEMO = ROOT / "docs" / "demo.md"


def _row(name: str) -> list[str]:
    for line in ACCURACY.read_text().splitlines():
        if line.startswith(f"| {name} ("):
            return [cell.strip() for cell in line.strip("|").split("|")]
    raise AssertionError(f"no docs/accuracy.md row for {name}")


@pytest.mark.parametrize(("scenario", "row"), [("coutts", "Coutts"), ("emerson", "Emerson")])
def test_readme_evaluation_row_matches_a_fresh_run(tmp_path: Path, scenario: str, row: str) -> None:
    runner = CliRunner()
    d, t, i = tmp_path / "d.jsonl", tmp_path / "t.jsonl", tmp_path / "i.jsonl"
    assert (
        runner.invoke(
            app, ["simulate", scenario, "--detections", str(d), "--truth", str(t)]
        ).exit_code
        == 0
    )
    assert runner.invoke(app, ["run", "--detections", str(d), "--incidents", str(i)]).exit_code == 0
    result = runner.invoke(app, ["evaluate", "--incidents", str(i), "--truth", str(t), "--json"])
    assert result.exit_code == 0
    got = json.loads(result.output)
    cells = _row(row)
    expected = {
        "truth_crossings": int(cells[1]),
        "truth_animal_crossings": int(cells[2]),
        "recall": float(cells[3]),
        "false_crossings": int(cells[4]),
        "latency_median_s": float(cells[5]),
        "latency_p95_s": float(cells[6]),
        "point_error_median_m": float(cells[7]),
    }
    assert {k: got[k] for k in expected} == expected


def test_readme_cbp_example_matches_a_fresh_run() -> None:
    # docs/demo.md's `borderwatch stats cbp` example, on the hand-written sample file.
    lines = DEMO.read_text().splitlines()
    start = lines.index("| Area of Responsibility | Encounter Count |") + 2
    shown = []
    for line in lines[start:]:
        if not line.startswith("|"):
            break
        sector, count = (cell.strip() for cell in line.strip("|").split("|"))
        shown.append({"area_of_responsibility": sector, "encounter_count": int(count)})
    sample = ROOT / "tests" / "data" / "cbp-nationwide-encounters-aor-sample.csv"
    result = CliRunner().invoke(
        app,
        [
            "stats", "cbp", str(sample), "--where", "Fiscal Year=2024",
            "--where", "Component=U.S. Border Patrol",
            "--where", "Land Border Region=Northern Land Border",
            "--by", "Area of Responsibility", "--format", "json",
        ],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["rows"] == shown


def _accuracy_rows(page: Path = ACCURACY) -> list[list[str]]:
    lines = page.read_text().splitlines()
    start = lines.index("## Accuracy, held out")
    header = next(i for i in range(start, len(lines)) if lines[i].startswith("| what "))
    rows = []
    for line in lines[header + 2 :]:
        if not line.startswith("|"):
            break
        rows.append([cell.strip() for cell in line.strip("|").split("|")])
    return rows


def test_the_accuracy_table_is_held_out_only_each_row_with_its_command() -> None:
    from tests.bench_helpers import load_bench

    from borderwatch.sim.evaluation.crossing_splits import FIELD_SEEDS, SUITE_SEEDS

    thermal = load_bench("thermal.py").SPLITS["held-out"]
    # Loading the tracker bench needs Stone Soup (a dev dependency); its seed is read as text.
    tracker = (ROOT / "bench" / "tracker_vs_stonesoup.py").read_text()
    held_out_seeds = {
        "Crossing suite": ", ".join(map(str, SUITE_SEEDS["held-out"])),
        "Field streams": f"{FIELD_SEEDS['held-out'][0]}–{FIELD_SEEDS['held-out'][-1]}",
        "Thermal frames": f"{thermal}–{thermal + 26}",
        "Tracker against Stone Soup": "1007",
    }
    assert 'SPLITS = {"tuning": 7, "held-out": 1007}' in tracker
    rows = _accuracy_rows()
    assert [r[0].split(",")[0] for r in rows] == list(held_out_seeds)
    for what, _figure, command in rows:
        name = what.split(",")[0]
        assert f"seed {held_out_seeds[name]})" in what or f"seeds {held_out_seeds[name]})" in what
        assert command.startswith("`") and command.endswith("`"), command
        assert "--split held-out" in command, command  # held out, nothing else
        assert command.startswith(("`borderwatch evaluate splits ", "`bench/")), command
        if command.startswith("`bench/"):
            assert (ROOT / command.strip("`").split()[0]).is_file(), command


NUMBER = re.compile(r"[0-9]+(?:[.,][0-9]+)*")


def test_the_readme_summary_quotes_the_held_out_table_figure_for_figure() -> None:
    # The README keeps a short held-out table; each of its rows is a row of the full
    # table (same command, same seeds) and every number it quotes is in that row.
    full = {row[2]: row for row in _accuracy_rows()}
    summary = _accuracy_rows(README)
    assert [row[2] for row in summary] == list(full)
    for what, figure, command in summary:
        seeds = re.search(r"\(.*?seeds? ([^)]*)\)", what)
        assert seeds is not None and f"{seeds.group(1)})" in full[command][0], what
        for number in NUMBER.findall(figure):
            assert number in full[command][1], (number, command)


@pytest.mark.slow
def test_the_accuracy_tables_crossing_suite_row_matches_a_fresh_run() -> None:
    # The first row's command, as docs/accuracy.md shows it (about a minute: two simulated hours).
    what, figure, command = _accuracy_rows()[0]
    args = command.strip("`").split()[1:]
    result = CliRunner().invoke(app, [*args, "--json"])
    assert result.exit_code == 0, result.output
    (got,) = json.loads(result.stdout)["splits"]
    assert got["split"] == "held-out" and ", ".join(map(str, got["seeds"])) in what
    expected = (
        f"{got['found']} of {got['true_crossings']} crossings found (recall "
        f"{got['recall']:.3f}), {got['false_crossings']} false crossings, "
        f"{got['duplicates']} duplicates, latency p50 / p95 {got['latency_p50_s']} / "
        f"{got['latency_p95_s']} s; the incident's head count within ±1 of the group on "
        f"{got['head_count_within_one']:.0%} of them, its range holding the true size on "
        f"{got['head_count_range_covered']:.0%}"
    ).replace("%", " %")
    assert figure == expected
