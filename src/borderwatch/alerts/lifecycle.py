"""Alert lifecycle: trigger -> acknowledge -> resolve, with grouping, inhibition and
escalation (the PagerDuty / Alertmanager semantics: docs/references.md).

Pure logic over an :class:`AlertStore` (SQLite in production, the in-memory fake in tests).
Time is always passed in (data time in a replay, the wall clock in service), never read
here, so every rule can be tested to the second.

* **Grouping.** An alert whose group key (policy ``grouping.by`` + recipient unit) matches
  an open alert is folded into it quietly; once ``repeat_interval`` has passed since the
  last notification it is re-notified (a *repeat*).
* **Inhibition.** A new alert that is the source of an inhibit rule closes open target
  alerts with equal fields for the same unit (status ``inhibited``): their escalation stops
  and no repeat is sent. A target arriving while its source is open is inhibited at once.
* **Escalation.** An open, unacknowledged alert with a chain pages the chain's next target
  each time its delay has passed, until the chain (with its loops) is exhausted.
  Acknowledging or resolving stops it.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, Protocol

from borderwatch.alerts.policy import AlertPolicy, EscalationStep, IncidentFacts
from borderwatch.domain import AgencyUnit, Alert, Audience, BorderwatchError


class Status(StrEnum):
    TRIGGERED = "triggered"
    ACKNOWLEDGED = "acknowledged"
    RESOLVED = "resolved"
    INHIBITED = "inhibited"

    @property
    def open(self) -> bool:
        return self in (Status.TRIGGERED, Status.ACKNOWLEDGED)


class LifecycleError(BorderwatchError):
    """An operator asked for something the alert's state does not allow."""


@dataclass(frozen=True, slots=True)
class Routed:
    """An alert as the policy routed it: the recipient, the channels, the chain."""

    alert: Alert
    facts: IncidentFacts
    group_key: str
    channels: tuple[str, ...]
    escalation: str | None
    route: str
    life_at_risk: bool


@dataclass(frozen=True)
class AlertState:
    """One alert as stored: what was said to whom, and where it stands."""

    alert_id: str
    incident_id: str
    group_key: str
    facts: IncidentFacts
    unit: AgencyUnit
    audience: Audience
    payload: dict[str, Any]
    """Already limited by the sharing policy for a partner."""
    channels: tuple[str, ...]
    escalation: str | None
    route: str
    status: Status
    raised_at: datetime
    last_notified_at: datetime
    simulated: bool
    life_at_risk: bool = False
    folded: int = 0
    """Later alerts of the same group folded into this one without a notification."""
    notifications: int = 1
    escalation_level: int = 0
    next_escalation_at: datetime | None = None
    acknowledged_by: str | None = None
    """Who acknowledged it: the person's name as they gave it (with the key, from the API)."""
    acknowledged_at: datetime | None = None
    acknowledged_note: str | None = None
    """What the person said when acknowledging (e.g. "team en route")."""
    resolved_at: datetime | None = None
    resolved_by: str | None = None
    reason: str | None = None
    """Why it was closed (``inhibited by ALR-...``, an operator's words)."""
    refs: dict[str, list[str]] = field(default_factory=dict)
    """Per channel, the identifiers of messages already sent (CAP ``references``)."""

    def alert(self) -> Alert:
        return Alert(
            alert_id=self.alert_id,
            incident_id=self.incident_id,
            recipient=self.unit,
            audience=self.audience,
            created_at=self.raised_at,
            payload=dict(self.payload),
            simulated=self.simulated,
        )


@dataclass(frozen=True, slots=True)
class PageScope:
    """Which alerts one alert centre pages, by the id of the incident that raised each:
    those starting with ``own``, and those starting with none of ``others``; ``own``
    empty: every alert (one process, one centre).

    A cluster runs a centre per boundary segment over one shared store (app/cluster). Each
    pages its own segment's alerts at its own data time, so an alert is paged by one
    centre, the same one in a replay. When every centre paged every due alert, the first
    whose data time passed a page sent it, and a second one seeing it due before the
    first's run committed waited on its row lock, then sent it again (bench/README.md,
    "Who pages an alert"). An alert of no segment is paged by every centre; the outbox
    keeps one message per page (its key).

    >>> scope = PageScope("INC-BLW-", ("INC-SPW-",))
    >>> [scope.covers(i) for i in ("INC-BLW-20250203-0001", "INC-SPW-20250203-0001", "X-1")]
    [True, False, True]
    """

    own: str = ""
    others: tuple[str, ...] = ()

    def covers(self, incident_id: str) -> bool:
        if not self.own or incident_id.startswith(self.own):
            return True
        return not any(incident_id.startswith(p) for p in self.others)


EVERY_ALERT = PageScope()


class AlertStore(Protocol):
    """Where alert states live. Implementations: InMemoryAlertStore, SqliteAlertStore,
    PostgresAlertStore."""

    def get(self, alert_id: str) -> AlertState | None: ...
    def put(self, state: AlertState) -> None: ...
    def open_alerts(self, unit_id: str, equal: dict[str, str]) -> list[AlertState]:
        """Open alerts of ``unit_id`` whose facts have these values (GROUP_FIELDS names);
        ``group_key`` may be among them."""
        ...

    def due_for_escalation(self, now: datetime,
                           scope: PageScope = EVERY_ALERT) -> list[AlertState]:
        """Triggered alerts in ``scope`` whose next escalation page is due by ``now``."""
        ...

    def next_escalation_at(self, scope: PageScope = EVERY_ALERT) -> datetime | None:
        """When the earliest next escalation page of a triggered alert in ``scope`` is due
        (None: no such alert has one)."""
        ...

    def all_alerts(self) -> list[AlertState]: ...


class InMemoryAlertStore:
    """The official fake: a dict."""

    def __init__(self) -> None:
        self.states: dict[str, AlertState] = {}

    def get(self, alert_id: str) -> AlertState | None:
        return self.states.get(alert_id)

    def put(self, state: AlertState) -> None:
        self.states[state.alert_id] = state

    def open_alerts(self, unit_id: str, equal: dict[str, str]) -> list[AlertState]:
        return [
            s
            for s in self.states.values()
            if s.status.open and s.unit.unit_id == unit_id and _has(s, equal)
        ]

    def due_for_escalation(self, now: datetime,
                           scope: PageScope = EVERY_ALERT) -> list[AlertState]:
        return sorted(
            (
                s
                for s in self.states.values()
                if s.status is Status.TRIGGERED
                and s.next_escalation_at is not None
                and s.next_escalation_at <= now
                and scope.covers(s.facts.incident_id)
            ),
            key=lambda s: (s.next_escalation_at, s.alert_id),
        )

    def next_escalation_at(self, scope: PageScope = EVERY_ALERT) -> datetime | None:
        return min((s.next_escalation_at for s in self.states.values()
                    if s.status is Status.TRIGGERED and s.next_escalation_at is not None
                    and scope.covers(s.facts.incident_id)),
                   default=None)

    def all_alerts(self) -> list[AlertState]:
        return sorted(self.states.values(), key=lambda s: (s.raised_at, s.alert_id))


def _has(state: AlertState, equal: dict[str, str]) -> bool:
    return all(
        (state.group_key if name == "group_key" else state.facts.value(name)) == value
        for name, value in equal.items()
    )


class Outcome(StrEnum):
    NEW = "new"
    FOLDED = "folded"
    REPEAT = "repeat"
    INHIBITED = "inhibited"
    DUPLICATE = "duplicate"
    """The very same alert id again (a replay after a restart): nothing to do."""


@dataclass(frozen=True)
class Decision:
    outcome: Outcome
    state: AlertState
    inhibited: tuple[AlertState, ...] = ()
    """Open alerts this one closed by inhibition."""

    @property
    def notify(self) -> bool:
        return self.outcome in (Outcome.NEW, Outcome.REPEAT)


@dataclass(frozen=True)
class Page:
    """One escalation page: the alert, the step's target and channels, its level."""

    state: AlertState
    step: EscalationStep
    level: int
    """1 for the first page after the original notification."""


@dataclass
class AlertBook:
    """The lifecycle rules of the module docstring applied to the states in ``store``:
    trigger, acknowledge, resolve, and the pages due at a time."""

    policy: AlertPolicy
    store: AlertStore
    scope: PageScope = EVERY_ALERT
    """The alerts whose pages this book sends (PageScope)."""

    def trigger(self, routed: Routed, now: datetime) -> Decision:
        """Decide what a routed alert is at ``now`` and store the result.

        In order: an id already stored is a DUPLICATE (nothing changes); an open source
        of an inhibit rule makes it INHIBITED at once; an open alert of the same group
        absorbs it (FOLDED, or REPEAT once ``repeat_interval_s`` has passed since its last
        notification); otherwise it is NEW and closes the open alerts it inhibits (listed
        in the decision).
        """
        alert = routed.alert
        known = self.store.get(alert.alert_id)
        if known is not None:
            return Decision(Outcome.DUPLICATE, known)
        state = self._new_state(routed, now)
        unit = state.unit.unit_id
        source = next(
            (
                s
                for rule in self.policy.inhibit
                if rule.target.holds(state.facts)
                for s in self.store.open_alerts(unit, _equal(rule.equal, state))
                if self._inhibits(s, state)
            ),
            None,
        )
        if source is not None:
            closed = replace(
                state,
                status=Status.INHIBITED,
                resolved_at=now,
                reason=f"inhibited by {source.alert_id}",
                next_escalation_at=None,
                notifications=0,
            )
            self.store.put(closed)
            return Decision(Outcome.INHIBITED, closed)
        same = next(iter(self.store.open_alerts(unit, {"group_key": routed.group_key})), None)
        if same is not None:
            due = (now - same.last_notified_at).total_seconds() >= self.policy.repeat_interval_s
            grown = replace(
                same,
                payload=dict(alert.payload),
                folded=same.folded + (0 if due else 1),
                notifications=same.notifications + (1 if due else 0),
                last_notified_at=now if due else same.last_notified_at,
            )
            self.store.put(grown)
            return Decision(Outcome.REPEAT if due else Outcome.FOLDED, grown)
        inhibited: list[AlertState] = []
        targets = {
            s.alert_id: s
            for rule in self.policy.inhibit
            if rule.source.holds(state.facts)
            for s in self.store.open_alerts(unit, _equal(rule.equal, state))
        }
        for target in targets.values():
            if self._inhibits(state, target):
                closed = replace(
                    target,
                    status=Status.INHIBITED,
                    resolved_at=now,
                    reason=f"inhibited by {state.alert_id}",
                    next_escalation_at=None,
                )
                self.store.put(closed)
                inhibited.append(closed)
        self.store.put(state)
        return Decision(Outcome.NEW, state, tuple(inhibited))

    def acknowledge(self, alert_id: str, by: str, now: datetime, note: str = "") -> AlertState:
        state = self._existing(alert_id)
        if not state.status.open:
            raise LifecycleError(
                f"alert {alert_id} is {state.status.value}; nothing to acknowledge"
            )
        if state.status is Status.ACKNOWLEDGED:
            return state
        acked = replace(
            state,
            status=Status.ACKNOWLEDGED,
            acknowledged_by=by,
            acknowledged_at=now,
            acknowledged_note=note or None,
            next_escalation_at=None,
        )
        self.store.put(acked)
        return acked

    def resolve(self, alert_id: str, by: str, now: datetime, reason: str = "") -> AlertState:
        state = self._existing(alert_id)
        if not state.status.open:
            raise LifecycleError(f"alert {alert_id} is already {state.status.value}")
        done = replace(
            state,
            status=Status.RESOLVED,
            resolved_at=now,
            resolved_by=by,
            reason=reason or None,
            next_escalation_at=None,
        )
        self.store.put(done)
        return done

    def due_pages(self, now: datetime) -> list[Page]:
        """Escalation pages due at ``now``; the states advance (a page is never due twice).
        A long gap between calls yields every page missed, in order."""
        pages: list[Page] = []
        for state in self.store.due_for_escalation(now, self.scope):
            current = state
            while current.status is Status.TRIGGERED:
                due_at = current.next_escalation_at
                if due_at is None or due_at > now:
                    break
                chain = self.policy.escalation(current.escalation)
                step = chain.step(current.escalation_level) if chain else None
                if chain is None or step is None:
                    current = replace(current, next_escalation_at=None)
                    break
                level = current.escalation_level + 1
                following = chain.step(level)
                current = replace(
                    current,
                    escalation_level=level,
                    notifications=current.notifications + 1,
                    next_escalation_at=(
                        None if following is None else due_at + _seconds(following.after_s)
                    ),
                )
                pages.append(Page(current, step, level))
            if current is not state:
                self.store.put(current)
        return pages

    def revise(self, alert_id: str, payload: dict[str, Any], revision: int,
               now: datetime) -> AlertState | None:
        """The open alert ``alert_id`` told of its incident's ``revision`` (a new head
        count: watch/revision.py): the new payload, one more notification, and the
        revision noted (``refs["revision"]``), so a replay of the same revision after a
        restart is recognised. None: no such alert, it is closed, or it already had this
        revision. Escalation and acknowledgement are untouched: it is the same alert."""
        state = self.store.get(alert_id)
        if state is None or not state.status.open or revision <= revised(state):
            return None
        refs = {k: list(v) for k, v in state.refs.items()}
        refs["revision"] = [str(revision)]
        updated = replace(
            state,
            payload=dict(payload),
            notifications=state.notifications + 1,
            last_notified_at=now,
            refs=refs,
        )
        self.store.put(updated)
        return updated

    def remember(self, alert_id: str, channel: str, ref: str) -> None:
        """Note a message id sent for this alert (an Update or Cancel will reference it)."""
        state = self._existing(alert_id)
        refs = {k: list(v) for k, v in state.refs.items()}
        if ref not in refs.setdefault(channel, []):
            refs[channel].append(ref)
            self.store.put(replace(state, refs=refs))

    def _new_state(self, routed: Routed, now: datetime) -> AlertState:
        alert = routed.alert
        chain = self.policy.escalation(routed.escalation)
        first = chain.step(0) if chain else None
        return AlertState(
            alert_id=alert.alert_id,
            incident_id=alert.incident_id,
            group_key=routed.group_key,
            facts=routed.facts,
            unit=alert.recipient,
            audience=alert.audience,
            payload=dict(alert.payload),
            channels=routed.channels,
            escalation=routed.escalation,
            route=routed.route,
            status=Status.TRIGGERED,
            raised_at=now,
            last_notified_at=now,
            simulated=alert.simulated,
            life_at_risk=routed.life_at_risk,
            next_escalation_at=None if first is None else now + _seconds(first.after_s),
        )

    def _inhibits(self, source: AlertState, target: AlertState) -> bool:
        if source.unit.unit_id != target.unit.unit_id or not (
            source.status.open and target.status.open
        ):
            return False
        return any(
            rule.source.holds(source.facts)
            and rule.target.holds(target.facts)
            and all(source.facts.value(f) == target.facts.value(f) for f in rule.equal)
            for rule in self.policy.inhibit
        )

    def _existing(self, alert_id: str) -> AlertState:
        state = self.store.get(alert_id)
        if state is None:
            raise LifecycleError(f"no alert {alert_id!r} in this alert store")
        return state


def revised(state: AlertState) -> int:
    """The latest revision of its incident this alert told of (0: as raised)."""
    return max((int(r) for r in state.refs.get("revision", [])), default=0)


def _equal(fields: tuple[str, ...], state: AlertState) -> dict[str, str]:
    return {name: state.facts.value(name) for name in fields}


def _seconds(value: float) -> timedelta:
    return timedelta(seconds=value)


__all__ = [
    "AlertBook",
    "AlertState",
    "AlertStore",
    "Decision",
    "InMemoryAlertStore",
    "LifecycleError",
    "Outcome",
    "Page",
    "Routed",
    "Status",
    "revised",
]
