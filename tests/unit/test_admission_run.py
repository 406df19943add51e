"""Admission for recorded files (issue 17): `borderwatch run` takes data-time files, so no
wall-clock check applies; but one report dated far ahead of the rest of the file must not
make the rest "late" and hide a crossing."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from borderwatch.app.batch import run_file
from borderwatch.domain import Detection, InputError
from borderwatch.sources.time_guard import AheadGuard

START = datetime(2025, 2, 3, 12, 30, tzinfo=UTC)


def _crossing_lines() -> list[str]:
    """A group of six walking north across the line near Coutts, once a second."""
    lines = []
    for t in range(900):
        north = -500 + 1.0 * t
        lat = 49.0 + north / 111_200.0
        lon = -111.9 + 3.0 * math.sin(t) / (111_200.0 * math.cos(math.radians(49)))
        stamp = (START + timedelta(seconds=t)).strftime("%Y-%m-%dT%H:%M:%SZ")
        lines.append(json.dumps({"time": stamp, "sensor_id": "cam-ab", "lat": lat, "lon": lon,
                                 "sigma_m": 6, "kind": "person", "count": 6}))
    return lines


def test_one_report_a_year_ahead_does_not_hide_the_crossing(tmp_path: Path) -> None:
    lines = _crossing_lines()
    ahead = json.loads(lines[50])
    lines.insert(50, json.dumps({**ahead, "time": "2026-02-03T12:30:50Z", "id": "bad-clock"}))
    lines.insert(60, json.dumps({**ahead, "time": "2999-01-01T00:00:00Z"}))
    detections = tmp_path / "d.jsonl"
    detections.write_text("\n".join(lines))
    report = run_file(detections, tmp_path / "i.jsonl")
    assert report.crossings == 1
    assert report.late == 0
    assert (report.accepted, report.rejected) == (900, 2)
    reasons = sorted(str(e) for e in report.errors)
    assert "field time: must be within the years 1970-2099" in reasons[0]
    assert "line 61" in reasons[0]
    assert "'bad-clock'" in reasons[1] and "ahead of the reports that follow" in reasons[1]


def test_strict_stops_at_a_report_dated_ahead(tmp_path: Path) -> None:
    lines = _crossing_lines()[:40]
    lines.insert(5, json.dumps({**json.loads(lines[5]), "time": "2026-02-03T12:30:05Z"}))
    detections = tmp_path / "d.jsonl"
    detections.write_text("\n".join(lines))
    with pytest.raises(InputError, match="ahead of the reports that follow"):
        run_file(detections, tmp_path / "i.jsonl", strict=True)


def _det(epoch_s: float) -> Detection:
    return Detection(time=datetime.fromtimestamp(epoch_s, UTC), epoch_s=epoch_s,
                     sensor_id="s", lat=49.0, lon=-111.9)


def _times(guard: AheadGuard, times: list[float]) -> list[float]:
    return [d.epoch_s for d in guard.filter([_det(t) for t in times])]


def test_the_guard_refuses_spikes_and_keeps_real_jumps() -> None:
    steady = [float(t) for t in range(100)]
    spiked = steady[:10] + [1e6] * 8 + steady[10:]  # a run of eight: half the lookahead
    guard = AheadGuard(max_ahead_s=60)
    assert _times(guard, spiked) == steady
    assert len(guard.refused) == 8
    # The next night in the same file: the reports after the jump agree with it.
    two_nights = steady + [86_400.0 + t for t in range(100)]
    assert _times(AheadGuard(max_ahead_s=60), two_nights) == two_nights
    # Reports behind (late) are the reorder window's business, not refused here.
    behind = [*steady[:50], 0.0, *steady[50:]]
    assert _times(AheadGuard(max_ahead_s=60), behind) == behind
    # The last report has nothing after it to blind: kept; a short file is kept whole.
    assert _times(AheadGuard(max_ahead_s=60), [*steady, 1e6]) == [*steady, 1e6]
    assert _times(AheadGuard(max_ahead_s=60), [5.0, 1e6, 6.0]) == [5.0, 6.0]
    # Within the threshold: kept (a minute ahead, the reorder window decides).
    near = [*steady[:10], 70.0, *steady[10:]]
    assert _times(AheadGuard(max_ahead_s=60), near) == near
