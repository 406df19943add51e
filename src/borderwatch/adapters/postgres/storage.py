"""The storage port on one PostgreSQL database, shared by many processes.

``PostgresStorage(url)`` is what the cluster's API processes, tracker workers and
dispatchers each open on the same database: the same ten repositories as
``adapters/sqlite/storage.py``, in the same tables, sharing one transaction per thread
(``database.py``). Several processes write at once; the repositories say how each stays
right when they do (ids and dedup keys de-duplicated by unique indexes, the outbox
claimed row by row, the audit chain appended under a lock). The tables are created on
open. Besides the port: :attr:`PostgresStorage.positions` and
:attr:`PostgresStorage.heartbeats` for the tracker workers (``coordination.py``).
"""

from __future__ import annotations

import random
import re
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from borderwatch.adapters.postgres.alerts import PostgresAlertStore, PostgresDisclosures
from borderwatch.adapters.postgres.audit import PostgresAuditLog
from borderwatch.adapters.postgres.cases import PostgresCaseStore
from borderwatch.adapters.postgres.coordination import Heartbeats, SegmentPositions
from borderwatch.adapters.postgres.database import POOL_SIZE, Database
from borderwatch.adapters.postgres.detections import PostgresDetections
from borderwatch.adapters.postgres.evidence import PostgresEvidence
from borderwatch.adapters.postgres.interventions import PostgresInterventions
from borderwatch.adapters.postgres.keys import PostgresKeys
from borderwatch.adapters.postgres.officers import PostgresDecisions, PostgresReturns
from borderwatch.adapters.postgres.outbox import CLAIM_LEASE_S, PostgresOutbox
from borderwatch.adapters.postgres.schema import create_schema
from borderwatch.alerts.outbox import Backoff
from borderwatch.screening.audit_proof import AuditSeal


class PostgresStorage:
    """:class:`~borderwatch.ports.storage.Storage` on the PostgreSQL database at ``url``
    (``postgresql://user@host:port/db``).

    ``backoff``, ``clock`` (epoch seconds; default the system's) and ``rng`` are the
    outbox's retry schedule; ``claim_lease_s`` how long a dispatcher's claim on a message
    holds (``outbox.py``). ``pool_size``: connections this object opens at most.
    ``audit_seal`` signs and checkpoints the audit log (``adapters/audit/keys.py``).
    Thread-safe, and safe with other processes on the same database."""

    def __init__(
        self,
        url: str,
        *,
        backoff: Backoff | None = None,
        clock: Callable[[], float] | None = None,
        rng: random.Random | None = None,
        claim_lease_s: float = CLAIM_LEASE_S,
        pool_size: int = POOL_SIZE,
        audit_seal: AuditSeal | None = None,
    ) -> None:
        self.url = url
        self._closed = False
        self.db = Database(url, pool_size=pool_size)
        try:
            create_schema(self.db)
            self.detections = PostgresDetections(self.db)
            self.keys = PostgresKeys(self.db)
            self.alerts = PostgresAlertStore(self.db)
            self.outbox = PostgresOutbox(
                self.db, backoff=backoff, clock=clock or time.time, rng=rng,
                claim_lease_s=claim_lease_s,
            )
            self.disclosures = PostgresDisclosures(self.db)
            self.cases = PostgresCaseStore(self.db)
            self.audit = PostgresAuditLog(self.db, seal=audit_seal)
            self.interventions = PostgresInterventions(self.db)
            self.evidence = PostgresEvidence(self.db)
            self.decisions = PostgresDecisions(self.db)
            self.returns = PostgresReturns(self.db)
            self.positions = SegmentPositions(self.db)
            self.heartbeats = Heartbeats(self.db)
        except BaseException:
            self.db.close()
            raise

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Everything inside, in any repository, commits together (nested uses in the
        same thread join)."""
        with self.db.transaction():
            yield

    def close(self) -> None:
        """Checkpoint the audit log's head, close the connections (again: nothing
        happens)."""
        if not self._closed:
            self._closed = True
            self.audit.checkpoint_pending()
        self.db.close()

    def __repr__(self) -> str:
        shown = re.sub(r"//([^:/@]+):[^@/]*@", r"//\1:***@", self.url)  # never a password
        return f"PostgresStorage({shown!r})"
