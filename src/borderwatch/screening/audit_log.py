"""The behaviour every screening audit store shares: records appended to the hash chain
(``audit_chain.py``), signed, and their head checkpointed outside the database when the
store has an :class:`~borderwatch.screening.audit_proof.AuditSeal` (``audit_proof.py``
says what that detects and what not). Stores: ``adapters/sqlite/audit.py``,
``adapters/postgres/audit.py`` and the fake in ``ports/storage_fake.py``.
"""

from __future__ import annotations

import uuid
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from borderwatch.domain import InputError
from borderwatch.domain.time import utc_now
from borderwatch.screening.audit_chain import AuditRow, check_chain, next_row
from borderwatch.screening.audit_proof import AuditSeal, make_checkpoint, sign_record
from borderwatch.screening.decide import OUTCOMES, ScreeningResult
from borderwatch.screening.report import result_to_json

DECISIONS = frozenset({"confirm", "override"})
"""What an officer may do with a proposed outcome."""


class ChainedAuditLog(ABC):
    """An append-only, hash-chained log of screenings and officer decisions.

    A store provides its rows in ``seq`` order and appends the row that follows its last
    one in one transaction (two writers must collide, not fork the chain). With a
    ``seal`` each record is signed as it is written, and after every ``seal.every``
    records (and at :meth:`close`) the committed head is checkpointed to ``seal.anchor``.
    A checkpoint is written only outside a transaction: a checkpoint of a row that is
    then rolled back would later read as tampering."""

    def __init__(
        self, *, clock: Callable[[], datetime] = utc_now, seal: AuditSeal | None = None
    ) -> None:
        self._clock = clock
        self._seal = seal
        self._unanchored = 0
        self._anchor_checked = False

    @abstractmethod
    def _rows(self, case_id: str | None) -> list[AuditRow]:
        """Every stored row (of one case, if given), by ``seq``."""

    @abstractmethod
    def _append_row(self, make: Callable[[AuditRow | None], AuditRow]) -> None:
        """In one transaction: read the last row, store ``make(last row)``."""

    def _ends(self) -> tuple[AuditRow | None, AuditRow | None]:
        """The first and the last committed row (stores answer without reading all)."""
        rows = self._rows(None)
        return (rows[0], rows[-1]) if rows else (None, None)

    def _in_transaction(self) -> bool:
        """Whether this thread is inside a transaction that is not yet committed."""
        return False

    def record_screening(self, case: dict[str, Any], result: ScreeningResult) -> str:
        """Store the case as given and the proposed result; returns the record id."""
        if case.get("case_id") != result.case_id:
            raise InputError("case_id", "the case and the result are for different cases")
        return self._append(
            "screening", result.case_id, None, {"case": case, "result": result_to_json(result)}
        )

    def record_decision(
        self,
        case_id: str,
        person_id: str,
        officer: str,
        decision: str,
        reason: str,
        outcome: str | None = None,
        details: dict[str, Any] | None = None,
    ) -> str:
        """An officer confirms or overrides the proposed outcome for one person (a new
        record); returns its id. An override needs a reason and an outcome; a confirmation
        takes the latest screening's proposal. Raises :class:`InputError` otherwise, or when
        the person was not screened in the case. ``details`` are kept beside (e.g. the
        decision record's id: screening/decisions.py)."""
        if decision not in DECISIONS:
            raise InputError("decision", f"must be one of {sorted(DECISIONS)}, got {decision!r}")
        if not officer.strip():
            raise InputError("officer", "must name the officer")
        if decision == "override":
            if not reason.strip():
                raise InputError("reason", "an override needs a reason")
            if outcome not in OUTCOMES:
                raise InputError("outcome", f"an override needs one of {list(OUTCOMES)}")
        proposed = self._proposed(case_id, person_id)
        if proposed is None:
            raise InputError("person_id", f"{person_id!r} was not screened in case {case_id!r}")
        if decision == "confirm":
            if outcome is not None and outcome != proposed:
                raise InputError("outcome", f"confirming {proposed!r} but outcome is {outcome!r}")
            outcome = proposed
        return self._append(
            "decision",
            case_id,
            person_id,
            {
                "officer": officer,
                "decision": decision,
                "reason": reason,
                "outcome": outcome,
                "proposed": proposed,
                **(details or {}),
            },
        )

    def records(self, case_id: str | None = None) -> list[dict[str, Any]]:
        """Every record (of one case, if given) in the order written."""
        return [row.record() for row in self._rows(case_id)]

    def latest_screenings(self) -> list[dict[str, Any]]:
        """The latest screening record of each case, in the order written."""
        return [row.record() for row in self._latest_screening_rows()]

    def _latest_screening_rows(self) -> list[AuditRow]:
        """The latest screening row of each case, by ``seq`` (SQL stores ask the database)."""
        latest = {r.case_id: r for r in self._rows(None) if r.kind == "screening"}
        return sorted(latest.values(), key=lambda r: r.seq)

    def verify(self) -> list[str]:
        """Empty when the hash chain is consistent; otherwise one message per problem.
        The chain alone cannot see a cut-off tail or a recomputed chain: the full check
        with the public key and the checkpoints is ``audit_proof.verify_log``
        (``borderwatch audit verify``)."""
        return check_chain(self._rows(None))

    def checkpoint(self) -> bool:
        """Checkpoint the committed head now (no seal, an empty log, or inside a
        transaction: nothing; returns whether one was written)."""
        seal = self._seal
        if seal is None or self._in_transaction():
            return False
        first, last = self._ends()
        if first is None or last is None:
            return False
        at = self._clock().astimezone(UTC).isoformat()
        seal.anchor.append(make_checkpoint(seal.signer, log=first.hash, head=last, at=at))
        self._unanchored = 0
        return True

    def checkpoint_pending(self) -> None:
        """Checkpoint the records written since the last checkpoint, if any (at close)."""
        if self._unanchored:
            self.checkpoint()

    def close(self) -> None:
        """Checkpoint what is not yet (a store's own close also releases its connection)."""
        self.checkpoint_pending()

    def check_anchor(self) -> None:
        """Before the first append with a seal: refuse to write into a log whose
        checkpoints belong to another log, or to start a new log over the checkpoints
        of one that is gone (that would bury the evidence of its deletion)."""
        if self._seal is None or self._anchor_checked:
            return
        anchored = self._seal.anchor.log_id()
        first, _ = self._ends()
        if anchored is not None and (first is None or first.hash != anchored):
            raise InputError(
                "audit keys",
                (
                    "the checkpoint file belongs to another audit log "
                    f"(first record {anchored[:12]}…) than this database "
                    + (
                        "(empty: were its records deleted?)"
                        if first is None
                        else f"(first record {first.hash[:12]}…)"
                    )
                    + "; run `borderwatch audit verify`, and give each audit log its own key "
                    "directory"
                ),
            )
        self._anchor_checked = True

    def _append(self, kind: str, case_id: str, person_id: str | None, data: Any) -> str:
        self.check_anchor()
        record_id = uuid.uuid4().hex
        created_at = self._clock().astimezone(UTC).isoformat()
        seal = self._seal

        def make(last: AuditRow | None) -> AuditRow:
            row = next_row(
                last,
                record_id=record_id,
                kind=kind,
                case_id=case_id,
                person_id=person_id,
                created_at=created_at,
                data=data,
            )
            return row if seal is None else replace(row, sig=sign_record(seal.signer, row.hash))

        self._append_row(make)
        if seal is not None:
            self._unanchored += 1
            if self._unanchored >= seal.every:
                self.checkpoint()
        return record_id

    def _proposed(self, case_id: str, person_id: str) -> str | None:
        """The outcome of the latest screening of this person in this case."""
        for record in reversed(self.records(case_id)):
            if record["kind"] != "screening":
                continue
            for person in record["data"]["result"]["people"]:
                if person["id"] == person_id:
                    return str(person["outcome"])
        return None
