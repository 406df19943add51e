"""The storage port on one SQLite file: every repository on one :class:`Database`.

``SqliteStorage(path)`` is what the service, the CLI and the demo open: the detection log,
API keys, alert states, outbox, disclosure log, cases, screening audit log, officers'
decisions and returns, each in its own tables of the same file, sharing one connection and
so one transaction.

What a PostgreSQL adapter would change: the connection settings and ``BEGIN IMMEDIATE``
(``database.py``), the DDL's SQLite types (``AUTOINCREMENT``, ``BLOB``, ``DATETIME`` as
UTC text, ``BOOLEAN`` as 0/1; ``case_schema.py``), ``PRAGMA table_info`` (``keys.py``) and
the ``?`` placeholders. The statements themselves (``ON CONFLICT ... DO NOTHING`` / ``DO
UPDATE``, ``IN (...)``, multi-row ``VALUES``) are PostgreSQL's too.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from borderwatch.adapters.sqlite.alerts import SqliteAlertStore, SqliteDisclosures
from borderwatch.adapters.sqlite.audit import AuditLog
from borderwatch.adapters.sqlite.cases import SqlCaseStore
from borderwatch.adapters.sqlite.database import Database
from borderwatch.adapters.sqlite.detections import DetectionLog
from borderwatch.adapters.sqlite.evidence import SqliteEvidence
from borderwatch.adapters.sqlite.interventions import SqliteInterventions
from borderwatch.adapters.sqlite.keys import KeyStore
from borderwatch.adapters.sqlite.officers import SqliteDecisions, SqliteReturns
from borderwatch.adapters.sqlite.outbox import SqliteOutbox
from borderwatch.alerts.outbox import Backoff
from borderwatch.screening.audit_proof import AuditSeal


class SqliteStorage:
    """:class:`~borderwatch.ports.storage.Storage` on the SQLite file at ``path``.

    ``synchronous`` is SQLite's sync level for the file's commits (``FULL``: a commit
    survives a power cut; ``NORMAL``: a killed process). ``backoff``, ``clock`` (epoch
    seconds) and ``rng`` are the outbox's retry schedule; ``audit_seal`` signs and
    checkpoints the audit log (``adapters/audit/keys.py``, ``load_seal``). Thread-safe.
    Closing any one repository closes the whole storage (they share the connection)."""

    def __init__(
        self,
        path: str | Path,
        *,
        synchronous: str = "FULL",
        backoff: Backoff | None = None,
        clock: Callable[[], float] = time.time,
        rng: random.Random | None = None,
        audit_seal: AuditSeal | None = None,
    ) -> None:
        self.db = Database.of(path, synchronous)
        self._closed = False
        self.path = self.db.path
        self.detections = DetectionLog(self.db)
        self.keys = KeyStore(self.db)
        self.alerts = SqliteAlertStore(self.db)
        self.outbox = SqliteOutbox(self.db, backoff=backoff, clock=clock, rng=rng)
        self.disclosures = SqliteDisclosures(self.db)
        self.cases = SqlCaseStore(self.db)
        self.audit = AuditLog(self.db, seal=audit_seal)
        self.interventions = SqliteInterventions(self.db)
        self.evidence = SqliteEvidence(self.db)
        self.decisions = SqliteDecisions(self.db)
        self.returns = SqliteReturns(self.db)

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Everything inside, in any repository, commits together (nested uses join)."""
        with self.db.transaction():
            yield

    def close(self) -> None:
        """Checkpoint the audit log's head, close the outbox's marks connection and the
        file."""
        if not self._closed:
            self._closed = True
            self.audit.checkpoint_pending()
        self.outbox.close()
        self.db.close()
