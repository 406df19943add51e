"""COCO-style annotations: score the detector on your own annotated footage.

Reads the common COCO object-detection layout (``images``, ``annotations`` with ``bbox`` =
[x, y, width, height] in pixels, ``categories``), as exported by the usual annotation tools
and used by public thermal datasets. Category names are mapped to our kinds: person-like
names (person, people, pedestrian, human) to ``person``; deer, coyote, dog, animal and
similar to ``animal``; car, truck, vehicle, bus, motorcycle and similar to ``vehicle``;
anything else is scored as clutter (never to be reported as a person). Optional per-box
``attributes``: ``group_id`` (to score head counts) and ``child`` (true/false).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from borderwatch.adapters.sources.thermal.scoring import TruthObject
from borderwatch.domain import InputError

_PERSON = {"person", "people", "pedestrian", "human", "walker", "child", "adult"}
_ANIMAL = {
    "animal",
    "deer",
    "coyote",
    "dog",
    "wolf",
    "fox",
    "moose",
    "elk",
    "cow",
    "horse",
    "bear",
    "cat",
    "sheep",
    "bird",
    "wild animal",
}
_VEHICLE = {
    "vehicle",
    "car",
    "truck",
    "bus",
    "van",
    "pickup",
    "motorcycle",
    "motorbike",
    "bicycle",
    "atv",
    "snowmobile",
    "other vehicle",
}


def kind_of(category: str) -> str:
    name = category.strip().lower()
    if name in _PERSON:
        return "person"
    if name in _ANIMAL:
        return "animal"
    if name in _VEHICLE:
        return "vehicle"
    return name or "clutter"


def load_coco(path: str | Path) -> dict[str, list[TruthObject]]:
    """Annotated objects per image file name (only the base name is kept). Errors name the
    file and the offending entry."""
    source = str(path)
    try:
        raw = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as err:
        raise InputError(None, f"cannot read: {err.strerror}", source=source) from None
    except ValueError as err:
        raise InputError(None, f"not valid JSON ({err})", source=source) from None
    if not isinstance(raw, dict):
        raise InputError(None, "a COCO file is a JSON object", source=source)
    try:
        return _parse(raw)
    except InputError as err:
        raise err.at(source=source) from None


def _list(raw: dict[str, Any], key: str) -> list[dict[str, Any]]:
    value = raw.get(key)
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise InputError(key, "must be a list of objects")
    return value


def _parse(raw: dict[str, Any]) -> dict[str, list[TruthObject]]:
    categories = {c.get("id"): str(c.get("name", "")) for c in _list(raw, "categories")}
    images: dict[Any, str] = {}
    for i, image in enumerate(_list(raw, "images")):
        name = image.get("file_name")
        if not isinstance(name, str) or "id" not in image:
            raise InputError(f"images[{i}]", "needs id and file_name")
        images[image["id"]] = Path(name).name
    out: dict[str, list[TruthObject]] = {name: [] for name in images.values()}
    for i, ann in enumerate(_list(raw, "annotations")):
        where = f"annotations[{i}]"
        if ann.get("image_id") not in images:
            raise InputError(f"{where}.image_id", f"no image with id {ann.get('image_id')!r}")
        if ann.get("category_id") not in categories:
            raise InputError(f"{where}.category_id", f"unknown {ann.get('category_id')!r}")
        bbox = ann.get("bbox")
        if not (
            isinstance(bbox, list)
            and len(bbox) == 4
            and all(isinstance(v, int | float) and not isinstance(v, bool) for v in bbox)
            and bbox[2] > 0
            and bbox[3] > 0
        ):
            raise InputError(
                f"{where}.bbox", f"must be [x, y, width > 0, height > 0], got {bbox!r}"
            )
        attrs = ann.get("attributes") or {}
        if not isinstance(attrs, dict):
            raise InputError(f"{where}.attributes", "must be an object")
        group = attrs.get("group_id")
        child = attrs.get("child")
        x, y, w, h = (float(v) for v in bbox)
        out[images[ann["image_id"]]].append(
            TruthObject(
                box=(x, y, x + w, y + h),
                kind=kind_of(categories[ann["category_id"]]),
                group_id=None if group is None else str(group),
                child=child if isinstance(child, bool) else None,
            )
        )
    return out


def to_coco(
    frames: Iterable[tuple[str, list[TruthObject]]], *, width: int, height: int, simulated: bool
) -> dict[str, Any]:
    """The inverse: truth per frame file name -> a COCO document (the renderer's export)."""
    names = ["person", "deer", "coyote", "animal", "vehicle", "tree", "rock"]
    ids = {n: i + 1 for i, n in enumerate(names)}
    images: list[dict[str, Any]] = []
    annotations: list[dict[str, Any]] = []
    for image_id, (file_name, objects) in enumerate(frames, start=1):
        images.append({"id": image_id, "file_name": file_name, "width": width, "height": height})
        for obj in objects:
            u0, v0, u1, v1 = obj.box
            attributes: dict[str, Any] = {}
            if obj.group_id is not None:
                attributes["group_id"] = obj.group_id
            if obj.child is not None:
                attributes["child"] = obj.child
            annotations.append(
                {
                    "id": len(annotations) + 1,
                    "image_id": image_id,
                    "category_id": ids.get(obj.kind, ids["animal"]),
                    "bbox": [round(u0, 2), round(v0, 2), round(u1 - u0, 2), round(v1 - v0, 2)],
                    "area": round((u1 - u0) * (v1 - v0), 2),
                    "iscrowd": 0,
                    "attributes": attributes,
                }
            )
    return {
        "info": {
            "description": "Borderwatch synthetic thermal frames (simulated)"
            if simulated
            else "Borderwatch annotations",
            "simulated": simulated,
        },
        "images": images,
        "annotations": annotations,
        "categories": [{"id": i, "name": n} for n, i in ids.items()],
    }
