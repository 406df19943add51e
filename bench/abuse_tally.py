"""The tally of bench/abuse.py's runs: each outcome against its aim, the server errors,
the blinding and memory figures the summary line reports."""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path

import httpx

BORDERWATCH = str(Path(sys.executable).parent / "borderwatch")
MB = 2**20


@dataclass
class Outcome:
    run: str
    aim: str
    seen: str
    ok: bool


@dataclass
class Tally:
    outcomes: list[Outcome] = field(default_factory=list)
    server_errors: int = 0
    blinded: int = 0
    max_rss: int = 0
    tail_delete_caught: int = 0
    p99_alone_ms: float = float("nan")
    p99_partner_ms: float = float("nan")

    def record(self, run: str, aim: str, seen: str, ok: bool) -> bool:
        self.outcomes.append(Outcome(run, aim, seen, ok))
        return ok

    def answer(self, r: httpx.Response) -> httpx.Response:
        """Every answer of the service passes here: a 5xx is a server error."""
        self.server_errors += r.status_code >= 500
        return r
