"""The alert stage as a running service holds it: the centre, its SQLite stores (alert
states, outbox, disclosures on one database) and the dispatcher that drains the outbox."""

from __future__ import annotations

from dataclasses import dataclass, field

from borderwatch.adapters.sqlite.alerts import SqliteAlertStore, SqliteDisclosures
from borderwatch.adapters.sqlite.outbox import SqliteOutbox
from borderwatch.adapters.transports.dispatch import Dispatcher
from borderwatch.alerts.center import AlertCenter


@dataclass
class AlertService:
    """The alert centre with its stores and dispatcher; ``close`` stops and closes them."""

    center: AlertCenter
    outbox: SqliteOutbox
    store: SqliteAlertStore
    disclosures: SqliteDisclosures
    dispatcher: Dispatcher
    closers: list[object] = field(default_factory=list)

    def close(self) -> None:
        self.dispatcher.stop()
        for item in self.closers:
            close = getattr(item, "close", None)
            if close is not None:
                close()
        self.outbox.close()  # the one Database the store and the disclosures share
