"""The alert stage as a running service holds it: the centre, its stores (alert states,
outbox, disclosures on one database: SQLite, or PostgreSQL in a cluster) and the
dispatcher that drains the outbox."""

from __future__ import annotations

from dataclasses import dataclass, field

from borderwatch.adapters.transports.dispatch import Dispatcher
from borderwatch.alerts.center import AlertCenter
from borderwatch.alerts.lifecycle import AlertStore
from borderwatch.alerts.outbox import Outbox
from borderwatch.ports.storage import DisclosureLog


@dataclass
class AlertService:
    """The alert centre with its stores and dispatcher; ``close`` stops and closes them."""

    center: AlertCenter
    outbox: Outbox
    store: AlertStore
    disclosures: DisclosureLog
    dispatcher: Dispatcher
    closers: list[object] = field(default_factory=list)

    def close(self) -> None:
        self.dispatcher.stop()
        for item in self.closers:
            close = getattr(item, "close", None)
            if close is not None:
                close()
        self.outbox.close()  # the one database the store and the disclosures share
