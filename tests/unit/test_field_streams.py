"""The field streams (the held-out generator): seeded, simulated, and holding what the
crossing suite lacks (both directions, pairs to groups of 12, several sensors, gaps)."""

from __future__ import annotations

import pytest

from borderwatch.sim.evaluation.crossing_splits import measure_split
from borderwatch.sim.field_streams import (
    HELD_OUT_SEEDS,
    SITES,
    TUNING_SEEDS,
    FieldStreamSpec,
    generate_field_stream,
)


def test_the_splits_do_not_share_a_seed() -> None:
    assert not set(TUNING_SEEDS) & set(HELD_OUT_SEEDS)


def test_a_stream_is_seeded_simulated_and_varied() -> None:
    a = generate_field_stream(FieldStreamSpec(seed=TUNING_SEEDS[0], hours=0.5))
    b = generate_field_stream(FieldStreamSpec(seed=TUNING_SEEDS[0], hours=0.5))
    assert a.detections == b.detections and a.crossings == b.crossings
    assert a.site in SITES
    assert all(d.simulated for d in a.detections)
    assert [d.epoch_s for d in a.detections] == sorted(d.epoch_s for d in a.detections)
    assert {d.sensor_id for d in a.detections} == {s.name for s in a.sensors}
    assert len({round(s.noise_m) for s in a.sensors}) == 3
    assert all(5.0 <= s.noise_m <= 30.0 for s in a.sensors)
    assert {c.direction for c in a.crossings} == {"northbound", "southbound"}
    assert all(2 <= (c.group_size or 0) <= 12 for c in a.crossings)
    # Some groups are first reported again well after their crossing (terrain gaps).
    late = [
        a.seen_after[c.entity_id] - c.time.timestamp()
        for c in a.crossings
        if c.entity_id in a.seen_after
    ]
    assert max(late) >= 20.0


def test_an_unknown_split_or_generator_is_refused_by_name() -> None:
    refused = r"split must be one of \['diagnostic', 'held-out', 'tuning'\], got 'test'"
    with pytest.raises(ValueError, match=refused):
        measure_split("field", "test")
    with pytest.raises(ValueError, match="generator must be suite or field, got 'fields'"):
        measure_split("fields", "tuning")
