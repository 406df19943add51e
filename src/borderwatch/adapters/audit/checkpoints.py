"""The checkpoint file: signed heads of the audit log, one JSON line each, appended and
never rewritten (``screening/audit_proof.py`` says what they prove). Other destinations
(the bus, a partner agency) would be further ``CheckpointSink`` implementations taking the
same ``Checkpoint.to_json`` line."""

from __future__ import annotations

import os
from pathlib import Path

from borderwatch.screening.audit_proof import Checkpoint


class CheckpointFile:
    """:class:`~borderwatch.screening.audit_proof.CheckpointSink` on a JSONL file. Each
    checkpoint is one ``write`` to a file opened with ``O_APPEND`` and synced, so writers
    in several processes never interleave within a line (POSIX append on a local disk)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def log_id(self) -> str | None:
        for _, text in self.lines() or []:
            try:
                return Checkpoint.from_json(text).log
            except ValueError:
                continue
        return None

    def append(self, checkpoint: Checkpoint) -> None:
        data = (checkpoint.to_json() + "\n").encode("utf-8")
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(fd, data)
            os.fsync(fd)
        finally:
            os.close(fd)

    def lines(self) -> list[tuple[int, str]] | None:
        """(line number, text with its newline) of each non-blank line; None when the
        file does not exist."""
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            return None
        text = raw.decode("utf-8", errors="replace")
        return [(n, line) for n, line in enumerate(text.splitlines(keepends=True), 1)
                if line.strip()]
