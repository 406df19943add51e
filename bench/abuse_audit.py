"""bench/abuse.py's audit runs: a signed screening log, checkpointed, then its last
record deleted, every record deleted, a record edited and the chain re-hashed: `borderwatch
audit verify` must fail (exit 1) each time; a JSONL file is refused (exit 2)."""

from __future__ import annotations

import os
import re
import sqlite3
import subprocess
from pathlib import Path

import orjson

from abuse_tally import BORDERWATCH, Tally
from borderwatch.screening.audit_chain import GENESIS, chain_hash

CASE = {"case_id": "AB-2025-0203-001", "simulated": True,
        "entry": {"kind": "between_ports", "date": "2025-02-03", "from_country": "US",
                  "in_transit_removal_from_us": False},
        "relations": [],
        "people": [{"id": "p1", "age": 30, "nationalities": ["VE"], "stateless": False,
                    "claim_date": "2025-02-03", "family_in_canada": [], "documents": [],
                    "visa_required_canada": True, "visa_required_us": True,
                    "refused_entry_us_without_claim_adjudicated": False,
                    "canadian_pr_removed_from_us": False, "death_penalty_charge": "none",
                    "has_spouse_or_partner": False,
                    "parent_or_guardian_in_canada_or_us": False}]}
"""One simulated Venezuelan adult (case.json), screened into the audit log."""


def cli(tally: Tally, *args: str) -> subprocess.CompletedProcess[str]:
    done = subprocess.run([BORDERWATCH, *args], capture_output=True, text=True, timeout=120,
                          env={k: v for k, v in os.environ.items()
                               if k != "BORDERWATCH_AUDIT_KEYS"})
    if "Traceback" in done.stderr + done.stdout:
        tally.server_errors += 1
    return done


def last_line(text: str) -> str:
    lines = text.strip().splitlines()
    return lines[-1][:70] if lines else ""


def first_line(text: str) -> str:
    """The first line, without a parenthesised time (the table is narrow)."""
    lines = text.strip().splitlines()
    return re.sub(r" \(\d{4}-[^)]*\)", "", lines[0])[:70] if lines else ""


def sql(db: Path, *statements: str) -> None:
    with sqlite3.connect(db) as connection:
        for statement in statements:
            connection.execute(statement)
    connection.close()


def rehash(db: Path) -> None:
    """Recompute the whole chain after an edit (SHA-256 needs no key): a careful forger."""
    with sqlite3.connect(db) as connection:
        prev = GENESIS
        rows = connection.execute("SELECT seq, body FROM screening_audit ORDER BY seq")
        for seq, body in rows.fetchall():
            new = chain_hash(prev, body)
            connection.execute("UPDATE screening_audit SET prev_hash = ?, hash = ? "
                               "WHERE seq = ?", (prev, new, seq))
            prev = new
    connection.close()


def audit_runs(tally: Tally, folder: Path) -> None:
    """Three signed logs, each with its own key directory (one per log, as
    docs/security/audit.md asks): three screenings, a checkpoint, then one tampering each."""
    case = folder / "case.json"
    case.write_bytes(orjson.dumps(CASE))
    logs = {name: (folder / f"{name}.db", folder / f"{name}-keys")
            for name in ("tail", "all", "rehash")}
    for db, keys in logs.values():
        cli(tally, "audit", "init-key", str(keys))
        for _ in range(3):
            cli(tally, "screen", str(case), "--db", str(db), "--keys", str(keys))
        cli(tally, "audit", "checkpoint", "--db", str(db), "--keys", str(keys))
    db, keys = logs["tail"]
    intact = cli(tally, "audit", "verify", "--db", str(db), "--keys", str(keys))
    tally.record("audit", "a signed, checkpointed log verifies (exit 0)",
                 f"exit {intact.returncode}: {last_line(intact.stdout)}",
                 intact.returncode == 0)
    sql(db, "DELETE FROM screening_audit WHERE seq = (SELECT max(seq) FROM screening_audit)")
    sql(logs["all"][0], "DELETE FROM screening_audit")
    sql(logs["rehash"][0], "UPDATE screening_audit SET body = replace(body, 'VE', 'US') "
        "WHERE seq = 1", "UPDATE screening_audit SET sig = NULL")
    rehash(logs["rehash"][0])
    for name, what in (("tail", "last record deleted"), ("all", "every record deleted"),
                       ("rehash", "a record edited, signatures stripped, chain re-hashed")):
        db, keys = logs[name]
        done = cli(tally, "audit", "verify", "--db", str(db), "--keys", str(keys))
        caught = done.returncode == 1
        if name == "tail":
            tally.tail_delete_caught = int(caught)
        tally.record("audit", f"{what}: verify fails (exit 1)",
                     f"exit {done.returncode}: {first_line(done.stderr)}", caught)
    jsonl = folder / "not-a-log.jsonl"
    jsonl.write_bytes(b'{"seq": 1}\n')
    done = cli(tally, "audit", "verify", "--db", str(jsonl), "--keys", str(logs["tail"][1]))
    tally.record("audit", "a JSONL file: refused (exit 2), no traceback",
                 f"exit {done.returncode}: {first_line(done.stderr or done.stdout)}",
                 done.returncode == 2)
