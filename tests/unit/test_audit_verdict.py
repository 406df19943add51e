"""The pure verdict (screening/audit_proof.py) on the in-memory audit log: what each
tampering looks like, with no file and no database."""

from __future__ import annotations

from dataclasses import replace

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from tests.case_helpers import SCREENED_CASE

from borderwatch.adapters.audit.keys import Ed25519Check, Ed25519Signer
from borderwatch.ports.storage_fake import InMemoryAuditLog
from borderwatch.screening import screen
from borderwatch.screening.audit_proof import AuditSeal, Checkpoint, verify_log


class MemorySink:
    def __init__(self) -> None:
        self.points: list[Checkpoint] = []

    def log_id(self) -> str | None:
        return self.points[0].log if self.points else None

    def append(self, checkpoint: Checkpoint) -> None:
        self.points.append(checkpoint)

    def lines(self) -> list[tuple[int, str]]:
        return [(n, p.to_json() + "\n") for n, p in enumerate(self.points, 1)]


def sealed_log(records: int = 3, every: int = 1) -> tuple[InMemoryAuditLog, MemorySink,
                                                          Ed25519Check]:
    key = Ed25519PrivateKey.generate()
    sink = MemorySink()
    log = InMemoryAuditLog(seal=AuditSeal(Ed25519Signer(key), sink, every))
    for n in range(records):
        case = {**SCREENED_CASE, "case_id": f"AB-{n}"}
        log.record_screening(case, screen(case))
    return log, sink, Ed25519Check(key.public_key())


def test_intact_then_each_tampering_named() -> None:
    log, sink, check = sealed_log()
    assert verify_log(log.rows, check=check, checkpoints=sink.lines()).status == "intact"
    verdict = verify_log(log.rows[:2], check=check, checkpoints=sink.lines())
    assert verdict.exit_code == 1 and "records 3..3 were deleted" in verdict.problems[0]
    unsigned = [*log.rows[:2], replace(log.rows[2], sig=None)]
    verdict = verify_log(unsigned, check=check, checkpoints=sink.lines())
    assert any("seq 3" in p and "not signed" in p for p in verdict.problems)
    other_key = Ed25519Check(Ed25519PrivateKey.generate().public_key())
    verdict = verify_log(log.rows, check=other_key, checkpoints=sink.lines())
    assert verdict.exit_code == 1 and "signed with another key" in verdict.problems[0]


def test_checkpoints_every_n_and_the_unanchored_tail_is_a_note() -> None:
    log, sink, check = sealed_log(records=5, every=2)
    assert [p.seq for p in sink.points] == [2, 4]
    verdict = verify_log(log.rows, check=check, checkpoints=sink.lines())
    assert verdict.status == "intact"
    assert any("after seq 4 have no checkpoint" in n for n in verdict.notes)
    log.close()
    assert [p.seq for p in sink.points] == [2, 4, 5]


def test_a_torn_last_checkpoint_line_is_a_note_not_a_problem() -> None:
    log, sink, check = sealed_log()
    lines = [*sink.lines(), (4, '{"v":1,"log":"ab')]
    verdict = verify_log(log.rows, check=check, checkpoints=lines)
    assert verdict.status == "intact" and "incomplete" in verdict.notes[0]
    lines = [(1, "garbage\n"), *sink.lines()]
    assert verify_log(log.rows, check=check, checkpoints=lines).exit_code == 1


def test_an_unkeyed_log_is_never_intact() -> None:
    log = InMemoryAuditLog()
    log.record_screening(SCREENED_CASE, screen(SCREENED_CASE))
    verdict = verify_log(log.rows, check=None, checkpoints=None)
    assert (verdict.status, verdict.exit_code) == ("unkeyed", 2)
    assert log.verify() == []  # the plain chain is consistent: that alone proves nothing
