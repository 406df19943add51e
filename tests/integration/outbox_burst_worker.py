"""A process that raises a burst of crossing alerts and delivers them by webhook through
the durable outbox; the kill-and-restart test SIGKILLs it mid-burst and runs it again.

    python tests/integration/outbox_burst_worker.py DB URL SECRET COUNT

It routes the same COUNT incidents every time it runs (ids are deterministic), then waits
until the outbox holds nothing pending, and exits 0.
"""

from __future__ import annotations

import sys
import threading
from pathlib import Path

from tests.alert_helpers import incident

from borderwatch.alerts import AlertPolicy, Channels
from borderwatch.app.bootstrap import open_alert_service, transports_for
from borderwatch.geo import Boundary

POLICY = AlertPolicy.from_dict(
    {
        "routes": [
            {
                "name": "burst",
                "match": {},
                "notify": [{"to": "responsible", "channels": ["webhook"]}],
            }
        ]
    }
)


def main() -> int:
    db, url, secret, count = sys.argv[1], sys.argv[2], sys.argv[3].encode(), int(sys.argv[4])
    channels = Channels(webhook=(url,))
    service = open_alert_service(
        Path(db),
        boundary=Boundary.bundled(),
        policy=POLICY,
        channels=channels,
        transports=transports_for(channels, webhook_secret=secret),
        background=True,
    )
    for n in range(count):
        service.center.route(incident(incident_id=f"INC-20250203-{n:04d}", track_id=f"trk-{n:06d}"))
    print("routed", flush=True)
    done = threading.Event()
    while service.outbox.counts().get("pending", 0):
        done.wait(0.05)
    print("drained", service.outbox.counts(), flush=True)
    service.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
