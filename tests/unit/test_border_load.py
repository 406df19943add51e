"""The synthetic border load (sim/border_load.py): one pipeline over the whole line raises
exactly one crossing per group, in the segment the truth names (groups walking along the
line across a cut included); the same seed gives the same load; the wires are the wire
format; groups are shared out evenly; bad arguments name their field."""

from __future__ import annotations

from collections import Counter
from functools import cache

import numpy as np
import pytest

from borderwatch.adapters.sources.detection_wire import detection_to_wire, parse_detection
from borderwatch.domain import IncidentType, InputError
from borderwatch.geo import Boundary
from borderwatch.geo.measure import great_circle_m
from borderwatch.geo.segments import Segments
from borderwatch.pipeline import build_pipeline
from borderwatch.sim.border_load import BorderLoad, border_load

SMALL = {"groups": 12, "duration_s": 1000, "clutter_per_s": 2.0}


@cache
def small(seed: int = 3) -> BorderLoad:
    return border_load(seed, **SMALL)  # type: ignore[arg-type]


def test_one_pipeline_raises_one_crossing_per_group_in_the_segment_the_truth_names() -> None:
    load = small()
    assert len(load.crossings) == 12 + 2 * 2  # two cuts between spw, hvm and gfn
    assert sum(c.along_line for c in load.crossings) == 4
    pipeline = build_pipeline(Boundary.bundled(), route=False)
    incidents = pipeline.feed_all(parse_detection(w) for w in load.wires)
    crossings = [i for i in incidents if i.type == IncidentType.CROSSING]
    segments = Segments.bundled()
    claimed: set[str] = set()
    for truth in load.crossings:
        found = [i for i in crossings
                 if abs((i.time - truth.time).total_seconds()) < 60
                 and great_circle_m(i.lat, i.lon, truth.lat, truth.lon) < 150]
        assert len(found) == 1, (truth, found)
        incident = found[0]
        assert incident.group_size == truth.group_size, truth
        assert incident.direction is not None and incident.direction.value == truth.direction
        assert segments.owner(incident.lat, incident.lon).code == truth.segment, truth
        claimed.add(incident.incident_id)
    assert len(claimed) == len(crossings), "a crossing incident no group made"


def test_the_same_seed_gives_the_same_load_and_another_seed_another() -> None:
    again = border_load(3, **SMALL)  # type: ignore[arg-type]
    assert again.wires == small().wires
    assert again.crossings == small().crossings
    other = border_load(4, **SMALL)  # type: ignore[arg-type]
    assert other.crossings != small().crossings


def test_the_wires_are_the_wire_format_in_time_order_with_unique_ids() -> None:
    load = small()
    for wire in load.wires:
        assert detection_to_wire(parse_detection(wire)) == wire
    assert all(w["simulated"] is True for w in load.wires)
    assert len({w["id"] for w in load.wires}) == len(load.wires)
    assert np.all(np.diff(load.seconds) >= 0)
    times = [parse_detection(w).epoch_s - load.start.timestamp() for w in load.wires]
    assert times == load.seconds.tolist()
    assert load.clutter == int(np.count_nonzero(load.origin < 0)) > 0
    assert {w["kind"] for w, o in zip(load.wires, load.origin, strict=True) if o < 0} == {
        "animal", "unknown"}


def test_groups_are_shared_out_evenly_and_stay_in_their_segments() -> None:
    load = border_load(5, groups=300, segments=("blw", "spw", "hvm", "gfn"), duration_s=1000,
                       clutter_per_s=1.0, near_cut=0)
    assert Counter(c.segment for c in load.crossings) == {"blw": 75, "spw": 75, "hvm": 75,
                                                          "gfn": 75}
    segments = Segments.bundled()
    lats = np.array([w["lat"] for w in load.wires])
    lons = np.array([w["lon"] for w in load.wires])
    covering = segments.covering_mask(lats, lons)
    assert covering.sum(axis=1).max() == 1, "nothing in an overlap without groups at a cut"
    owners = {segments.segments[i].code for i in segments.owners(lats, lons).tolist()}
    assert owners == {"blw", "spw", "hvm", "gfn"}


@pytest.mark.parametrize(("arguments", "field"), [
    ({"segments": ("hvm", "xyz")}, "segments"),
    ({"segments": ("dtm",)}, "segments"),
    ({"segments": ("hvm", "hvm")}, "segments"),
    ({"segments": ()}, "segments"),
    ({"duration_s": 600}, "duration_s"),
    ({"groups": -1}, "groups"),
    ({"clutter_per_s": -1.0}, "clutter_per_s"),
    ({"detection_probability": 0.0}, "detection_probability"),
    ({"approach_m": (400.0, 100.0)}, "approach_m"),
])
def test_bad_arguments_name_their_field(arguments: dict[str, object], field: str) -> None:
    settings: dict[str, object] = {**SMALL, **arguments}
    with pytest.raises(InputError) as caught:
        border_load(1, **settings)  # type: ignore[arg-type]
    assert caught.value.field == field
