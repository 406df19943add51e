"""What makes the screening audit log prove itself: signed records, signed checkpoints of
its head kept outside the database, and the verdict of checking both. Pure: no key file,
no database, no clock (the adapters in ``adapters/audit/`` hold those).

Why signatures (Ed25519, RFC 8032) rather than a keyed hash (HMAC): whoever can check an
HMAC can also forge it, so an auditor, a partner agency or the bus that receives the
checkpoints would have to be trusted with the key. With a signature only the writer holds
the private key; everyone else checks with the public one.

A record's signature covers its chain hash, and the hash covers the record and, through
``prev_hash``, every record before it. A checkpoint is a signed statement "log ``log``
had record ``seq`` with hash ``hash`` at ``at``", appended to a file (or later the bus, a
partner) outside the database, by default after every record.

Detected by :func:`verify_log` when the public key and the checkpoints are given:

* a record edited (hash mismatch), edited and the chain recomputed without the key
  (signature invalid), or its signature removed (unsigned record after a signed one);
* a record deleted in the middle (sequence gap, chain break) or records reordered
  (``seq`` disagrees with the body, chain break);
* records deleted from the end, every record deleted, or the table dropped: a checkpoint
  names a ``seq`` beyond the log's last record;
* the database swapped for an older copy (the same as deleting from the end) or for
  another log (checkpoint hash mismatch, checkpoints of another log);
* the checkpoint file deleted while the log holds signed records, or a checkpoint line
  edited (its signature fails).

NOT detected:

* anything done by someone who holds the private key (they can re-sign a rewritten log
  and write matching checkpoints);
* records removed from the end *and* the checkpoints naming them removed from the end of
  the checkpoint file (one remaining checkpoint at or below the new end is consistent);
  records and checkpoint file both deleted leave an empty, "intact" log;
* records written after the last checkpoint and then deleted, when the checkpoint of
  them was never written (a crash between the commit and the checkpoint, or appends
  inside a longer transaction, whose checkpoint waits for the next append or close);
* records that were never written (a writer that skips the log), and wrong times
  (``created_at`` is the writer's clock, not a trusted timestamp);
* in a log without signatures (written before keys, or without a key) any rewrite that
  recomputes the chain: such a log is reported *unkeyed*, never *intact*.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

import orjson

from borderwatch.screening.audit_chain import AuditRow, canonical, check_chain

RECORD_CONTEXT = b"borderwatch.audit.record/1\n"
"""Prefix of what a record's signature covers (a record signature is never a checkpoint's)."""
CHECKPOINT_CONTEXT = b"borderwatch.audit.checkpoint/1\n"
"""Prefix of what a checkpoint's signature covers."""


class Signer(Protocol):
    """Signs for the audit log; the private key stays behind it (``adapters/audit/keys.py``)."""

    @property
    def scheme(self) -> str:
        """The signature scheme's name, e.g. ``ed25519``."""
        ...

    @property
    def key_id(self) -> str:
        """Names the public key that checks these signatures."""
        ...

    def sign(self, message: bytes) -> bytes: ...


class SignatureCheck(Protocol):
    """Checks signatures with a public key."""

    @property
    def scheme(self) -> str: ...

    @property
    def key_id(self) -> str: ...

    def valid(self, message: bytes, signature: bytes) -> bool: ...


@dataclass(frozen=True, slots=True, kw_only=True)
class Checkpoint:
    """A signed statement of the log's head: record ``seq`` had ``hash`` at ``at``."""

    log: str
    """The log's identity: the hash of its first record."""
    seq: int
    hash: str
    at: str
    """RFC 3339, UTC: when the checkpoint was written (the writer's clock)."""
    key_id: str
    sig: str
    """Base64 of the signature over :func:`checkpoint_message`."""

    def to_json(self) -> str:
        """One line of the checkpoint file (or one bus message)."""
        return canonical({"v": 1, "log": self.log, "seq": self.seq, "hash": self.hash,
                          "at": self.at, "key_id": self.key_id, "sig": self.sig})

    @classmethod
    def from_json(cls, text: str) -> Checkpoint:
        """Raises ``ValueError`` naming what is wrong with a line that is not a checkpoint."""
        try:
            value = orjson.loads(text)
        except orjson.JSONDecodeError as err:
            raise ValueError(f"not JSON ({err})") from None
        if not isinstance(value, dict) or value.get("v") != 1:
            raise ValueError("not a version 1 checkpoint")
        strings = ("log", "hash", "at", "key_id", "sig")
        for name in strings:
            if not isinstance(value.get(name), str):
                raise ValueError(f"field {name} must be a string")
        seq = value.get("seq")
        if not isinstance(seq, int) or isinstance(seq, bool) or seq < 1:
            raise ValueError("field seq must be an integer >= 1")
        return cls(log=value["log"], seq=seq, hash=value["hash"], at=value["at"],
                   key_id=value["key_id"], sig=value["sig"])


def record_message(row_hash: str) -> bytes:
    """What a record's signature covers: its chain hash (which covers all before it)."""
    return RECORD_CONTEXT + row_hash.encode("ascii")


def checkpoint_message(log: str, seq: int, row_hash: str, at: str) -> bytes:
    """What a checkpoint's signature covers."""
    return CHECKPOINT_CONTEXT + canonical(
        {"log": log, "seq": seq, "hash": row_hash, "at": at}).encode("utf-8")


def sign_record(signer: Signer, row_hash: str) -> str:
    """The ``sig`` column of a record: ``scheme:key_id:base64(signature)``."""
    signature = base64.b64encode(signer.sign(record_message(row_hash))).decode("ascii")
    return f"{signer.scheme}:{signer.key_id}:{signature}"


def make_checkpoint(signer: Signer, *, log: str, head: AuditRow, at: str) -> Checkpoint:
    """The signed checkpoint of ``head`` in log ``log``."""
    signature = signer.sign(checkpoint_message(log, head.seq, head.hash, at))
    return Checkpoint(log=log, seq=head.seq, hash=head.hash, at=at, key_id=signer.key_id,
                      sig=base64.b64encode(signature).decode("ascii"))


class CheckpointSink(Protocol):
    """Where checkpoints are kept, outside the database (a file now; the bus or a partner
    later): appended to, never rewritten."""

    def log_id(self) -> str | None:
        """The log this sink already anchors (None: no checkpoint yet)."""
        ...

    def append(self, checkpoint: Checkpoint) -> None: ...


@dataclass(frozen=True, slots=True)
class AuditSeal:
    """What a writer needs to make its records prove themselves: the signer, where the
    checkpoints go, and every how many records one is written (1: after every record;
    audit records come at the pace of officers, and a checkpoint is one short line)."""

    signer: Signer
    anchor: CheckpointSink
    every: int = 1

    def __post_init__(self) -> None:
        if self.every < 1:
            raise ValueError(f"checkpoints every {self.every} records: must be >= 1")


INTACT, UNKEYED, PROBLEMS, CANNOT = "intact", "unkeyed", "problems", "cannot verify"


@dataclass(frozen=True, slots=True)
class Verdict:
    """The outcome of :func:`verify_log`. ``status``: ``intact`` (exit 0), ``problems``
    (each in ``problems``; exit 1), ``unkeyed`` or ``cannot verify`` (the reasons in
    ``reasons``; exit 2). ``notes`` say what the verdict does not cover."""

    status: str
    problems: list[str] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    records: int = 0

    @property
    def exit_code(self) -> int:
        return {INTACT: 0, PROBLEMS: 1}.get(self.status, 2)


def _signature_ok(check: SignatureCheck, sig: str, message: bytes) -> str | None:
    """None when ``sig`` (``scheme:key_id:base64``) is valid; else why not."""
    parts = sig.split(":", 2)
    if len(parts) != 3:
        return "signature is malformed"
    scheme, key_id, encoded = parts
    if scheme != check.scheme or key_id != check.key_id:
        return f"signed with another key ({scheme}:{key_id}, expected {check.key_id})"
    try:
        raw = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        return "signature is not base64"
    return None if check.valid(message, raw) else "signature does not match"


def _check_checkpoints(
    rows: Sequence[AuditRow], check: SignatureCheck, lines: Sequence[tuple[int, str]],
    problems: list[str], notes: list[str],
) -> int:
    """Check each checkpoint line against the rows; returns the highest checked seq."""
    by_seq = {row.seq: row for row in rows}
    log = rows[0].hash if rows and rows[0].seq == 1 else None
    head = rows[-1].seq if rows else 0
    anchored = 0
    beyond: list[tuple[int, str, str]] = []
    for number, (line_no, text) in enumerate(lines):
        where = f"checkpoint line {line_no}"
        try:
            point = Checkpoint.from_json(text)
        except ValueError as err:
            if number == len(lines) - 1 and not text.endswith("\n"):
                notes.append(f"{where} is incomplete (a crash while writing it?): ignored")
            else:
                problems.append(f"{where}: {err} (the checkpoint file was edited?)")
            continue
        why = _signature_ok(check, f"{check.scheme}:{point.key_id}:{point.sig}",
                            checkpoint_message(point.log, point.seq, point.hash, point.at))
        if why is not None:
            problems.append(f"{where}: {why} (the checkpoint was edited or forged)")
            continue
        if point.seq > head:
            beyond.append((point.seq, where, point.at))
        elif point.seq in by_seq and by_seq[point.seq].hash != point.hash:
            problems.append(f"{where}: record seq {point.seq} does not have the hash it had "
                            f"at {point.at}: the log was rewritten")
        elif log is not None and point.log != log:
            problems.append(f"{where} is for another log (first record {point.log[:12]}…, "
                            f"this log's {log[:12]}…): record 1 rewritten or another log")
        anchored = max(anchored, point.seq)
    if beyond:
        seq, where, at = max(beyond)
        more = f" (and {len(beyond) - 1} other checkpoints past the end)" if len(beyond) > 1 else ""
        problems.append(f"{where} ({at}) records seq {seq}, but the log ends at seq {head}: "
                        f"records {head + 1}..{seq} were deleted from the end (or the log "
                        f"replaced by an older copy){more}")
    return anchored


def verify_log(
    rows: Sequence[AuditRow] | None,
    *,
    check: SignatureCheck | None,
    checkpoints: Sequence[tuple[int, str]] | None,
) -> Verdict:
    """The verdict on a log. ``rows`` in ``seq`` order, None when the audit table is
    missing; ``check`` the public key (None: none given); ``checkpoints`` the checkpoint
    file's lines as (line number, text with its newline), None when there is no file.
    See the module's docstring for what is and is not detected."""
    problems: list[str] = []
    notes: list[str] = []
    lines = list(checkpoints or [])
    if rows is None:
        if check is not None and lines:
            _check_checkpoints([], check, lines, problems, notes)
        if problems:
            return Verdict(PROBLEMS, ["the audit table is missing (dropped?)", *problems],
                           notes=notes)
        return Verdict(CANNOT, reasons=["not an audit log: no screening_audit table"])
    problems += check_chain(rows)
    signed = [row for row in rows if row.sig]
    if check is None:
        if signed:
            return Verdict(PROBLEMS if problems else CANNOT, problems, records=len(rows),
                           reasons=[f"{len(signed)} records are signed: give the key "
                                    "directory (--keys) to check them"])
        if problems:
            return Verdict(PROBLEMS, problems, records=len(rows))
        return Verdict(UNKEYED, records=len(rows), reasons=[
            "unkeyed: the chain is consistent, but integrity cannot be proven (anyone can "
            "recompute an unsigned chain; no key or checkpoints given)"])
    proven = 0
    if signed:
        first = signed[0].seq
        for row in rows:
            if row.seq < first:
                continue
            if not row.sig:
                problems.append(f"record seq {row.seq} ({row.record_id}) is not signed: "
                                "written without the key, or its signature removed")
                continue
            why = _signature_ok(check, row.sig, record_message(row.hash))
            if why is None:
                proven = max(proven, row.seq)
            else:
                problems.append(f"record seq {row.seq} ({row.record_id}): {why} (edited "
                                "and re-hashed?)")
    if checkpoints is None:
        if signed:
            problems.append(f"no checkpoint file, yet {len(signed)} records are signed: "
                            "the checkpoints were deleted? (deletions from the end cannot "
                            "be checked without them)")
    else:
        anchored = _check_checkpoints(rows, check, lines, problems, notes)
        head = rows[-1].seq if rows else 0
        if rows and anchored < head:
            notes.append(f"records after seq {anchored} have no checkpoint yet: deleting "
                         "them from the end would not be seen")
        proven = max(proven, min(anchored, head))
    if problems:
        return Verdict(PROBLEMS, problems, notes=notes, records=len(rows))
    if rows and proven < rows[-1].seq:
        return Verdict(UNKEYED, notes=notes, records=len(rows), reasons=[
            f"unkeyed: records {proven + 1}..{rows[-1].seq} are neither signed nor "
            "covered by a checkpoint, so their integrity cannot be proven"])
    return Verdict(INTACT, notes=notes, records=len(rows))
