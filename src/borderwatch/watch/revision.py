"""An incident revised when its head count firms up (issue 18).

A crossing is often raised from a young group track, before its sensors have counted
every member: raised with 1 or 2 for groups of 5 and 4, the track says 5 and 4 seconds
later. The incident is not raised twice for that; it is *revised*: the same
``incident_id``, time, place and direction, with the group's new head count, range and
children, the risk assessed again with them (``children`` and ``large_group`` score), the
data time of the revision as ``revised_at`` (``detected_at`` stays the raise's) and
``revision`` = 1, 2, ...

**Which track.** The group's identity (``BatchGeometry.identity``: the first track of its
chain, watch.continuity) is what the crossing rule raised the incident for, and what a
later track of the same group carries; so the revision follows the identity, not a track
serial, through gaps and continued tracks alike.

**When.** A new head count revises the incident once it has been the group's count on
``hold`` consecutive updates of the group: a count ``step`` (2) or more from the one
told, children first seen, ruled out or ``step`` or more from the number told, or a
range reaching ``step`` or more beyond the one told (``differs``). A change of one is
not sent: the count is quoted within one, and a large group's count swings by one from
update to update (on the field streams' tuning seeds a change-of-one rule sent a group
of 8-9 to every agency 20 times in 8 minutes, 145 revisions for 29 incidents); a range
narrowing inside the one told is not news either. The count is already a high quantile
over 20 updates (tracking/groups.py), yet one update can flick it: a member's report
missed for a scan, another group's member passing within 10 m. Three updates is about
3 s at the sensors' 1 Hz: short beside an operator's minutes, long enough that a
one-update flicker (or two) is not sent to every agency as a revision. A group is followed
for ``window_s`` of data time after its incident was raised (10 minutes: by then a team
is on its way and counts the group itself); after that nothing is revised.

Everything is decided by data time and the order of the batches, so the same detections
give the same revisions live, after a restart and in any number of processes.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from borderwatch.domain import Incident, IncidentType
from borderwatch.domain.time import epoch_to_datetime
from borderwatch.tracking import TrackBatch, track_id
from borderwatch.watch.base import BatchGeometry
from borderwatch.watch.risk import RiskModel

HOLD = 3
"""Consecutive updates a new head count must hold before it revises the incident."""
STEP = 2
"""How far a count (or its range) must move from the one told to be news (``differs``)."""
WINDOW_S = 600.0
"""Data time after the raise during which the incident is revised."""

Count = tuple[int, tuple[int, int] | None, int | None]
"""A group's head count as an incident says it: count, range, children."""


@dataclass
class _Followed:
    incident: Incident
    """What the incident last said (as raised, or its latest revision)."""
    raised_s: float
    candidate: Count | None = None
    held: int = 0


def said(incident: Incident) -> Count:
    return incident.group_size, incident.group_size_range, incident.children


class CountRevisions:
    """Follows the groups of raised crossing incidents and revises each incident when its
    group's head count changed and held (module docstring)."""

    def __init__(self, risk: RiskModel, *, hold: int = HOLD, window_s: float = WINDOW_S,
                 step: int = STEP) -> None:
        if hold < 1 or step < 1:
            raise ValueError(f"hold and step must be >= 1, got {hold} and {step}")
        self.step = step
        self.risk = risk
        self.hold = hold
        self.window_s = window_s
        self.followed: dict[str, _Followed] = {}
        """Group identity (its track id, as the incident names it) -> what is followed."""
        self.revisions = 0

    def follow(self, incidents: list[Incident]) -> None:
        """Follow the groups of these raised incidents (crossings only: an approach warning
        is superseded by the crossing, which is the one revised)."""
        for incident in incidents:
            if incident.type is IncidentType.CROSSING and incident.revision == 0:
                self.followed[incident.track_id] = _Followed(
                    incident, incident.detected_at.timestamp()
                )

    def observe(self, batch: TrackBatch, geometry: BatchGeometry) -> list[Incident]:
        """The revisions this batch of group updates makes, in the order of the followed
        incidents (their raise order, so deterministic)."""
        if not self.followed or len(batch) == 0:
            return []
        now = float(batch.epoch_s.max())
        self.followed = {
            k: f for k, f in self.followed.items() if now - f.raised_s <= self.window_s
        }
        rows: dict[str, int] = {}
        for row in range(len(batch)):
            group = track_id(geometry.identity_of(batch, row))
            if group not in self.followed or not batch.confirmed[row]:
                continue
            # Several tracks may carry one identity (a member found beside its group):
            # the largest count is the group's, as the group layer takes its sensors' largest.
            best = rows.get(group)
            if best is None or int(batch.group_size[row]) > int(batch.group_size[best]):
                rows[group] = row
        out: list[Incident] = []
        for group, followed in self.followed.items():
            if group not in rows:
                continue
            count = _count(batch, rows[group])
            if not differs(said(followed.incident), count, self.step):
                followed.candidate, followed.held = None, 0
                continue
            if followed.candidate is not None and _core(count) == _core(followed.candidate):
                followed.held += 1
            else:
                followed.held = 1
            followed.candidate = count  # the latest range, for the same count
            if followed.held >= self.hold:
                followed.incident = self._revise(followed.incident, count,
                                                 float(batch.epoch_s[rows[group]]))
                followed.candidate, followed.held = None, 0
                self.revisions += 1
                out.append(followed.incident)
        return out

    def _revise(self, incident: Incident, count: Count, now_s: float) -> Incident:
        size, size_range, children = count
        risk = self.risk.assess(
            lat=incident.lat,
            lon=incident.lon,
            time=incident.time,
            kind=incident.kind,
            group_size=size,
            children=children,
        )
        return replace(
            incident,
            group_size=size,
            group_size_range=size_range,
            children=children,
            risk=risk,
            revised_at=epoch_to_datetime(now_s),
            revision=incident.revision + 1,
        )


def differs(told: Count, now: Count, step: int = STEP) -> bool:
    """Whether the group's count ``now`` is news beside what the incident ``told``: a count
    ``step`` or more away, children seen, ruled out or ``step`` or more away (children
    weigh in the risk and the CAP category: ``_children_differ``), or a range reaching
    ``step`` or more beyond the one told (a group that may be larger than said is news; a
    range narrowing inside it is not)."""
    if abs(now[0] - told[0]) >= step or _children_differ(told[2], now[2], step):
        return True
    told_range = told[1] or (told[0], told[0])
    now_range = now[1] or (now[0], now[0])
    return told_range[0] - now_range[0] >= step or now_range[1] - told_range[1] >= step


def _children_differ(told: int | None, now: int | None, step: int) -> bool:
    """Children are news when they are first seen or first ruled out (the risk's
    ``children`` or ``ages_unknown`` reason comes or goes), when they are seen or no
    longer seen, or when their number moves ``step`` or more. A change of one is not:
    on the Coutts night the child count of the nine flickered 4-5-4 for minutes, and a
    change-of-one rule sent the crossing to every agency 13 times."""
    if told is None or now is None:
        return (told is None) != (now is None)
    return (told > 0) != (now > 0) or abs(now - told) >= step


def _core(count: Count) -> tuple[int, int | None]:
    return count[0], count[2]


def _count(batch: TrackBatch, row: int) -> Count:
    children = int(batch.children[row])
    return (
        max(1, int(batch.group_size[row])),
        batch.size_range(row),
        None if children < 0 else children,
    )


__all__ = ["HOLD", "STEP", "WINDOW_S", "CountRevisions", "differs", "said"]
