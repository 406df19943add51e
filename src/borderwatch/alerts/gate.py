"""The one enforcement point of the cross-border sharing policy.

Every channel (console, JSONL, CoT, CAP, webhook) is handed a :class:`Release`, and only
:meth:`SharingGate.release` makes one. For a partner agency the gate keeps only the fields
its rule allows (whatever the router already did), never a personal field, and writes
the disclosure to the log: who, which agency, which incident, which fields, over which
channel, on which legal basis. A formatter therefore cannot leak what it never receives.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, replace
from pathlib import Path
from typing import IO, Any, Protocol

import orjson

from borderwatch.alerts.sharing import PERSONAL_FIELDS, SharingPolicy
from borderwatch.domain import AgencyUnit, Alert, Audience
from borderwatch.domain.time import format_time, parse_time


@dataclass(frozen=True, slots=True)
class Release:
    """An alert cleared for one channel. Build it only with :meth:`SharingGate.release`."""

    alert: Alert
    channel: str
    withheld: tuple[str, ...]
    """Fields the gate removed (non-empty only when an upstream filter let too much by)."""


class DisclosureRecorder(Protocol):
    def record(self, entry: dict[str, Any]) -> None: ...


class RecordingDisclosures:
    """The official fake: keeps every disclosure entry."""

    def __init__(self) -> None:
        self.entries: list[dict[str, Any]] = []

    def record(self, entry: dict[str, Any]) -> None:
        self.entries.append(entry)


class JsonlDisclosures:
    """Appends one JSON line per disclosure and flushes it (an audit trail survives a crash)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._out: IO[bytes] = self.path.open("ab")

    def record(self, entry: dict[str, Any]) -> None:
        self._out.write(orjson.dumps(entry) + b"\n")
        self._out.flush()

    def close(self) -> None:
        self._out.close()


@dataclass
class SharingGate:
    """The one place a :class:`Release` is made (see the module docstring)."""

    sharing: SharingPolicy
    log: DisclosureRecorder

    def release(self, alert: Alert, channel: str) -> Release:
        """Clear ``alert`` for ``channel``. The responsible unit gets it whole; a partner
        gets only the fields its agency's rule allows, never a personal field (none at
        all without a rule), and the disclosure is recorded with its legal basis."""
        if alert.audience is not Audience.PARTNER:
            return Release(alert, channel, ())
        rule = self.sharing.partners.get(alert.recipient.agency)
        allowed = (rule.fields if rule else frozenset()) - PERSONAL_FIELDS
        kept = {k: v for k, v in alert.payload.items() if k in allowed}
        withheld = tuple(sorted(set(alert.payload) - set(kept)))
        cleared = replace(alert, payload=kept)
        collecting = _COLLECTING.get()
        (self.log.record if collecting is None else collecting.append)(
            {
                "time": format_time(alert.created_at),
                "alert_id": alert.alert_id,
                "incident_id": alert.incident_id,
                "recipient": alert.recipient.unit_id,
                "agency": alert.recipient.agency,
                "channel": channel,
                "fields": sorted(kept),
                "withheld": list(withheld),
                "basis": rule.basis if rule else "no rule for this agency: nothing shared",
                "simulated": alert.simulated,
            }
        )
        return Release(cleared, channel, withheld)

    def release_notice(self, kind: str, notice: dict[str, Any], recipient: AgencyUnit,
                       channel: str) -> dict[str, Any]:
        """A notice of ``kind`` (the sharing policy's ``notices``) as ``recipient``'s agency
        may receive it: only the fields its rule names, never a personal field (nothing
        without a rule), always marked ``simulated`` as the notice is; the disclosure is
        logged as for an alert, its id ``<channel>:<kind>:<notice_id>``."""
        rule = self.sharing.notices.get(kind, {}).get(recipient.agency)
        allowed = (rule.fields if rule else frozenset()) - PERSONAL_FIELDS
        kept = {k: v for k, v in notice.items() if k in allowed}
        simulated = bool(notice.get("simulated", False))
        entry = {
            "time": str(notice.get("time", _EPOCH_TEXT)),
            "alert_id": f"{channel}:{kind}:{notice.get('notice_id', '')}",
            "incident_id": "",
            "recipient": recipient.unit_id,
            "agency": recipient.agency,
            "channel": channel,
            "notice": kind,
            "fields": sorted(kept),
            "withheld": sorted(set(notice) - set(kept) - {"simulated"}),
            "basis": rule.basis if rule else "no rule for this agency: nothing shared",
            "simulated": simulated,
        }
        collecting = _COLLECTING.get()
        (self.log.record if collecting is None else collecting.append)(entry)
        return {**kept, "simulated": simulated}

    def release_records(self, records: list[dict[str, Any]], recipient: AgencyUnit,
                        channel: str, *, kind: str) -> list[dict[str, Any]]:
        """Many records of one kind (a live feed's thousand tracks) released to one
        partner unit in one pass: for each, the fields :meth:`release` would keep, and
        **one** disclosure entry for them all (their ids in ``released``, every field sent
        and withheld). Released one by one, a thousand tracks cost 25-40 ms of Python per
        event and agency (bench/abuse.py), most of a core beside the event loop.

        Each record's id is ``<channel>:<kind>:<incident_id or track_id>``, as
        :class:`~borderwatch.app.http.views.Viewer` names single releases. Times must be
        as :func:`~borderwatch.domain.time.format_time` writes them (UTC, fixed width), so
        that the latest is the greatest string."""
        rule = self.sharing.partners.get(recipient.agency)
        allowed = (rule.fields if rule else frozenset()) - PERSONAL_FIELDS
        kept = [{k: v for k, v in r.items() if k in allowed} for r in records]
        if not records:
            return kept
        keys: set[str] = set().union(*records)
        released = [f"{channel}:{kind}:{r.get('incident_id') or r.get('track_id', '')}"
                    for r in records]
        incidents = {str(r["incident_id"]) for r in records if r.get("incident_id")}
        times = [str(r["time"]) for r in records if "time" in r]
        entry = {
            "time": format_time(parse_time(max(times))) if times else _EPOCH_TEXT,
            "alert_id": released[0] + (f"+{len(released) - 1}" if len(released) > 1 else ""),
            "incident_id": next(iter(incidents)) if len(incidents) == 1 else "",
            "recipient": recipient.unit_id,
            "agency": recipient.agency,
            "channel": channel,
            "released": released,
            "count": len(released),
            "fields": sorted(keys & allowed),
            "withheld": sorted(keys - allowed),
            "basis": rule.basis if rule else "no rule for this agency: nothing shared",
            "simulated": any(bool(r.get("simulated", False)) for r in records),
        }
        collecting = _COLLECTING.get()
        (self.log.record if collecting is None else collecting.append)(entry)
        return kept


_EPOCH_TEXT = "1970-01-01T00:00:00.000Z"
_COLLECTING: ContextVar[list[dict[str, Any]] | None] = ContextVar(
    "borderwatch_disclosures_collecting", default=None)


@contextmanager
def collected_disclosures() -> Iterator[list[dict[str, Any]]]:
    """Disclosures released inside the block, in this context only (this thread or this
    asyncio task), are appended to the yielded list instead of being written to the log;
    the caller must write them before it sends what was released (the live feed writes
    one entry per event and recipient: :func:`disclosure_of_event`)."""
    collected: list[dict[str, Any]] = []
    token = _COLLECTING.set(collected)
    try:
        yield collected
    finally:
        _COLLECTING.reset(token)


def disclosure_of_event(entries: list[dict[str, Any]], *, event: str,
                        channel: str) -> list[dict[str, Any]]:
    """The entries of one live-feed event (several records released to one recipient,
    e.g. a thousand tracks) as one entry per recipient: which records (``released``,
    their ``alert_id``s, and ``count``), every field sent and every field withheld
    from any of them, and the legal basis. A track update every second then costs one
    row per partner subscriber, not one per track."""
    grouped: dict[tuple[str, str, str], list[dict[str, Any]]] = {}
    for entry in entries:
        key = (entry["recipient"], entry["agency"], entry["basis"])
        grouped.setdefault(key, []).append(entry)
    merged = []
    for (recipient, agency, basis), group in grouped.items():
        # An entry of SharingGate.release_records stands for many records already.
        released = [r for e in group for r in e.get("released", (e["alert_id"],))]
        incidents = sorted({e["incident_id"] for e in group if e["incident_id"]})
        merged.append({
            "time": max(e["time"] for e in group),
            "alert_id": f"{channel}:{event}:{released[0]}" + (
                f"+{len(released) - 1}" if len(released) > 1 else ""),
            "incident_id": incidents[0] if len(incidents) == 1 else "",
            "recipient": recipient,
            "agency": agency,
            "channel": channel,
            "event": event,
            "released": released,
            "count": len(released),
            "fields": sorted({f for e in group for f in e["fields"]}),
            "withheld": sorted({f for e in group for f in e["withheld"]}),
            "basis": basis,
            "simulated": any(e["simulated"] for e in group),
        })
    return merged


class TeeDisclosures:
    """Writes each disclosure to several recorders (e.g. the JSONL log and the database)."""

    def __init__(self, *recorders: DisclosureRecorder) -> None:
        self.recorders = recorders

    def record(self, entry: dict[str, Any]) -> None:
        for recorder in self.recorders:
            recorder.record(entry)
