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
