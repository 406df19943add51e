"""Scoring and COCO annotations: what counts as found, false, counted; the file format."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from borderwatch.adapters.sources.thermal.annotations import kind_of, load_coco, to_coco
from borderwatch.adapters.sources.thermal.scoring import (
    Reported,
    Score,
    TruthObject,
    separable_groups,
)
from borderwatch.domain import InputError


def person(u: float, group: str | None = "g1", child: bool = False) -> TruthObject:
    return TruthObject(box=(u, 100.0, u + 4.0, 120.0), kind="person", group_id=group, child=child)


def test_found_missed_false_and_animals_taken_for_people() -> None:
    truth = [
        person(10),
        person(20),
        person(200, group=None),
        TruthObject(box=(300.0, 100.0, 320.0, 112.0), kind="deer"),
    ]
    reports = [
        Reported(boxes=((9.0, 99.0, 25.0, 121.0),), kind="person", count=2),
        Reported(boxes=((299.0, 99.0, 321.0, 113.0),), kind="person"),  # the deer
        Reported(boxes=((500.0, 10.0, 505.0, 20.0),), kind="person"),  # nothing there
        Reported(boxes=((198.0, 99.0, 205.0, 121.0),), kind="animal"),  # person, wrong kind
    ]
    score = Score()
    score.add(reports, truth, separable_groups(truth))
    s = score.summary()
    assert (s["people"], s["recall"]) == (3, pytest.approx(2 / 3, abs=1e-3))
    assert s["false_people"] == 1 and s["fp_per_frame"] == 1.0
    assert s["animals"] == 1 and s["animals_not_people"] == 0.0
    assert s["groups"] == 1 and s["count_exact"] == 1.0


def test_a_head_count_is_scored_exact_within_one_and_by_its_range() -> None:
    truth = [person(10), person(20), person(30)]
    box = (9.0, 99.0, 35.0, 121.0)
    score = Score()
    # Two of three counted, the range 2-4 holds the truth; then 1 counted, range 1-1 does not.
    score.add([Reported(boxes=(box,), kind="person", count=2, count_range=(2, 4))], truth)
    score.add([Reported(boxes=(box,), kind="person", count=1)], truth)
    s = score.summary()
    assert (s["groups"], s["count_exact"], s["count_within_1"]) == (2, 0.0, 0.5)
    assert (s["count_range_covered"], s["count_range_width"]) == (0.5, 1.0)


def test_small_people_are_scored_apart() -> None:
    tiny = TruthObject(box=(10.0, 10.0, 12.0, 14.0), kind="person")
    score = Score(min_person_px=8.0)
    score.add([], [tiny])
    assert score.summary()["people"] == 0 and score.summary()["recall_small"] == 0.0


def test_groups_touching_each_other_or_something_else_are_not_separable() -> None:
    apart = [person(10), person(20)]
    touching = [person(10), person(15.5)]
    assert separable_groups(apart) == {"g1"}
    assert separable_groups(touching) == set()
    behind_a_car = [*apart, TruthObject(box=(18.0, 95.0, 40.0, 118.0), kind="vehicle")]
    assert separable_groups(behind_a_car) == set()


def test_coco_round_trip_and_category_names(tmp_path: Path) -> None:
    frames = [
        ("f0.tif", [person(10, child=True), TruthObject(box=(1, 2, 5, 9), kind="deer")]),
        ("f1.tif", []),
    ]
    path = tmp_path / "a.json"
    path.write_text(json.dumps(to_coco(frames, width=640, height=512, simulated=True)))
    loaded = load_coco(path)
    assert set(loaded) == {"f0.tif", "f1.tif"} and loaded["f1.tif"] == []
    first = loaded["f0.tif"][0]
    assert first.kind == "person" and first.child is True and first.group_id == "g1"
    assert first.box == (10.0, 100.0, 14.0, 120.0)
    assert loaded["f0.tif"][1].kind == "animal"
    assert [kind_of(n) for n in ("Pedestrian", "car", "Coyote", "bush")] == [
        "person",
        "vehicle",
        "animal",
        "bush",
    ]


def test_a_bad_coco_file_names_the_entry(tmp_path: Path) -> None:
    doc = {
        "images": [{"id": 1, "file_name": "frames/f0.png"}],
        "categories": [{"id": 1, "name": "person"}],
        "annotations": [
            {"id": 1, "image_id": 1, "category_id": 1, "bbox": [1, 2, 3, 4]},
            {"id": 2, "image_id": 1, "category_id": 1, "bbox": [1, 2, 0, 4]},
        ],
    }
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(doc))
    with pytest.raises(InputError, match=r"bad.json: field annotations\[1\].bbox"):
        load_coco(path)
    doc["annotations"] = [{"id": 1, "image_id": 7, "category_id": 1, "bbox": [1, 2, 3, 4]}]
    path.write_text(json.dumps(doc))
    with pytest.raises(InputError, match=r"annotations\[0\].image_id: no image with id 7"):
        load_coco(path)
    path.write_text("{not json")
    with pytest.raises(InputError, match="not valid JSON"):
        load_coco(path)
