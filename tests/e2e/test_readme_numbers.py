"""The evaluation figures recorded in the README come from a real run: re-run it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from borderwatch.app.cli.main import app

README = Path(__file__).resolve().parents[2] / "README.md"


def _row(name: str) -> list[str]:
    for line in README.read_text().splitlines():
        if line.startswith(f"| {name} ("):
            return [cell.strip() for cell in line.strip("|").split("|")]
    raise AssertionError(f"no README row for {name}")


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
    # The README's `borderwatch stats cbp` example, on the hand-written sample file.
    lines = README.read_text().splitlines()
    start = lines.index("| Area of Responsibility | Encounter Count |") + 2
    shown = []
    for line in lines[start:]:
        if not line.startswith("|"):
            break
        sector, count = (cell.strip() for cell in line.strip("|").split("|"))
        shown.append({"area_of_responsibility": sector, "encounter_count": int(count)})
    sample = README.parent / "tests" / "data" / "cbp-nationwide-encounters-aor-sample.csv"
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
