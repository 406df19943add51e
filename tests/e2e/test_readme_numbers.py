"""The evaluation figures recorded in the README come from a real run: re-run it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from borderwatch.cli import app

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
