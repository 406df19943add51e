"""JSONL source: bad lines are located and skipped; reorder buffer: order, late, duplicates."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.conftest import detection

from borderwatch.adapters.sources.jsonl import JsonlDetectionSource
from borderwatch.domain import Detection, InputError
from borderwatch.sources import ReorderBuffer

LINES = [
    '{"time":"2025-02-03T13:00:00Z","sensor_id":"a","lat":48.99,"lon":-111.9}',
    "not json",
    "",
    '{"time":"2025-02-03T13:00:01Z","sensor_id":"a","lat":48.99}',
    '{"time":"2025-02-03T13:00:02Z","sensor_id":"a","lat":48.99,"lon":-111.9,"count":0}',
    '{"time":"2025-02-03T13:00:03Z","sensor_id":"a","lat":48.99,"lon":-111.9}',
]


def _write(tmp_path: Path) -> Path:
    path = tmp_path / "d.jsonl"
    path.write_text("\n".join(LINES) + "\n")
    return path


def test_bad_lines_are_reported_with_line_field_and_reason(tmp_path: Path) -> None:
    source = JsonlDetectionSource(_write(tmp_path))
    accepted = list(source)
    assert len(accepted) == 2
    assert source.report.rejected == 3
    located = [(e.line, e.field) for e in source.report.errors]
    assert located == [(2, None), (4, "lon"), (5, "count")]
    assert "line 5: field count: must be an integer >= 1" in str(source.report.errors[2])


def test_strict_stops_at_the_first_bad_line(tmp_path: Path) -> None:
    with pytest.raises(InputError) as err:
        list(JsonlDetectionSource(_write(tmp_path), strict=True))
    assert err.value.line == 2


def test_reorder_releases_in_time_order_after_the_window() -> None:
    buffer = ReorderBuffer(window_s=5)
    out = []
    for t in (0, 3, 1, 6, 2, 12):
        out += buffer.push(detection(t, 0, 0))
    out += buffer.flush()
    times = [d.epoch_s for d in out]
    assert times == sorted(times)
    assert len(out) == 6


def test_reports_later_than_the_window_are_counted_not_merged() -> None:
    buffer = ReorderBuffer(window_s=5)
    released = buffer.push(detection(0, 0, 0)) + buffer.push(detection(10, 0, 0))
    assert len(released) == 1
    assert buffer.push(detection(-1, 0, 0)) == []
    assert buffer.report.late == 1
    assert len(list(buffer.flush())) == 1


def test_repeated_ids_are_ignored() -> None:
    buffer = ReorderBuffer(window_s=0)
    first = detection(0, 0, 0)._replace(id="x")
    assert buffer.push(first) == [first]
    assert buffer.push(detection(1, 0, 0)._replace(id="x")) == []
    assert buffer.report.duplicates == 1


@settings(max_examples=150, deadline=None)
@given(
    times=st.lists(st.integers(0, 30), min_size=1, max_size=40),
    ids=st.lists(st.sampled_from(["a", "b", "c", None]), min_size=40, max_size=40),
    cuts=st.lists(st.integers(1, 40), max_size=5),
    window=st.sampled_from([0.0, 2.0, 5.0]),
)
def test_push_many_decides_as_push_does_however_the_stream_is_cut(
    times: list[int], ids: list[str | None], cuts: list[int], window: float
) -> None:
    dets = [detection(t, n, 0)._replace(id=ids[n] and f"{ids[n]}{t % 3}")
            for n, t in enumerate(times)]
    one = ReorderBuffer(window_s=window)
    runs = ReorderBuffer(window_s=window)
    expected = [d for det in dets for d in one.push(det)]
    got: list[Detection] = []
    bounds = [0, *sorted(c for c in cuts if c < len(dets)), len(dets)]
    for start, end in itertools.pairwise(bounds):
        got += runs.push_many(dets[start:end])
    assert got == expected  # the same reports released by the end of the last run
    assert list(runs.flush()) == list(one.flush())
    assert (runs.report.late, runs.report.duplicates) == (one.report.late, one.report.duplicates)
