"""The screening audit log on a real SQLite file: intact, then tampered with raw SQL."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from tests.case_helpers import SCREENED_CASE

from borderwatch.adapters.sqlite.audit import AuditLog
from borderwatch.domain import InputError
from borderwatch.screening import screen

CASE = SCREENED_CASE


def tamper(path: Path, sql: str) -> None:
    """Change the file past the log, as someone with the file could."""
    conn = sqlite3.connect(path)
    try:
        with conn:
            conn.execute(sql)
    finally:
        conn.close()


@pytest.fixture
def db(tmp_path: Path) -> tuple[AuditLog, Path]:
    path = tmp_path / "audit.db"
    log = AuditLog(path)
    result = screen(CASE)
    log.record_screening(CASE, result)
    log.record_decision("AB-2025-0203-001", "p1", "officer-7", "confirm", "facts confirmed")
    log.record_decision(
        "AB-2025-0203-001", "p1", "officer-9", "override", "new document seen", outcome="exception"
    )
    return log, path


def test_intact_chain_verifies(db: tuple[AuditLog, Path]) -> None:
    log, _ = db
    assert log.verify() == []
    records = log.records("AB-2025-0203-001")
    assert [r["kind"] for r in records] == ["screening", "decision", "decision"]
    assert records[1]["data"]["outcome"] == "ineligible"
    assert records[2]["prev_hash"] == records[1]["hash"]


def test_edited_record_is_reported(db: tuple[AuditLog, Path]) -> None:
    log, path = db
    tamper(
        path,
        "UPDATE screening_audit SET body = replace(body, 'ineligible', 'exception') WHERE seq = 1",
    )
    problems = log.verify()
    assert any("hash mismatch" in p and "seq 1" in p for p in problems)


def test_deleted_middle_record_is_reported(db: tuple[AuditLog, Path]) -> None:
    log, path = db
    tamper(path, "DELETE FROM screening_audit WHERE seq = 2")
    problems = log.verify()
    assert any("sequence gap" in p for p in problems)
    assert any("chain break" in p for p in problems)


def test_decisions_are_validated(db: tuple[AuditLog, Path]) -> None:
    log, _ = db
    with pytest.raises(InputError):
        log.record_decision("AB-2025-0203-001", "p1", "officer-7", "approve", "x")
    with pytest.raises(InputError):
        log.record_decision("AB-2025-0203-001", "p1", "officer-7", "override", "")
    with pytest.raises(InputError):
        log.record_decision("AB-2025-0203-001", "p99", "officer-7", "confirm", "x")


def test_an_eligible_either_way_proposal_is_confirmed_as_such(tmp_path: Path) -> None:
    import copy

    case = copy.deepcopy(CASE)
    case["entry"]["date"] = None
    case["people"][0]["family_in_canada"] = [
        {"relation": "brother", "age": 35, "status": "citizen"}
    ]
    result = screen(case)
    assert result.people[0].outcome == "eligible_either_way"
    log = AuditLog(tmp_path / "audit.db")
    log.record_screening(case, result)
    pid = result.people[0].person_id
    log.record_decision(case["case_id"], pid, "officer-7", "confirm", "brother's passport seen")
    log.record_decision(
        case["case_id"], pid, "officer-9", "override", "entry day found", outcome="exception"
    )
    records = log.records(case["case_id"])
    assert records[0]["data"]["result"]["people"][0]["branches"][0]["exception"] == "E1"
    assert [r["data"].get("outcome") for r in records[1:]] == ["eligible_either_way", "exception"]
    assert [r["data"].get("proposed") for r in records[1:]] == ["eligible_either_way"] * 2
    assert log.verify() == []
