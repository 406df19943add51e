"""Alert sinks that ship with the first version: the operator's console and a JSONL file."""

from __future__ import annotations

from pathlib import Path
from typing import IO
from zoneinfo import ZoneInfo

import orjson
from rich.console import Console

from borderwatch.alerts.base import alert_to_wire
from borderwatch.domain import Alert, Audience
from borderwatch.domain.time import local_and_utc


class JsonlAlertSink:
    """Appends one JSON line per alert and flushes it, so a crash loses nothing delivered."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._out: IO[bytes] = self.path.open("ab")

    def deliver(self, alert: Alert) -> None:
        self._out.write(orjson.dumps(alert_to_wire(alert)) + b"\n")
        self._out.flush()

    def close(self) -> None:
        self._out.close()


class ConsoleAlertSink:
    """A one-line alert for the operator, in local time and UTC."""

    def __init__(self, console: Console | None = None, timezone: str = "UTC") -> None:
        self.console = console or Console(stderr=False)
        self.zone = ZoneInfo(timezone)

    def deliver(self, alert: Alert) -> None:
        p = alert.payload
        tag = "[bold yellow]EXERCISE[/] " if alert.simulated else ""
        who = alert.recipient.name
        if alert.audience is Audience.PARTNER:
            text = (
                f"PARTNER NOTICE -> {who}: {p.get('type', '?')} {p.get('direction', '')} "
                f"group of {p.get('group_size', '?')} at {p.get('lat', 0):.5f}, "
                f"{p.get('lon', 0):.5f} (fields shared: {', '.join(sorted(p))})"
            )
        else:
            risk = p.get("risk", {})
            text = (
                f"ALERT -> {who}: {p.get('type')} {p.get('direction') or ''} "
                f"{p.get('kind')} group of {p.get('group_size')}, severity "
                f"{p.get('severity')} ({', '.join(r['text'] for r in risk.get('reasons', []))})"
            )
        style = "cyan" if alert.audience is Audience.PARTNER else "bold red"
        self.console.print(
            f"{local_and_utc(alert.created_at, self.zone)} │ {tag}[{style}]{text}[/]",
            highlight=False,
        )
