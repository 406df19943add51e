"""The audit log proves itself (issue 17): what an attacker with the database file but not
the key does to it, and what `borderwatch audit verify` says (0 intact, 1 problems, 2
cannot verify). docs/security/audit.md cites these tests."""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest
from tests.case_helpers import SCREENED_CASE
from typer.testing import CliRunner, Result

from borderwatch.adapters.audit.keys import init_key_dir, load_seal
from borderwatch.adapters.sqlite.audit import AuditLog
from borderwatch.adapters.sqlite.storage import SqliteStorage
from borderwatch.app.cli.main import app
from borderwatch.screening import screen
from borderwatch.screening.audit_chain import GENESIS, canonical, chain_hash

CASE_ID = SCREENED_CASE["case_id"]


@pytest.fixture(autouse=True)
def _no_keys_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("BORDERWATCH_AUDIT_KEYS", raising=False)


@pytest.fixture
def keys(tmp_path: Path) -> Path:
    directory = tmp_path / "keys"
    init_key_dir(directory)
    return directory


@pytest.fixture
def db(tmp_path: Path, keys: Path) -> Path:
    """A signed log of four records, checkpointed after each."""
    path = tmp_path / "audit.db"
    log = AuditLog(path, seal=load_seal(keys))
    log.record_screening(SCREENED_CASE, screen(SCREENED_CASE))
    log.record_decision(CASE_ID, "p1", "officer-7", "confirm", "facts confirmed")
    log.record_decision(CASE_ID, "p1", "officer-9", "override", "new document",
                        outcome="exception")
    other = {**SCREENED_CASE, "case_id": "AB-other"}
    log.record_screening(other, screen(other))
    log.close()
    return path


def verify(db: Path, keys: Path | None = None) -> Result:
    args = ["audit", "verify", "--db", str(db)]
    return CliRunner().invoke(app, [*args, "--keys", str(keys)] if keys else args)


def sql(path: Path, *statements: str) -> None:
    """Change the file behind the log's back, as someone holding the file could."""
    conn = sqlite3.connect(path)
    try:
        with conn:
            for statement in statements:
                conn.execute(statement)
    finally:
        conn.close()


def recompute_chain(path: Path, *, keep_signatures: bool) -> None:
    """Rewrite every record's prev_hash and hash as the chain wants them (SHA-256 needs
    no key): what a careful forger does after editing."""
    conn = sqlite3.connect(path)
    try:
        with conn:
            prev = GENESIS
            rows = conn.execute("SELECT seq, body FROM screening_audit ORDER BY seq").fetchall()
            for seq, body in rows:
                new = chain_hash(prev, body)
                conn.execute("UPDATE screening_audit SET prev_hash = ?, hash = ?"
                             + ("" if keep_signatures else ", sig = NULL")
                             + " WHERE seq = ?", (prev, new, seq))
                prev = new
    finally:
        conn.close()


def file_state(path: Path) -> dict[str, str]:
    """The bytes of the database and of every file SQLite keeps beside it."""
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(path.parent.iterdir()) if p.name.startswith(path.name)}


def test_an_untouched_signed_log_is_intact(db: Path, keys: Path) -> None:
    result = verify(db, keys)
    assert result.exit_code == 0, result.output
    assert "intact (4 records" in result.output


def test_deleting_the_last_record_is_caught(db: Path, keys: Path) -> None:
    sql(db, "DELETE FROM screening_audit WHERE seq = 4")
    result = verify(db, keys)
    assert result.exit_code == 1, result.output
    assert "deleted from the end" in result.output and "records 4..4" in result.output


def test_deleting_every_record_is_caught(db: Path, keys: Path) -> None:
    sql(db, "DELETE FROM screening_audit")
    result = verify(db, keys)
    assert result.exit_code == 1, result.output
    assert "records 1..4 were deleted" in result.output


def test_dropping_the_table_is_caught(db: Path, keys: Path) -> None:
    sql(db, "DROP TABLE screening_audit")
    result = verify(db, keys)
    assert result.exit_code == 1, result.output
    assert "audit table is missing" in result.output


@pytest.mark.parametrize("keep_signatures", [True, False])
def test_an_edit_with_the_chain_recomputed_without_the_key_is_caught(
    db: Path, keys: Path, keep_signatures: bool
) -> None:
    sql(db, "UPDATE screening_audit SET body = replace(body, 'ineligible', 'exception') "
            "WHERE seq = 1")
    recompute_chain(db, keep_signatures=keep_signatures)
    result = verify(db, keys)
    assert result.exit_code == 1, result.output
    if keep_signatures:  # each re-hashed record's old signature no longer matches
        assert "record seq 1" in result.output and "signature does not match" in result.output
    else:  # the signatures stripped: the checkpoints no longer match the hashes
        assert "does not have the hash it had" in result.output


def test_reordered_records_are_caught(db: Path, keys: Path) -> None:
    """Records 2 and 3 swapped (each keeps its signature), seq fixed in both bodies, the
    chain recomputed: every column agrees with its body and the chain is consistent."""
    conn = sqlite3.connect(db)
    try:
        with conn:
            rows = {r[0]: r for r in conn.execute(
                "SELECT seq, body, sig FROM screening_audit WHERE seq IN (2, 3)")}
            for seq, other in ((2, 3), (3, 2)):
                body = orjson.loads(rows[other][1])
                body["seq"] = seq
                conn.execute(
                    "UPDATE screening_audit SET body = ?, record_id = ?, kind = ?, case_id = ?,"
                    " person_id = ?, created_at = ?, sig = ? WHERE seq = ?",
                    (canonical(body), "tmp" + body["record_id"][3:] if seq == 2
                     else body["record_id"], body["kind"], body["case_id"],
                     body["person_id"], body["created_at"], rows[other][2], seq))
            # record_id is unique: the first swapped row took a temporary id
            first = orjson.loads(conn.execute(
                "SELECT body FROM screening_audit WHERE seq = 2").fetchone()[0])
            conn.execute("UPDATE screening_audit SET record_id = ? WHERE seq = 2",
                         (first["record_id"],))
    finally:
        conn.close()
    recompute_chain(db, keep_signatures=True)
    assert AuditLog(db).verify() == []  # the plain chain sees nothing
    result = verify(db, keys)
    assert result.exit_code == 1, result.output
    assert "signature does not match" in result.output


def test_deleting_the_checkpoint_file_is_caught(db: Path, keys: Path) -> None:
    (keys / "checkpoints.jsonl").unlink()
    result = verify(db, keys)
    assert result.exit_code == 1, result.output
    assert "no checkpoint file" in result.output


def test_an_edited_checkpoint_is_caught(db: Path, keys: Path) -> None:
    path = keys / "checkpoints.jsonl"
    lines = path.read_text().splitlines(keepends=True)
    point = orjson.loads(lines[-1])
    point["seq"] = 2  # claim the log was shorter than it was
    path.write_text("".join([*lines[:-1], canonical(point) + "\n"]))
    result = verify(db, keys)
    assert result.exit_code == 1, result.output
    assert "checkpoint line 4" in result.output


def test_verify_changes_no_byte_of_the_file(db: Path, keys: Path, tmp_path: Path) -> None:
    before = file_state(db)
    assert verify(db, keys).exit_code == 0
    assert file_state(db) == before
    plain = tmp_path / "plain.db"
    sql(plain, "CREATE TABLE other (x INTEGER)")
    before = file_state(plain)
    assert verify(plain).exit_code == 2
    assert file_state(plain) == before  # no audit table created in someone else's file


def test_verify_reads_the_last_commits_of_a_live_writer(db: Path, keys: Path) -> None:
    writer = AuditLog(db, seal=load_seal(keys))  # open: its WAL is beside the file
    writer.record_decision(CASE_ID, "p1", "officer-3", "confirm", "seen again")
    try:
        assert db.with_name(db.name + "-wal").exists()
        main = hashlib.sha256(db.read_bytes()).hexdigest()
        result = verify(db, keys)
        assert result.exit_code == 0 and "intact (5 records" in result.output, result.output
        assert hashlib.sha256(db.read_bytes()).hexdigest() == main
    finally:
        writer.close()


def test_a_file_that_is_not_sqlite_is_refused(tmp_path: Path) -> None:
    jsonl = tmp_path / "detections.jsonl"
    jsonl.write_text('{"time": "2025-02-03T05:00:00Z", "sensor_id": "s1"}\n')
    binary = tmp_path / "frame.png"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8)
    for path, why in ((jsonl, "looks like JSON"), (binary, "not a SQLite database")):
        result = verify(path)
        assert result.exit_code == 2, result.output
        assert result.exception is None or isinstance(result.exception, SystemExit)
        assert why in result.output and "Traceback" not in result.output


def test_sqlite_without_the_audit_table_is_refused(tmp_path: Path, keys: Path) -> None:
    path = tmp_path / "alerts.db"
    sql(path, "CREATE TABLE alerts (id TEXT)")
    for result in (verify(path), verify(path, keys)):
        assert result.exit_code == 2, result.output
        assert "no screening_audit table" in result.output


def test_an_old_unkeyed_log_is_unkeyed_until_a_checkpoint_seals_it(
    tmp_path: Path, keys: Path
) -> None:
    path = tmp_path / "old.db"
    old = AuditLog(path)
    old.record_screening(SCREENED_CASE, screen(SCREENED_CASE))
    old.close()
    result = verify(path, keys)
    assert result.exit_code == 2 and "unkeyed" in result.output, result.output
    sealed = CliRunner().invoke(app, ["audit", "checkpoint", "--db", str(path),
                                      "--keys", str(keys)])
    assert sealed.exit_code == 0, sealed.output
    assert verify(path, keys).exit_code == 0
    # What the checkpoint sealed cannot be rewritten after it.
    sql(path, "UPDATE screening_audit SET body = replace(body, 'ineligible', 'exception')")
    recompute_chain(path, keep_signatures=False)
    assert verify(path, keys).exit_code == 1


def test_a_signed_log_without_the_key_cannot_be_verified(db: Path) -> None:
    result = verify(db)
    assert result.exit_code == 2 and "--keys" in result.output, result.output


def test_screen_signs_with_the_keys_of_the_environment(
    tmp_path: Path, keys: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    case = tmp_path / "case.json"
    case.write_bytes(orjson.dumps(SCREENED_CASE))
    path = tmp_path / "screen.db"
    monkeypatch.setenv("BORDERWATCH_AUDIT_KEYS", str(keys))
    for _ in range(2):
        result = CliRunner().invoke(app, ["screen", str(case), "--db", str(path)])
        assert result.exit_code == 0, result.output
    result = verify(path)  # --keys from the environment too
    assert result.exit_code == 0 and "intact (2 records" in result.output, result.output
    sql(path, "DELETE FROM screening_audit WHERE seq = 2")
    assert verify(path).exit_code == 1


@pytest.fixture
def storage(tmp_path: Path, keys: Path) -> Iterator[SqliteStorage]:
    store = SqliteStorage(tmp_path / "service.db", audit_seal=load_seal(keys))
    yield store
    store.close()


def test_the_service_storage_signs_and_checkpoints_only_what_is_committed(
    storage: SqliteStorage, keys: Path
) -> None:
    storage.audit.record_screening(SCREENED_CASE, screen(SCREENED_CASE))
    with pytest.raises(RuntimeError), storage.transaction():
        storage.audit.record_decision(CASE_ID, "p1", "officer-7", "confirm", "ok")
        raise RuntimeError("rolled back: its record must not be checkpointed")
    with storage.transaction():
        storage.audit.record_decision(CASE_ID, "p1", "officer-7", "confirm", "ok")
    lines = (keys / "checkpoints.jsonl").read_text().splitlines()
    assert [orjson.loads(line)["seq"] for line in lines] == [1]  # seq 2 waits for close
    storage.close()
    lines = (keys / "checkpoints.jsonl").read_text().splitlines()
    assert [orjson.loads(line)["seq"] for line in lines] == [1, 2]
    assert verify(storage.path, keys).exit_code == 0


def test_a_new_log_is_not_started_over_the_checkpoints_of_a_deleted_one(
    db: Path, keys: Path
) -> None:
    from borderwatch.domain import InputError

    sql(db, "DELETE FROM screening_audit")
    log = AuditLog(db, seal=load_seal(keys))
    with pytest.raises(InputError, match="belongs to another audit log"):
        log.record_screening(SCREENED_CASE, screen(SCREENED_CASE))
    log.close()
    assert verify(db, keys).exit_code == 1


def test_the_service_opens_its_storage_with_the_key_directory_of_the_environment(
    tmp_path: Path, keys: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from borderwatch.app.bootstrap import build_service
    from borderwatch.app.runtime.config import ServiceConfig
    from borderwatch.domain import InputError

    path = tmp_path / "service.db"
    monkeypatch.setenv("BORDERWATCH_AUDIT_KEYS", str(tmp_path / "no-such-keys"))
    with pytest.raises(InputError, match="no private key"):
        build_service(ServiceConfig(db=path))
    monkeypatch.setenv("BORDERWATCH_AUDIT_KEYS", str(keys))
    service = build_service(ServiceConfig(db=path))  # built, never started
    service.alerts.close()
    log = AuditLog(path, seal=load_seal(keys))  # the service's file takes signed records
    log.record_screening(SCREENED_CASE, screen(SCREENED_CASE))
    log.close()
    assert verify(path).exit_code == 0
