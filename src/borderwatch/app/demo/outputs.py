"""What `borderwatch demo` writes: one table of files and what each holds.

The start of a run clears these names, ``README.txt`` describes them and the closing line
lists them, all from ``OUTPUTS``, so the three cannot disagree with each other.
"""

from __future__ import annotations

import shutil
from pathlib import Path

OUTPUTS: tuple[tuple[str, str], ...] = (
    ("README.txt", "this file: what each output holds"),
    ("summary.json", "the night's summary and its evaluation against the simulation's truth"),
    ("detections.jsonl", "every simulated sensor report and tip, in the detection wire format"),
    ("truth.jsonl", "the simulation's truth: movers' positions every 10 s and true crossings"),
    ("tracks.jsonl", "each confirmed track's last state and its path (a point per 10 s)"),
    ("incidents.jsonl", "the incidents raised (approach warnings and crossings)"),
    ("alerts.jsonl", "every alert as delivered, one line per recipient and incident"),
    ("disclosures.jsonl", "what each partner agency was sent, field by field, and on what basis"),
    ("alerts.db", "SQLite: the alert stage's states, outbox and disclosure log"),
    ("cap/", "CAP 1.2 messages (status Exercise), one file per alert and recipient"),
    ("inbound/", "the US tip as the partner's CAP message, read back as a cue"),
    ("cot-received.xml", "the CoT events the stand-in TAK server of the team received"),
    ("evidence/", "the thermal crops near the crossing (PNG, white hot), nearest in time "
     "first: what the operator looks at before sending a team"),
    ("intervention.json", "the intercept proposed, the unit assigned and each step's time"),
    ("case.json", "the case: opened by the field team's report, with the officer's facts in "
                  "force (people, relations, assumptions)"),
    ("screening.json", "the STCA screening of each person: facts only, then stated assumptions"),
    ("handoff.json", "the return to the US under the Agreement (port, time, receiving "
     "agency, officer, people, the decisions it rests on) and the handoff notice as released "
     "to the receiving agency"),
    ("records/", "the decision record of each person, in English and French, as PDF and "
     "HTML (proposal with citations, decision, removal deferrals)"),
    ("borderwatch.db", "SQLite: the case, the screening audit log, the officers' decisions and "
     "the return, the intervention times"),
    ("report.html", "the statistics report for the period, publication rules applied"),
    ("report.fr.html", "the same statistics report in French (rapport statistique en "
     "français)"),
    ("stats.json", "the statistics tables (internal and publishable) and sentences as JSON"),
    ("rcmp-2025.csv", "the RCMP interceptions table for 2025, publication rules applied"),
)
"""Every file (or folder, ending in ``/``) the demo writes to its output folder."""

SQLITE_SIDE_FILES = ("-wal", "-shm", "-journal")
"""SQLite's files beside an open database: not outputs, gone when it is closed."""


def clear_outputs(out: Path) -> None:
    """Remove what an earlier run wrote under these names (and SQLite's side files)."""
    for name, _ in OUTPUTS:
        path = out / name.rstrip("/")
        if name.endswith("/"):
            shutil.rmtree(path, ignore_errors=True)
            continue
        path.unlink(missing_ok=True)
        for side in SQLITE_SIDE_FILES:
            (out / f"{name}{side}").unlink(missing_ok=True)


def present(out: Path) -> list[str]:
    """The outputs in ``out`` (folders with a ``/``), without hidden and SQLite side
    files, sorted by name."""
    names = []
    for path in out.iterdir():
        if path.name.startswith(".") or path.name.endswith(SQLITE_SIDE_FILES):
            continue
        names.append(f"{path.name}/" if path.is_dir() else path.name)
    return sorted(names)


def readme_text(header: str, names: list[str]) -> str:
    """``README.txt``: ``header``, then one line per file of ``names`` in table order
    (a name the table does not know is listed last, as not described)."""
    described = dict(OUTPUTS)
    width = max(len(n) for n in [*names, "README.txt"])
    lines = [header.rstrip(), "", "Files:"]
    for name, text in OUTPUTS:
        if name in names or name == "README.txt":
            lines.append(f"  {name:<{width}}  {text}")
    lines += [f"  {n:<{width}}  (not described)" for n in names if n not in described]
    return "\n".join(lines) + "\n"


__all__ = ["OUTPUTS", "clear_outputs", "present", "readme_text"]
