"""The detector on rendered frames and on hand-made arrays."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from borderwatch.adapters.sources.thermal.background import TemporalBackground
from borderwatch.adapters.sources.thermal.candidates import extract, head_peaks
from borderwatch.adapters.sources.thermal.classifier import Classifier, load_classifier
from borderwatch.adapters.sources.thermal.detector import Found, Measured, group_people
from borderwatch.adapters.sources.thermal.scoring import covers, separable_groups
from borderwatch.sim.lwir.scenes import SceneSpec, build
from borderwatch.sim.lwir.training import detector_for, truth_objects

CLASSIFIER = load_classifier()


def _run(spec: SceneSpec) -> list[tuple[list[Found], list]]:  # type: ignore[type-arg]
    scene = build(spec)
    detector = detector_for(scene, CLASSIFIER)
    return [
        (detector.detect(frame, scene.reported_poses[i]), truth_objects(truth))
        for i, frame, truth in scene.frames()
    ]


def test_a_line_of_people_walking_across_is_counted_not_one_blob() -> None:
    spec = SceneSpec(
        seed=501,
        range_m=250.0,
        group_size=5,
        children=2,
        heading_deg=90.0,
        formation="file",
        animals=(),
        focal_mm=50.0,
        frames=6,
    )
    counted = 0
    for found, truth in _run(spec):
        people = [f for f in found if f.kind == "person"]
        assert len(people) == 1, "one detection for the group"
        if "group-1" in separable_groups(truth):
            counted += 1
            assert people[0].count == 5
    assert counted >= 3


def test_deer_and_coyotes_are_animals_not_people() -> None:
    spec = SceneSpec(
        seed=502,
        range_m=200.0,
        group_size=0,
        children=0,
        animals=("deer", "deer", "coyote"),
        trees=0,
        rocks=0,
        frames=6,
    )
    labels = [f.kind for found, _ in _run(spec) for f in found]
    assert labels.count("animal") >= 12
    assert "person" not in labels


def test_warm_rocks_and_trees_are_never_people_and_become_scenery() -> None:
    spec = SceneSpec(
        seed=503,
        range_m=300.0,
        group_size=0,
        children=0,
        animals=(),
        trees=6,
        rocks=12,
        dawn=True,
        frames=16,
    )
    frames = _run(spec)
    assert not [f for found, _ in frames for f in found if f.kind == "person"]
    learnt = 8  # TemporalBackground.learn_frames: after it, what never moves is scenery
    assert [f for found, _ in frames[learnt + 1 :] for f in found] == []


def test_standing_heights_tell_adults_from_children() -> None:
    spec = SceneSpec(
        seed=504,
        range_m=120.0,
        group_size=3,
        children=2,
        heading_deg=90.0,
        animals=(),
        trees=0,
        rocks=0,
        focal_mm=25.0,
        frames=4,
    )
    true_heights = sorted(b.height_m for b in build(spec).bodies[0] if b.kind == "person")
    judged = [
        f for found, _ in _run(spec) for f in found if f.kind == "person" and f.children is not None
    ]
    assert judged
    for f in judged:
        assert f.count == 3
        # Within 20 %: the range to the feet (hence the metres per pixel) carries the
        # terrain's relief, and each outline is a pixel or so off after blur.
        assert np.allclose(sorted(f.heights_m), true_heights, rtol=0.2), f.heights_m
        assert f.children is not None and 1 <= f.children <= 2


def test_after_a_nuc_jump_the_background_is_learnt_again_without_false_people() -> None:
    spec = SceneSpec(
        seed=505,
        range_m=400.0,
        group_size=2,
        children=0,
        animals=(),
        frames=30,
        nuc_at=15,
        focal_mm=50.0,
    )
    scene = build(spec)
    detector = detector_for(scene, CLASSIFIER)
    for i, frame, truth in scene.frames():
        people = [t for t in truth_objects(truth) if t.kind == "person"]
        for f in detector.detect(frame, scene.reported_poses[i]):
            if f.kind == "person":
                assert any(covers(b, p) for b in f.members for p in people), f"frame {i}"
    assert detector.background.jumps == 1
    assert detector.background.ready


def test_the_temporal_background_detects_an_offset_jump() -> None:
    rng = np.random.default_rng(1)
    model = TemporalBackground(learn_frames=4)
    for _ in range(6):
        frame = (246.0 + rng.normal(0, 0.1, (64, 64))).astype(np.float32)
        if model.difference(frame, 0.1) is None or not model.ready:
            model.update(frame, [], frame)
        else:
            model.update(frame, [], frame)
    assert model.ready
    drifted = (246.2 + rng.normal(0, 0.1, (64, 64))).astype(np.float32)
    diff = model.difference(drifted, 0.1)  # 2 sigma: drift, removed as a global offset
    assert diff is not None and abs(float(np.median(diff))) < 0.05
    jumped = (247.5 + rng.normal(0, 0.1, (64, 64))).astype(np.float32)
    assert model.difference(jumped, 0.1) is None
    assert model.jumps == 1 and not model.ready


def test_hysteresis_keeps_whole_blobs_that_hold_a_seed() -> None:
    contrast = np.zeros((40, 40), np.float32)
    contrast[5:10, 5:8] = 1.0  # warm but never above the high threshold
    contrast[20:30, 20:24] = 1.0
    contrast[22, 21] = 5.0  # one seed pixel
    blobs = extract(contrast, low=0.5, high=3.0)
    assert len(blobs) == 1
    assert blobs[0].box == (20, 20, 24, 30) and blobs[0].area_px == 40


def test_heads_along_a_blob_are_counted() -> None:
    contrast = np.zeros((20, 40), np.float32)
    contrast[12:20, 3:30] = 2.0  # touching at the legs: one blob
    for centre in (6, 16, 27):  # three people 10 px apart at 20 px per metre
        contrast[2:20, centre - 3 : centre + 3] = 2.0
        contrast[2:5, centre - 2 : centre + 2] = 8.0
    blob = extract(contrast, low=0.5, high=3.0)[0]
    assert len(head_peaks(blob, 20.0, side_view=True)) == 3
    assert len(head_peaks(blob, 20.0, side_view=False)) == 3


def _found(east: float, count: int, kind: str = "person") -> Found:
    return Found(
        box=(0, 0, 1, 1),
        kind=kind,
        probability=0.9,
        count=count,
        children=None,
        east=east,
        north=0.0,
        range_m=100.0,
        sigma_m=1.0,
        members=((0, 0, 1, 1),),
    )


def test_people_close_together_are_one_group() -> None:
    grouped = group_people(
        [_found(0.0, 2), _found(3.0, 1), _found(200.0, 1), _found(1.0, 1, "animal")], 8.0
    )
    people = sorted((f for f in grouped if f.kind == "person"), key=lambda f: f.east)
    assert [p.count for p in people] == [3, 1]
    assert people[0].east == pytest.approx(1.0)
    assert sum(1 for f in grouped if f.kind == "animal") == 1


def test_a_warm_blob_not_called_a_person_near_a_group_widens_its_count_range() -> None:
    # A child the classifier was unsure of (unknown) 2 m from a group of 2 may be a third
    # member; an animal 200 m away and a vehicle beside it may not.
    grouped = group_people(
        [_found(0.0, 2), _found(2.0, 1, "unknown"), _found(200.0, 1, "animal"),
         _found(1.0, 1, "vehicle")],
        8.0,
    )  # fmt: skip
    group = next(f for f in grouped if f.kind == "person")
    assert (group.count, group.count_range) == (2, (2, 3))
    alone = group_people([_found(0.0, 1), _found(200.0, 1, "unknown")], 8.0)
    assert [f.count_range for f in alone if f.kind == "person"] == [(1, 1)]
    assert [f.kind for f in alone] == ["person", "unknown"]  # the order found, nothing joined


def test_classifier_weights_round_trip_and_refuse_other_features() -> None:
    again = Classifier.from_json(CLASSIFIER.to_json())
    x = np.random.default_rng(0).normal(size=(5, len(CLASSIFIER.mean)))
    assert np.allclose(again.probabilities(x), CLASSIFIER.probabilities(x), atol=1e-5)
    assert np.allclose(again.probabilities(x).sum(axis=1), 1.0)
    raw = CLASSIFIER.to_json()
    raw["features"] = raw["features"][:-1]
    with pytest.raises(ValueError, match="retrain"):
        Classifier.from_json(raw)


def test_grouping_allows_for_the_error_of_a_separation_not_of_each_position() -> None:
    # A mast camera at 100 m: each ground point is uncertain by ~6 m along the line of sight
    # (relief), but two blobs in one frame share the pose errors; what separates them is
    # each foot's pixel error and the ground under them differing over their distance.
    def blob(north: float) -> Found:
        return replace(_found(0.0, 1), north=north, sigma_m=6.0, pixel_sigma_m=0.3, relief_gain=5.0)

    behind = group_people([blob(100.0), blob(102.5), blob(116.0)], 8.0, relief_m=1.0)
    assert sorted(f.count for f in behind if f.kind == "person") == [1, 2]
    # Without the split, the absolute sigmas are allowed for (the old, looser rule).
    assert [f.count for f in group_people([blob(100.0), blob(116.0)], 8.0)] == [2]


def test_range_errors_do_not_join_blobs_side_by_side_across_the_view() -> None:
    # 800 m out from a 25 m mast: each foot's range is uncertain by tens of metres (relief,
    # its row in the image), but that moves it along the line of sight (north here), not
    # across it. A deer 60 m to the side of a person is not joined to them; one 20 m
    # behind along the line of sight still is (its separation is within the range error).
    def blob(east: float, north: float) -> Found:
        return replace(
            _found(east, 1),
            north=north,
            sigma_m=40.0,
            pixel_sigma_m=4.0,
            relief_gain=31.0,
            across_sigma_m=0.2,
        )

    beside = group_people([blob(0.0, 800.0), blob(60.0, 800.0)], 8.0, relief_m=1.0)
    assert sorted(f.count for f in beside) == [1, 1]
    behind = group_people([blob(0.0, 800.0), blob(0.0, 820.0)], 8.0, relief_m=1.0)
    assert [f.count for f in behind] == [2]


def test_a_blob_taller_than_any_body_is_scenery_unless_warmer_than_scenery() -> None:
    scene = build(SceneSpec(seed=503, range_m=200.0, focal_mm=50.0, frames=1))
    detector = detector_for(scene, CLASSIFIER)
    px_per_m = scene.intrinsics.focal_px / 200.0  # 20.8 px a metre

    def measured(height_m: float, peak_k: float) -> Measured:
        rows = int(height_m * px_per_m) + 2
        contrast = np.full((rows, 20), peak_k, np.float32)
        blob = extract(contrast, low=0.4, high=1.0)[0]
        return Measured(blob, np.zeros(18), 0.0, 200.0, 200.0, 5.0, 5.0, 0.4, 0.5, 10.0)

    person = np.array([[1.0, 0.0, 0.0, 0.0]])
    tree = measured(6.0, 3.0)
    assert detector.scenery(tree)
    assert detector._classify(tree, person[0]) is None  # never reported
    assert detector.bodies([tree], person) == []  # learnt into the background
    # A person in front of a tree: the blob is as tall, but their face is 40 K warm.
    merged = measured(6.0, 40.0)
    assert not detector.scenery(merged)
    assert detector.bodies([merged], person) == [merged.blob]
    assert not detector.scenery(measured(1.8, 3.0))  # a person's height


def test_looking_down_a_person_needs_more_confidence() -> None:
    scene = build(SceneSpec(seed=504, camera="drone", range_m=90.0, focal_mm=13.5, frames=1))
    detector = detector_for(scene, CLASSIFIER)
    contrast = np.full((9, 9), 5.0, np.float32)
    blob = extract(contrast, low=0.4, high=1.0)[0]
    shifted = replace(blob, box=(300, 250, 309, 259))
    top = Measured(shifted, np.zeros(18), 0.0, 0.0, 90.0, 90.0, 3.0, 0.4, 0.2, 0.0)
    side = replace(top, depression_deg=10.0)
    sure, unsure = np.array([0.9, 0.0, 0.0, 0.1]), np.array([0.7, 0.0, 0.0, 0.3])
    assert detector._classify(top, sure).kind == "person"  # type: ignore[union-attr]
    assert detector._classify(top, unsure).kind == "unknown"  # type: ignore[union-attr]
    assert detector._classify(side, unsure).kind == "person"  # type: ignore[union-attr]
