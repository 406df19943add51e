"""The live feed's messages (Server-Sent Events): each event in each subscriber's view,
made as few times as the rules allow.

A ``tracks`` event is the heavy one (docs/performance.md). Its features hold no personal
field (live.TRACK_FIELDS, checked by a test), so every role but the partner's receives the
same bytes, made once by the publisher (:func:`shared_tracks_message`) and passed on
unread. A partner's view goes through the sharing gate, so it is made for each partner
subscriber (:func:`partner_message`), with one disclosure entry per event.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import orjson

from borderwatch.alerts.gate import collected_disclosures, disclosure_of_event
from borderwatch.app.http.views import Viewer
from borderwatch.domain.access import Principal

Event = dict[str, Any]
_SHARED = "shared"


@dataclass(slots=True)
class Delivery:
    """One event as the feed's subscribers receive it: the same object for all (hub.Hub
    keeps it by bus sequence), so what is made of it for one role can be reused for the
    next subscriber of that role."""

    event: Event
    views: dict[str, bytes | None] = field(default_factory=dict)
    size: int = 0
    """Its bytes on the bus: what it costs a connection's buffer (hub.FeedReader)."""
    partner_views: dict[str, tuple[bytes | None, list[dict[str, Any]]]] = field(
        default_factory=dict)
    """A partner agency's message and its disclosure entries (:func:`partner_message`)."""


def sse(event: Event) -> bytes:
    """One Server-Sent Events message, named by the event's type."""
    kind: str = event["type"]
    return b"event: " + kind.encode() + b"\ndata: " + orjson.dumps(event) + b"\n\n"


def shared_tracks_message(event: Event) -> bytes:
    """A ``tracks`` event (live.ThreadTracker) as every role but the partner's receives it."""
    return sse(Viewer.shared_tracks(event))


def tracks_from_message(message: bytes) -> Event:
    """The ``tracks`` event back from its shared message (for a partner's view)."""
    seen = orjson.loads(message[message.index(b"\ndata: ") + 7:])
    return {"type": "tracks", "tracks": seen["features"], "ended": seen["ended"],
            "data_time": seen["data_time"], "simulated": seen["simulated"]}


def message_for(viewer: Viewer, who: Principal, delivery: Delivery) -> bytes | None:
    """The message ``who`` receives for ``delivery`` (None: nothing for them). What is
    made for a role is kept on the delivery for the next subscriber of that role."""
    event = delivery.event
    # Outside the deployment's agency (a partner key, or any key of another agency) each
    # view goes through the sharing gate, per subscriber (views.Viewer.restricted).
    partner = viewer.restricted(who)
    if event["type"] == "tracks":
        if not partner:
            made = delivery.views.get(_SHARED)
            if made is None:
                made = event.get("message") or shared_tracks_message(event)
                delivery.views[_SHARED] = made
            return made
        if "message" in event:  # the shared message: read back for this partner only
            event = tracks_from_message(event["message"])
    if not partner and who.role.value in delivery.views:
        return delivery.views[who.role.value]
    seen = viewer.event(who, event)
    made = None if seen is None else sse(seen)
    if not partner:
        delivery.views[who.role.value] = made
    return made


def partner_message(viewer: Viewer, who: Principal,
                    delivery: Delivery) -> tuple[bytes | None, list[dict[str, Any]]]:
    """A partner's message for ``delivery`` and the disclosure entries it needs first:
    the gate's entries for each record released (a track, an incident), collected and
    written as one entry per event and recipient (gate.disclosure_of_event). What the
    gate releases depends on the recipient agency only, so it is made once per agency
    and event. Safe in a worker thread (two threads may make the same view twice)."""
    key = f"{who.role.value}:{who.agency}"
    kept = delivery.partner_views.get(key)
    if kept is not None:
        return kept
    with collected_disclosures() as entries:
        made = message_for(viewer, who, delivery)
    kept = (made, [] if made is None or not entries else disclosure_of_event(
        entries, event=str(delivery.event["type"]), channel="feed"))
    delivery.partner_views[key] = kept
    return kept
