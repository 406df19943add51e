"""The signed audit log on PostgreSQL: two storages (as two processes) append to one chain
with one key, each checkpointing what it committed; a database made before signatures
gets the ``sig`` column when it is opened. Starts an embedded server (as
tests/contract/test_storage_postgres.py does)."""

from __future__ import annotations

from pathlib import Path

import psycopg
from tests.case_helpers import SCREENED_CASE
from tests.pg_fixtures import postgres_server, postgres_url  # noqa: F401

from borderwatch.adapters.audit.checkpoints import CheckpointFile
from borderwatch.adapters.audit.keys import CHECKPOINTS, init_key_dir, load_check, load_seal
from borderwatch.adapters.audit.rows import COLUMNS as _COLUMNS
from borderwatch.adapters.postgres.storage import PostgresStorage
from borderwatch.screening import screen
from borderwatch.screening.audit_chain import AuditRow
from borderwatch.screening.audit_proof import verify_log


def rows(url: str) -> list[AuditRow]:
    with psycopg.connect(url) as connection:
        found = connection.execute(f"SELECT {_COLUMNS} FROM screening_audit ORDER BY seq")
        return [AuditRow(seq=r[0], record_id=r[1], kind=r[2], case_id=r[3], person_id=r[4],
                         created_at=r[5], body=r[6], prev_hash=r[7], hash=r[8], sig=r[9])
                for r in found]


def test_two_storages_sign_one_chain_and_a_tail_delete_is_caught(
    postgres_url: str, tmp_path: Path  # noqa: F811
) -> None:
    keys = tmp_path / "keys"
    init_key_dir(keys)
    one = PostgresStorage(postgres_url, audit_seal=load_seal(keys))
    two = PostgresStorage(postgres_url, audit_seal=load_seal(keys))
    try:
        for n in range(4):
            case = {**SCREENED_CASE, "case_id": f"AB-{n}"}
            (one if n % 2 else two).audit.record_screening(case, screen(case))
    finally:
        one.close()
        two.close()
    lines = CheckpointFile(keys / CHECKPOINTS).lines()
    verdict = verify_log(rows(postgres_url), check=load_check(keys), checkpoints=lines)
    assert verdict.status == "intact", verdict
    with psycopg.connect(postgres_url) as connection:
        connection.execute("DELETE FROM screening_audit WHERE seq = 4")
    verdict = verify_log(rows(postgres_url), check=load_check(keys), checkpoints=lines)
    assert verdict.exit_code == 1 and "records 4..4 were deleted" in verdict.problems[0]


def test_a_database_made_before_signatures_gets_the_column(
    postgres_url: str  # noqa: F811
) -> None:
    PostgresStorage(postgres_url).close()
    with psycopg.connect(postgres_url) as connection:
        connection.execute("ALTER TABLE screening_audit DROP COLUMN sig")
    storage = PostgresStorage(postgres_url)
    try:
        storage.audit.record_screening(SCREENED_CASE, screen(SCREENED_CASE))
        assert storage.audit.verify() == []
    finally:
        storage.close()
