"""`borderwatch screen` and `borderwatch audit verify` as a user runs them."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner

from borderwatch.app.cli.main import app

CASE = {
    "case_id": "AB-2025-0203-009",
    "simulated": True,
    "entry": {
        "kind": "between_ports",
        "date": "2025-02-03",
        "from_country": "US",
        "in_transit_removal_from_us": False,
    },
    "relations": [],
    "people": [
        {
            "id": "p1",
            "age": 30,
            "nationalities": ["VE"],
            "stateless": False,
            "former_habitual_residence": None,
            "claim_date": "2025-02-03",
            "has_spouse_or_partner": False,
            "parent_or_guardian_in_canada_or_us": None,
            "family_in_canada": [{"relation": "aunt", "age": 40, "status": "permanent_resident"}],
            "documents": [],
            "visa_required_canada": True,
            "visa_required_us": True,
            "refused_entry_us_without_claim_adjudicated": False,
            "canadian_pr_removed_from_us": False,
            "death_penalty_charge": "none",
        }
    ],
}


def test_screen_json_and_text_and_audit_verify(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("BORDERWATCH_AUDIT_KEYS", raising=False)
    case = tmp_path / "case.json"
    case.write_text(json.dumps(CASE))
    db = tmp_path / "audit.db"
    runner = CliRunner()
    result = runner.invoke(app, ["screen", str(case), "--format", "json", "--db", str(db)])
    assert result.exit_code == 0, result.output
    person = json.loads(result.output)["people"][0]
    assert (person["outcome"], person["rule"], person["exception"]) == ("exception", "A2", "E2")
    text = runner.invoke(app, ["screen", str(case)])
    assert "159.5(b)" in text.output
    # Written without a key: the chain is consistent but proves nothing (exit 2, not 0).
    unkeyed = runner.invoke(app, ["audit", "verify", "--db", str(db)])
    assert unkeyed.exit_code == 2 and "unkeyed" in unkeyed.output
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE screening_audit SET body = replace(body, 'E2', 'E1')")
    tampered = runner.invoke(app, ["audit", "verify", "--db", str(db)])
    assert tampered.exit_code == 1


def test_an_invalid_case_names_the_field_and_stores_nothing(tmp_path: Path) -> None:
    bad = json.loads(json.dumps(CASE))
    bad["people"][0]["family_in_canada"][0]["status"] = "friend"
    case = tmp_path / "case.json"
    case.write_text(json.dumps(bad))
    db = tmp_path / "audit.db"
    result = CliRunner().invoke(app, ["screen", str(case), "--db", str(db)])
    assert result.exit_code != 0
    assert "people[0].family_in_canada[0].status" in str(result.exception)
    assert not db.exists()


def test_screen_brother_citizen_entry_date_unknown_is_eligible_either_way(tmp_path: Path) -> None:
    # Issue 18: the day of entry is unknown, a brother in Canada is a Canadian citizen. A2
    # (claim within 14 days) ends in exception E1 (IRPR 159.5(a)); N4 and N5 do not apply.
    brother = json.loads(json.dumps(CASE))
    brother["entry"]["date"] = None
    brother["people"][0]["parent_or_guardian_in_canada_or_us"] = False
    brother["people"][0]["family_in_canada"] = [
        {"relation": "brother", "age": 35, "status": "citizen"}
    ]
    case = tmp_path / "case.json"
    case.write_text(json.dumps(brother))
    runner = CliRunner()
    result = runner.invoke(app, ["screen", str(case), "--format", "json"])
    assert result.exit_code == 0, result.output
    person = json.loads(result.output)["people"][0]
    assert (person["outcome"], person["missing"]) == ("eligible_either_way", ["entry.date"])
    assert [(b["rule"], b["outcome"], b["exception"]) for b in person["branches"]] == [
        ("A2", "exception", "E1"),
        ("N4", "not_applicable", None),
        ("N5", "not_applicable", None),
    ]
    assert "does not bar referral" in person["next_step"]
    text = runner.invoke(app, ["screen", str(case)])
    assert text.exit_code == 0, text.output
    assert "ELIGIBLE_EITHER_WAY" in text.output and "[entry.date]" in text.output
    assert "A2 -> EXCEPTION E1 (IRPR 159.4(1.1); IRPR 159.5(a))" in text.output
    # Without the brother the branches disagree (A2 ends ineligible): still to ask.
    brother["people"][0]["family_in_canada"] = []
    case.write_text(json.dumps(brother))
    alone = json.loads(runner.invoke(app, ["screen", str(case), "--format", "json"]).output)
    assert alone["people"][0]["outcome"] == "needs_information"


def test_every_outcome_is_in_the_screen_help_and_the_commands_page() -> None:
    from borderwatch.screening import OUTCOMES

    help_text = " ".join(CliRunner().invoke(app, ["screen", "--help"]).output.split())
    commands = (Path(__file__).resolve().parents[2] / "docs" / "commands.md").read_text()
    for outcome in OUTCOMES:
        assert outcome in help_text, outcome
        assert f"`{outcome}`" in commands, outcome
