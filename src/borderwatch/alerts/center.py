"""The alert centre: the alert stage composed (policy routing -> lifecycle -> sharing gate
-> channels -> durable outbox -> dispatcher).

It plays the pipeline's router (``route(incident) -> alerts``), so ``pipeline/`` stays the
one place where the stages are composed. For each routed alert the lifecycle decides (new,
folded into its group, repeat, inhibited); a notification is cleared by the sharing gate
once per channel, formatted by that channel, and either shown at once (console, JSONL) or
stored in the outbox before any network send (CoT, CAP, webhook).

Each CAP/CoT/webhook message has a dedup key ``<alert>:<event>:<channel>:<destination>``:
the same notification replayed after a crash is the same key, which the outbox ignores and
a webhook receiver absorbs.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from borderwatch.alerts import cap, cot
from borderwatch.alerts.base import AlertSink
from borderwatch.alerts.gate import Release, SharingGate
from borderwatch.alerts.lifecycle import AlertBook, AlertState, Outcome, Page, revised
from borderwatch.alerts.mqtt import mqtt_messages
from borderwatch.alerts.outbox import Drain, Message, Outbox
from borderwatch.alerts.routing import PolicyRouter
from borderwatch.alerts.webhook import CONTENT_TYPE, webhook_body
from borderwatch.domain import AgencyUnit, Alert, Audience, BorderwatchError, Incident

EventListener = Callable[["AlertEvent"], None]


@dataclass(frozen=True)
class AlertEvent:
    """Something that happened to an alert, for operators' screens and the demo."""

    kind: str
    """``notified``, ``folded``, ``repeat``, ``revised``, ``inhibited``, ``escalated``,
    ``acknowledged``, ``resolved``, ``channel_error``."""
    state: AlertState
    at: datetime
    text: str


@dataclass
class Channels:
    """What this deployment has for each channel name a policy may use."""

    console: AlertSink | None = None
    jsonl: AlertSink | None = None
    cot: tuple[str, ...] = ()
    """CoT destinations: ``served`` (the served stream), ``tcp://host:port``, ``tls://...``."""
    cap: tuple[str, ...] = ()
    """CAP destinations: folders (one file per message) or ``http(s)://`` URLs."""
    webhook: tuple[str, ...] = ()
    mqtt: tuple[str, ...] = ()
    """MQTT brokers (``mqtt://host:port``) to publish to, on ``borderwatch/incidents/<segment>``
    (alerts/mqtt.py)."""
    cap_sender: str = "borderwatch"
    """CAP ``sender``: no spaces or commas (CAP 1.2 section 3.2.1)."""


RECHECK = timedelta(seconds=30)
"""The longest stretch of data time a tick goes without reading the store (see tick)."""


@dataclass
class AlertCenter:
    """The alert stage composed (see the module docstring): ``route`` for new incidents,
    ``tick`` for repeats and escalation pages that fall due, ``acknowledge`` and
    ``resolve`` for the operators. Each call's state changes, messages and disclosures
    are committed in one outbox transaction, then the dispatcher is woken."""

    router: PolicyRouter
    book: AlertBook
    gate: SharingGate
    outbox: Outbox
    channels: Channels = field(default_factory=Channels)
    dispatcher: Drain | None = None
    listeners: Sequence[EventListener] = ()

    def __post_init__(self) -> None:
        self.problems: list[str] = []
        self._quiet: tuple[datetime, datetime] | None = None
        """(asked at, nothing due before): what the last tick read of the store; None
        once this centre has changed an alert since (see tick)."""

    # -- the pipeline's router contract -----------------------------------------------

    def route(self, incident: Incident) -> list[Alert]:
        """Route, decide and notify; return the alerts that were notified. The new states,
        their messages and their disclosures are committed together."""
        with self.outbox.transaction():
            notified = self._route(incident)
        self._quiet = None
        self._wake()
        return notified

    def _route(self, incident: Incident) -> list[Alert]:
        if incident.revision:
            return self._revise(incident)
        notified = []
        now = incident.detected_at
        for routed in self.router.route(incident):
            decision = self.book.trigger(routed, now)
            state = decision.state
            for closed in decision.inhibited:
                self._emit("inhibited", closed, now, f"{closed.alert_id} {closed.reason}")
                self._close_elsewhere(closed, state, now)
            if decision.outcome is Outcome.NEW:
                superseded = [r for c in decision.inhibited for r in c.refs.get("cap", [])]
                self._notify(state, routed.alert, state.channels, "trigger", now, superseded)
                self._emit("notified", state, now, f"{state.alert_id} -> {state.unit.name}")
                notified.append(routed.alert)
            elif decision.outcome is Outcome.REPEAT:
                event = f"repeat-{state.notifications}"
                self._notify(
                    state, routed.alert, state.channels, event, now, state.refs.get("cap", [])
                )
                self._emit("repeat", state, now, f"{state.alert_id} re-notified")
                notified.append(routed.alert)
            elif decision.outcome is Outcome.FOLDED:
                self._emit("folded", state, now, f"folded into {state.alert_id}")
            elif decision.outcome is Outcome.INHIBITED:
                self._emit("inhibited", state, now, f"{state.alert_id} {state.reason}")
            elif decision.outcome is Outcome.DUPLICATE and state.status.open:
                # A replay after a crash: the state may have been stored just before the
                # process died and its messages not. Enqueue them again; the outbox ignores
                # the dedup keys it already holds, so nothing is sent twice from here.
                durable = tuple(c for c in state.channels
                                if c in ("cot", "cap", "webhook", "mqtt"))
                self._notify(state, routed.alert, durable, "trigger", now, [])
        return notified

    def _revise(self, incident: Incident) -> list[Alert]:
        """A revision of a raised incident (its head count firmed up: watch/revision.py)
        is an update of each open alert the incident raised, never a new alert: CAP
        ``Update`` referencing the alert's CAP messages, CoT with the alert's uid (the map
        redraws it), webhook event ``revised-<n>`` with its own dedup key; each through
        the sharing gate as the alert was, on the channels it went on. An incident routed
        nowhere, or whose alert is closed, sends nothing."""
        updated = []
        now = incident.revised_at or incident.detected_at
        event = f"revised-{incident.revision}"
        for routed in self.router.route(incident):
            state = self.book.revise(
                routed.alert.alert_id, routed.alert.payload, incident.revision, now
            )
            if state is None:
                known = self.book.store.get(routed.alert.alert_id)
                if known is not None and known.status.open and revised(known) >= (
                    incident.revision
                ):
                    # A replay after a crash: enqueue again what may not have been stored;
                    # the outbox ignores the dedup keys it already holds.
                    durable = tuple(c for c in known.channels
                                    if c in ("cot", "cap", "webhook", "mqtt"))
                    refs = [r for r in known.refs.get("cap", []) if event not in r]
                    self._notify(known, routed.alert, durable, event, now, refs)
                continue
            self._notify(state, routed.alert, state.channels, event, now,
                         state.refs.get("cap", []))
            self._emit("revised", state, now,
                       f"{state.alert_id} revised ({event}): group of {incident.group_size}")
            updated.append(routed.alert)
        return updated

    # -- time and operators -----------------------------------------------------------

    def tick(self, now: datetime) -> list[Page]:
        """Send the escalation pages due at ``now`` (data time in a replay)."""
        # Read first, write only when a page is due: the runtimes tick at every scan's
        # data time, and an empty write transaction still takes the store's write lock
        # and waits for the ingest side (docs/performance.md). The transaction reads
        # again. The read is skipped until the earliest page it found is due: a read per
        # scan was a database round trip per data second per segment on the cluster's
        # live-feed path (bench/README.md, "scale.py"). Whatever this centre changes
        # makes it read again at the next tick, so its own pages fall at the same scan as
        # before; another process's new alert (a shared store) is seen within RECHECK of
        # data time, and its own centre pages it on time.
        if self._quiet is not None:
            asked, quiet_until = self._quiet
            if asked <= now < quiet_until and now - asked < RECHECK:
                return []
        earliest = self.book.store.next_escalation_at(self.book.scope)
        if earliest is None or earliest > now:
            self._quiet = (now, earliest if earliest is not None else datetime.max.replace(
                tzinfo=now.tzinfo))
            return []
        self._quiet = None
        with self.outbox.transaction():
            pages = self._pages(now)
        if pages:
            self._wake()
        return pages

    def _pages(self, now: datetime) -> list[Page]:
        pages = self.book.due_pages(now)
        for page in pages:
            unit = self._page_unit(page)
            alert = self._page_alert(page.state, unit, now)
            self._notify(page.state, alert, page.step.channels, f"page-{page.level}", now, [])
            self._emit(
                "escalated",
                page.state,
                now,
                f"{page.state.alert_id} not acknowledged: paging {unit.name} (step {page.level})",
            )
        return pages

    def acknowledge(self, alert_id: str, by: str, now: datetime, note: str = "") -> AlertState:
        with self.outbox.transaction():
            state = self.book.acknowledge(alert_id, by, now, note)
            self._lifecycle_webhook(state, "acknowledge", now)
        self._quiet = None
        self._emit("acknowledged", state, now, f"{alert_id} acknowledged by {by}")
        self._wake()
        return state

    def resolve(self, alert_id: str, by: str, now: datetime, reason: str = "") -> AlertState:
        with self.outbox.transaction():
            state = self.book.resolve(alert_id, by, now, reason)
            self._cancel(state, now, reason or f"resolved by {by}")
        self._quiet = None
        self._emit("resolved", state, now, f"{alert_id} resolved by {by}")
        self._wake()
        return state

    # -- channels ---------------------------------------------------------------------

    def _notify(
        self,
        state: AlertState,
        alert: Alert,
        channels: Sequence[str],
        event: str,
        now: datetime,
        references: Sequence[str],
    ) -> None:
        messages: list[Message] = []
        for channel in channels:
            if not self.configured(channel):
                continue  # this deployment has no such channel: nothing is disclosed on it
            release = self.gate.release(alert, channel)
            try:
                messages += self._render(state, release, event, now, references)
            except BorderwatchError as err:
                # One channel that cannot carry this alert must not cost the others.
                self.problems.append(str(err))
                self._emit("channel_error", state, now, f"{channel}: {err}")
        if messages:
            self.outbox.enqueue(messages)

    def configured(self, channel: str) -> bool:
        c = self.channels
        return {
            "console": c.console is not None,
            "jsonl": c.jsonl is not None,
            "cot": bool(c.cot),
            "cap": bool(c.cap),
            "webhook": bool(c.webhook),
            "mqtt": bool(c.mqtt),
        }.get(channel, True)

    def _render(
        self,
        state: AlertState,
        release: Release,
        event: str,
        now: datetime,
        references: Sequence[str],
    ) -> list[Message]:
        alert, channel = release.alert, release.channel
        if channel in ("console", "jsonl"):
            sink = self.channels.console if channel == "console" else self.channels.jsonl
            if sink is not None:
                sink.deliver(alert)
            return []
        if channel == "cot":
            body = cot.alert_event(release, headline=headline(alert))
            return self._messages(alert, event, "cot", self.channels.cot, body, "application/xml")
        if channel == "cap":
            msg_type = "Update" if references else "Alert"
            message = cap.alert_message(
                release,
                sender=self.channels.cap_sender,
                headline=headline(alert),
                life_at_risk=state.life_at_risk,
                msg_type=msg_type,
                references=references,
                serial=state.notifications if event != "trigger" else 0,
            )
            message = replace(message, identifier=_cap_identifier(alert, event))
            if self.channels.cap:
                self.book.remember(state.alert_id, "cap", message.reference)
            return self._messages(
                alert, event, "cap", self.channels.cap, message.to_xml(), "application/cap+xml"
            )
        if channel == "webhook":
            return _webhook_messages(release, event, self.channels.webhook)
        if channel == "mqtt":
            return mqtt_messages(release, event, self.channels.mqtt,
                                 dedup_key(alert, event, "mqtt", "broker"))
        raise BorderwatchError(f"unknown channel {channel!r}")

    def _messages(
        self,
        alert: Alert,
        event: str,
        channel: str,
        destinations: Sequence[str],
        body: bytes,
        content_type: str,
    ) -> list[Message]:
        return [
            Message(
                dedup_key=dedup_key(alert, event, channel, destination),
                alert_id=alert.alert_id,
                channel=channel,
                destination=destination,
                content_type=content_type,
                body=body,
            )
            for destination in destinations
        ]

    def _cancel(
        self, state: AlertState, now: datetime, reason: str, only: frozenset[str] | None = None
    ) -> None:
        """Withdraw an alert where it was sent: CAP Cancel referencing every CAP message of
        it, a CoT cancel with its uid, a webhook ``resolve`` event; to the destinations
        its messages actually went to (so this also works from the command line)."""
        sent_to = self._sent_to(state.alert_id)
        alert = replace(state.alert(), created_at=now)
        messages: list[Message] = []
        for channel, destinations in sent_to.items():
            if only is not None and channel not in only:
                continue
            release = self.gate.release(alert, channel)
            try:
                if channel == "cap" and state.refs.get("cap"):
                    sender = state.refs["cap"][0].split(",")[0]
                    body = cap.cancel_message(
                        release, sender=sender, references=state.refs["cap"], reason=reason, now=now
                    ).to_xml()
                    messages += self._messages(
                        alert, "cancel", channel, destinations, body, "application/cap+xml"
                    )
                elif channel == "cot":
                    body = cot.cancel_event(release, reason=reason)
                    messages += self._messages(
                        alert, "cancel", channel, destinations, body, "application/xml"
                    )
                elif channel == "webhook":
                    messages += _webhook_messages(
                        release, "resolve", destinations, extra={"reason": reason}
                    )
            except BorderwatchError as err:
                self.problems.append(str(err))
        if messages:
            self.outbox.enqueue(messages)

    def _close_elsewhere(self, closed: AlertState, by: AlertState, now: datetime) -> None:
        """An inhibited alert is superseded on CAP by the new alert's Update when that one
        goes over CAP too; otherwise it is cancelled. Webhooks hear ``inhibited``."""
        if "cap" not in by.channels:
            self._cancel(closed, now, f"superseded by {by.alert_id}", only=frozenset({"cap"}))
        self._lifecycle_webhook(closed, "inhibited", now)

    def _lifecycle_webhook(self, state: AlertState, event: str, now: datetime) -> None:
        urls = sorted(self._sent_to(state.alert_id).get("webhook", []))
        if not urls:
            return
        alert = replace(state.alert(), created_at=now)
        release = self.gate.release(alert, "webhook")
        extra = {"acknowledged_by": state.acknowledged_by, "reason": state.reason}
        self.outbox.enqueue(_webhook_messages(release, event, urls, extra=extra))

    def _sent_to(self, alert_id: str) -> dict[str, list[str]]:
        """The destinations this alert's messages went to, by channel, in first-sent order."""
        sent_to: dict[str, list[str]] = {}
        for stored in self.outbox.for_alert(alert_id):
            targets = sent_to.setdefault(stored.message.channel, [])
            if stored.message.destination not in targets:
                targets.append(stored.message.destination)
        return sent_to

    def _page_unit(self, page: Page) -> AgencyUnit:
        name = page.step.to
        if name in ("responsible", "partner"):
            return page.state.unit
        return self.router.units[name]

    def _page_alert(self, state: AlertState, unit: AgencyUnit, now: datetime) -> Alert:
        same_side = unit.country == state.unit.country and state.audience is Audience.RESPONSIBLE
        payload = (
            dict(state.payload)
            if same_side
            else self.router.sharing.filter(unit.agency, state.payload)
        )
        return replace(
            state.alert(),
            recipient=unit,
            audience=Audience.RESPONSIBLE if same_side else Audience.PARTNER,
            created_at=now,
            payload=payload,
        )

    def _emit(self, kind: str, state: AlertState, at: datetime, text: str) -> None:
        for listener in self.listeners:
            listener(AlertEvent(kind, state, at, text))

    def _wake(self) -> None:
        if self.dispatcher is not None:
            self.dispatcher.wake()


def dedup_key(alert: Alert, event: str, channel: str, destination: str) -> str:
    return f"{alert.alert_id}:{alert.recipient.unit_id}:{event}:{channel}:{destination}"


def _webhook_messages(
    release: Release, event: str, urls: Iterable[str], extra: dict[str, Any] | None = None
) -> list[Message]:
    """One webhook message per URL; its dedup key is also in the signed body, so a
    receiver can de-duplicate on either."""
    alert = release.alert
    messages = []
    for url in urls:
        key = dedup_key(alert, event, "webhook", url)
        body = webhook_body(release, event=event, dedup_key=key, extra=extra)
        messages.append(Message(key, alert.alert_id, "webhook", url, CONTENT_TYPE, body))
    return messages


def _cap_identifier(alert: Alert, event: str) -> str:
    return f"{alert.alert_id}-{alert.recipient.unit_id}-{event}"


def head_count_text(size: object, size_range: object) -> str:
    """"9" or "9 (8-10)": the range beside the count when there is one and it is wider
    than the count (an operator sends a team for the top of it)."""
    if (isinstance(size_range, list | tuple) and len(size_range) == 2
            and tuple(size_range) != (size, size)):
        return f"{size} ({size_range[0]}-{size_range[1]})"
    return str(size)


def headline(alert: Alert) -> str:
    """One line from what this recipient may see (never more)."""
    p = alert.payload
    parts = [str(p.get("type", "incident")).upper()]
    if p.get("direction"):
        parts.append(str(p["direction"]))
    if "group_size" in p:
        parts.append(f"group of {head_count_text(p['group_size'], p.get('group_size_range'))}")
    if "lat" in p and "lon" in p:
        parts.append(f"at {float(p['lat']):.5f}, {float(p['lon']):.5f}")
    if p.get("severity"):
        parts.append(f"severity {p['severity']}")
    return " ".join(parts)
