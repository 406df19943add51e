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
STATE_FILE = DATA / "cbp-nationwide-encounters-state-sample.csv"
NORTHERN_FY2024 = ["--where", "Fiscal Year=2024", "--where", "Component=U.S. Border Patrol",
                   "--where", "Land Border Region=Northern Land Border"]  # fmt: skip


def test_fy2024_northern_border_apprehensions_by_sector_as_json() -> None:
    result = CliRunner().invoke(
        app, ["stats", "cbp", str(AOR_FILE), *NORTHERN_FY2024, "--by", "Area of Responsibility",
              "--format", "json"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    document = json.loads(result.output)
    assert (document["file"], document["variant"]) == (AOR_FILE.name, "aor")
    assert document["read_as"].startswith("AOR file")
    rows = document["rows"]
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
    # lines wrap, even inside a word
    assert "readastheCBPAORfile(byAreaofResponsibility,12columns)" in "".join(table.output.split())
    csv_out = runner.invoke(
        app, ["stats", "cbp", str(AOR_FILE), "--by", "Demographic", "--format", "csv"]
    )
    lines = csv_out.output.splitlines()
    assert lines[0] == (
        f"# {AOR_FILE.name}: read as the CBP AOR file (by Area of Responsibility, 12 columns)"
    )
    lines = lines[1:]
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


def test_the_state_file_as_published_says_it_was_read_as_the_state_file() -> None:
    runner = CliRunner()
    result = runner.invoke(
        app, ["stats", "cbp", str(STATE_FILE), "--where", "Fiscal Year=2024", "--by", "state",
              "--format", "json"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    document = json.loads(result.output)
    assert document["variant"] == "state"
    read_as = "state file (by State, 9 columns, both components added together)"
    assert document["read_as"] == read_as
    assert document["rows"][0] == {"state": "TX", "encounter_count": 38_400}
    table = runner.invoke(app, ["stats", "cbp", str(STATE_FILE), "--by", "State"])
    assert table.exit_code == 0, table.output
    said = "".join(table.output.split())  # lines wrap, even inside a word
    assert "readastheCBPstatefile(byState,9columns,bothcomponentsaddedtogether)" in said
    assert "11rows,58,163encounters" in said


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "borderwatch.app.cli.main", *args],
        capture_output=True,
        text=True,
        check=False,
    )


def test_component_on_the_state_file_exits_2_naming_the_aor_file() -> None:
    result = _run("stats", "cbp", str(STATE_FILE), "--where", "Component=U.S. Border Patrol")
    assert result.returncode == 2
    message = " ".join(result.stderr.split())
    assert "'Component' is not in the state file" in message
    assert "both components added together" in message and "aor.csv" in message
    assert "Traceback" not in result.stderr


def test_a_where_value_not_in_the_file_exits_2_listing_the_files_values() -> None:
    result = _run("stats", "cbp", str(STATE_FILE), "--where", "State=Vermont", "--by", "State")
    assert result.returncode == 2, result.stdout
    message = " ".join(result.stderr.split())
    assert "State: 'Vermont' is not in this file" in message
    assert "AZ, FL, ME, MI, MT, NY, TX, VT, WA" in message
    assert "Encounter Count" not in result.stdout  # no empty table


STATS_COMMANDS = ["stats", "stats rcmp", "stats export-cbp", "stats cbp", "report"]


@pytest.mark.parametrize("command", STATS_COMMANDS)
def test_stats_commands_have_help_and_are_in_the_commands_page(command: str) -> None:
    # test_cli_docs.py covers top-level commands; the stats group's subcommands are held
    # to the same standard here.
    result = CliRunner().invoke(app, [*command.split(), "--help"])
    assert result.exit_code == 0
    assert len(result.output.split()) > 30, result.output
    commands = (Path(__file__).resolve().parents[2] / "docs" / "commands.md").read_text()
    assert f"borderwatch {command}" in commands


def test_every_stats_subcommand_is_listed_here() -> None:
    group = next(g for g in app.registered_groups if g.name == "stats")
    names = {c.name for c in group.typer_instance.registered_commands}  # type: ignore[union-attr]
    assert {f"stats {n}" for n in names} <= set(STATS_COMMANDS)


def test_report_with_an_unknown_language_exits_2_naming_the_option(tmp_path: Path) -> None:
    out = tmp_path / "report.html"
    result = _run("report", "--period", "2025-02", "--out", str(out), "--lang", "de")
    assert result.returncode == 2, result.stdout
    message = " ".join(result.stderr.split())
    assert "--lang" in message and "must be one of en, fr, got 'de'" in message
    assert "Traceback" not in result.stderr and not out.exists()
