"""`borderwatch stats cbp` on a file in the real CBP layout, as a user runs it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from borderwatch.app.cli.main import app

DATA = Path(__file__).resolve().parents[1] / "data"
AOR_FILE = DATA / "cbp-nationwide-encounters-aor-sample.csv"
NORTHERN_FY2024 = ["--where", "Fiscal Year=2024", "--where", "Component=U.S. Border Patrol",
                   "--where", "Land Border Region=Northern Land Border"]  # fmt: skip


def test_fy2024_northern_border_apprehensions_by_sector_as_json() -> None:
    result = CliRunner().invoke(
        app, ["stats", "cbp", str(AOR_FILE), *NORTHERN_FY2024, "--by", "Area of Responsibility",
              "--format", "json"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    assert rows[0] == {"area_of_responsibility": "Swanton Sector", "encounter_count": 19_385}
    assert rows[-1] == {"area_of_responsibility": "Havre Sector", "encounter_count": 100}
    assert sum(r["encounter_count"] for r in rows) == 23_721  # SCENARIO.md, FY2024


def test_table_and_csv_formats() -> None:
    runner = CliRunner()
    table = runner.invoke(
        app, ["stats", "cbp", str(AOR_FILE), *NORTHERN_FY2024, "--by", "aor_abbv"]
    )
    assert table.exit_code == 0, table.output
    assert "SWB" in table.output and "23,721" in table.output
    csv_out = runner.invoke(
        app, ["stats", "cbp", str(AOR_FILE), "--by", "Demographic", "--format", "csv"]
    )
    lines = csv_out.output.splitlines()
    assert lines[0] == "Demographic,Encounter Count"
    assert sum(int(line.rsplit(",", 1)[1]) for line in lines[1:]) == 50_319


def test_a_bad_file_exits_2_naming_file_line_and_column(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    lines = AOR_FILE.read_text().splitlines()
    lines[6] = lines[6].replace("Apprehensions", "Arrests")
    bad.write_text("\n".join(lines) + "\n")
    result = subprocess.run(
        [sys.executable, "-m", "borderwatch.app.cli.main", "stats", "cbp", str(bad)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 2
    message = " ".join(result.stderr.split())
    assert f"{bad} line 7: field Encounter Type: 'Arrests' is not one of" in message
    assert "nothing imported" in message


STATS_COMMANDS = ["stats", "stats rcmp", "stats export-cbp", "stats cbp", "report"]


@pytest.mark.parametrize("command", STATS_COMMANDS)
def test_stats_commands_have_help_and_are_in_the_readme(command: str) -> None:
    # test_cli_docs.py covers top-level commands; the stats group's subcommands are held
    # to the same standard here.
    result = CliRunner().invoke(app, [*command.split(), "--help"])
    assert result.exit_code == 0
    assert len(result.output.split()) > 30, result.output
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    assert f"borderwatch {command}" in readme


def test_every_stats_subcommand_is_listed_here() -> None:
    group = next(g for g in app.registered_groups if g.name == "stats")
    names = {c.name for c in group.typer_instance.registered_commands}  # type: ignore[union-attr]
    assert {f"stats {n}" for n in names} <= set(STATS_COMMANDS)
