"""Frigate events -> detections (adapters/sources/frigate.py): placement on the ground,
labels, and every refusal counted and named, with nothing of a refused message kept."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from borderwatch.adapters.sources.frigate import FrigateTranslator
from borderwatch.adapters.sources.frigate_cameras import load_frigate_cameras
from borderwatch.domain import InputError, Kind
from borderwatch.sim.frigate_events import CAMERAS_YAML, message, tracked_object

T = 1_738_587_600.0
OBJ = "1738587600.000000-abc123"
BOX = (600.0, 560.0, 640.0, 700.0)


@pytest.fixture
def translator(tmp_path: Path) -> FrigateTranslator:
    path = tmp_path / "cameras.yaml"
    path.write_text(CAMERAS_YAML)
    return FrigateTranslator(load_frigate_cameras(path))


def payload(kind: str = "update", **fields: object) -> bytes:
    fields.setdefault("frame_time", T)
    fields.setdefault("box", BOX)
    obj_id = str(fields.pop("object_id", OBJ))
    return orjson.dumps(message(kind, tracked_object(obj_id, **fields)))  # type: ignore[arg-type]


def test_a_person_is_placed_on_the_ground_in_front_of_the_camera(
        translator: FrigateTranslator) -> None:
    out = translator.translate([payload("new")])
    (det,) = out.detections
    assert det.kind is Kind.PERSON and det.simulated and det.count == 1
    assert det.sensor_id == "frigate-coutts-mast" and det.confidence == 0.84
    assert det.epoch_s == pytest.approx(T, abs=1e-3)
    # The camera looks south from 8 m: a foot near the bottom row is a few tens of metres
    # south of the mast, on its meridian (the box is centred).
    # Foot row 700 of 720, focal 640 px (90° over 1280 px): 27.98° below the axis, which is
    # 6° down, so 33.98° below the horizon from 8 m: 8 / tan(33.98°) = 11.87 m.
    south_m = (49.0030 - det.lat) * 111_200
    assert south_m == pytest.approx(11.87, abs=0.3)
    assert det.lon == pytest.approx(-111.9610, abs=2e-5)
    assert out.stored[0][0] == det.id and out.stored[0][1]["simulated"] is True


def test_the_error_grows_with_range(translator: FrigateTranslator) -> None:
    near = translator.translate([payload(box=(600, 600, 640, 715))]).detections[0]
    far = translator.translate(
        [payload(object_id="far-1", box=(600, 400, 640, 440))]).detections[0]
    assert (49.0030 - far.lat) > 2 * (49.0030 - near.lat)
    assert far.sigma_m > 2 * near.sigma_m


@pytest.mark.parametrize(("label", "kind"), [("car", Kind.VEHICLE), ("truck", Kind.VEHICLE),
                                             ("dog", Kind.ANIMAL), ("deer", Kind.ANIMAL)])
def test_labels_map_to_kinds(translator: FrigateTranslator, label: str, kind: Kind) -> None:
    assert translator.translate([payload(label=label)]).detections[0].kind is kind


def test_a_stationary_object_is_still_a_detection(translator: FrigateTranslator) -> None:
    assert len(translator.translate([payload(stationary=True)]).detections) == 1


@pytest.mark.parametrize(("raw", "reason", "field"), [
    (b"{not json", "malformed_json", None),
    (b"[1, 2]", "malformed_json", None),
    (orjson.dumps({"type": "new"}), "missing_field", "after"),
    (payload(camera="back_yard"), "unknown_camera", "after.camera"),
    (payload(label="package"), "unknown_label", "after.label"),
    (payload(false_positive=True), "false_positive", "after.false_positive"),
    (payload(box=(600, 560, 640, 900)), "bad_field", "after.box"),
    (payload(box=(640, 560, 600, 700)), "bad_field", "after.box"),
    (payload(score=1.5), "bad_field", "after.score"),
    (payload(frame_time=5e9), "bad_field", "after.frame_time"),
    (payload("moved"), "bad_field", "type"),
    (payload(box=(600, 100, 640, 200)), "unplaceable", "after.box"),  # above the horizon
])
def test_a_bad_message_is_refused_by_reason_and_field(
        translator: FrigateTranslator, raw: bytes, reason: str, field: str | None) -> None:
    good = payload(object_id="good-1")
    out = translator.translate([raw, good])
    assert [d.id for d in out.detections] == [f"frigate:good-1@{T:.6f}"]
    (refusal,) = out.refused
    assert (refusal.reason, refusal.field) == (reason, field)
    assert translator.counts[reason] == 1 and translator.counts["accepted"] == 1
    if field not in (None, "after"):
        assert OBJ in str(refusal)


def test_a_missing_field_names_the_field_and_the_event(translator: FrigateTranslator) -> None:
    event = message("update", tracked_object(OBJ, frame_time=T, box=BOX))
    del event["after"]["frame_time"]
    (refusal,) = translator.translate([orjson.dumps(event)]).refused
    assert refusal.reason == "missing_field" and refusal.field == "after.frame_time"
    assert str(refusal).startswith(f"event {OBJ}: field after.frame_time: is required")


def test_out_of_order_and_repeated_messages_are_refused(translator: FrigateTranslator) -> None:
    out = translator.translate([payload("new", frame_time=T), payload(frame_time=T + 2),
                                payload(frame_time=T + 1), payload(frame_time=T + 2)])
    assert len(out.detections) == 2
    assert [r.reason for r in out.refused] == ["out_of_order", "duplicate"]
    # The same in a later batch: the memory outlives the batch.
    again = translator.translate([payload(frame_time=T + 2)])
    assert [r.reason for r in again.refused] == ["duplicate"]


def test_a_refused_message_leaves_the_objects_memory_as_it_was(
        translator: FrigateTranslator) -> None:
    # Refused for its box: its later frame time must not make the next message late.
    translator.translate([payload(frame_time=T + 5, box=(600, 100, 640, 200))])
    assert len(translator.translate([payload(frame_time=T + 1)]).detections) == 1


def test_the_end_message_closes_the_object_without_a_second_detection(
        translator: FrigateTranslator) -> None:
    out = translator.translate([payload("new"), payload("end", end_time=T + 1)])
    assert len(out.detections) == 1 and out.ended == 1 and not out.refused
    later = translator.translate([payload("end", frame_time=T + 3, end_time=T + 3)])
    assert len(later.detections) == 1  # the end saw the object once more


def test_the_cameras_file_names_a_bad_field(tmp_path: Path) -> None:
    path = tmp_path / "cameras.yaml"
    path.write_text(CAMERAS_YAML.replace("height_m: 8", "height_m: -8"))
    with pytest.raises(InputError, match=r"cameras\.coutts_mast\.height_m"):
        load_frigate_cameras(path)
    path.write_text(CAMERAS_YAML.replace("hfov_deg: 90", "hfov_deg: 90\n    focal_mm: 4"))
    with pytest.raises(InputError, match="not both"):
        load_frigate_cameras(path)


def test_a_frame_time_ahead_of_the_receivers_clock_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "cameras.yaml"
    path.write_text(CAMERAS_YAML)
    translator = FrigateTranslator(load_frigate_cameras(path), max_ahead_s=5.0)
    out = translator.translate([payload(frame_time=T + 60), payload(object_id="ok", frame_time=T)],
                               now_s=T)
    assert [r.reason for r in out.refused] == ["ahead_of_clock"] and len(out.detections) == 1
    assert "60 s ahead" in str(out.refused[0])
    # Without a clock (a recorded night replayed), nothing is refused for its time.
    assert len(translator.translate([payload(object_id="late", frame_time=T + 60)]).detections) == 1
