"""How times are shown to people: local time where it happened, and UTC beside it."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo


def clock(time: datetime, zone: ZoneInfo) -> str:
    """``06:16:20 MST │ 13:16:20Z``: local first (what the team on the ground uses), then UTC
    (what every record stores)."""
    local = time.astimezone(zone)
    return f"{local:%H:%M:%S} {local.tzname()} │ {time.astimezone(UTC):%H:%M:%S}Z"
