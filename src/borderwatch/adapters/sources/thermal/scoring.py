"""Score detections against annotated boxes: recall, false positives, animals taken for
people, head counts, position errors. The same code scores rendered frames (the renderer's
truth) and a user's own annotated footage (``annotations.py``, COCO-style boxes).

Matching rule: a reported box *covers* a true object when the object's box centre lies
inside the reported box grown by one pixel (a blob's edge is blurred by about a pixel).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np

from borderwatch.adapters.sources.thermal.candidates import Candidate

Box = tuple[float, float, float, float]
ANIMALS = ("deer", "coyote", "animal")
KIND_OF = {"person": "person", "vehicle": "vehicle", **{a: "animal" for a in ANIMALS}}


@dataclass(frozen=True, kw_only=True)
class TruthObject:
    """An annotated object in one frame."""

    box: Box
    """(u0, v0, u1, v1) pixels."""
    kind: str
    """person, vehicle, deer, coyote, animal, or anything else (clutter: tree, rock)."""
    group_id: str | None = None
    child: bool | None = None
    east: float | None = None
    north: float | None = None

    @property
    def centre(self) -> tuple[float, float]:
        return (self.box[0] + self.box[2]) / 2.0, (self.box[1] + self.box[3]) / 2.0

    @property
    def size_px(self) -> float:
        return max(self.box[2] - self.box[0], self.box[3] - self.box[1])


def covers(box: Box, truth: TruthObject, grow: float = 1.0) -> bool:
    u, v = truth.centre
    return box[0] - grow <= u <= box[2] + grow and box[1] - grow <= v <= box[3] + grow


def label_candidate(candidate: Candidate, truths: Iterable[TruthObject]) -> str:
    """Training label of a candidate: the class of the true object under its hottest pixel
    (person, animal, vehicle), else ``clutter``."""
    r, c = np.unravel_index(int(np.argmax(candidate.contrast)), candidate.contrast.shape)
    u, v = candidate.box[0] + c + 0.5, candidate.box[1] + r + 0.5
    order = {"person": 0, "vehicle": 1, "animal": 2}
    best = "clutter"
    for truth in truths:
        kind = KIND_OF.get(truth.kind)
        b = truth.box
        inside = b[0] - 1 <= u <= b[2] + 1 and b[1] - 1 <= v <= b[3] + 1
        if kind and inside and (best == "clutter" or order[kind] < order[best]):
            best = kind
    return best


@dataclass(frozen=True, kw_only=True)
class Reported:
    """A report to score: its box (a group's members' boxes), kind and head count."""

    boxes: tuple[Box, ...]
    kind: str
    count: int = 1
    count_range: tuple[int, int] | None = None
    """(low, high) plausible head count; None: the count alone."""
    children: int | None = None
    east: float | None = None
    north: float | None = None
    sigma_m: float | None = None


@dataclass
class Score:
    """Running totals over frames."""

    min_person_px: float = 8.0
    frames: int = 0
    people: int = 0
    people_found: int = 0
    small_people: int = 0
    small_people_found: int = 0
    false_people: int = 0
    """Person reports covering no true person and no true animal (animals are counted in
    ``animals_as_people``)."""
    unknown_reports: int = 0
    """Reports of kind unknown (a warm thing the detector would not name): not false people,
    counted apart."""
    animals: int = 0
    animals_as_people: int = 0
    groups: int = 0
    groups_counted: int = 0
    count_errors: list[int] = field(default_factory=list)
    range_covered: int = 0
    """Groups whose reported head count range holds the true count."""
    range_widths: list[int] = field(default_factory=list)
    """high - low of each scored group's range (0: the count alone)."""
    position_errors: list[tuple[float, float]] = field(default_factory=list)
    """(error metres, reported sigma metres) for each found group with a true position."""
    children_judged: int = 0
    children_right: int = 0

    def add(
        self,
        reports: list[Reported],
        truths: list[TruthObject],
        separable_groups: set[str] | None = None,
    ) -> None:
        """Score one frame. ``separable_groups``: groups whose members are apart in the image
        (head counts are scored for those only; None: every group)."""
        self.frames += 1
        people = [t for t in truths if t.kind == "person"]
        animals = [t for t in truths if KIND_OF.get(t.kind) == "animal"]
        person_boxes = [(b, r) for r in reports if r.kind == "person" for b in r.boxes]
        for person in people:
            hit = any(covers(b, person) for b, _ in person_boxes)
            if person.size_px >= self.min_person_px:
                self.people += 1
                self.people_found += hit
            else:
                self.small_people += 1
                self.small_people_found += hit
        for animal in animals:
            self.animals += 1
            self.animals_as_people += any(covers(b, animal) for b, _ in person_boxes)
        for box, _ in person_boxes:
            if not any(covers(box, t) for t in people + animals):
                self.false_people += 1
        self.unknown_reports += sum(1 for r in reports if r.kind == "unknown")
        self._groups(reports, people, separable_groups)

    def _groups(
        self, reports: list[Reported], people: list[TruthObject], separable: set[str] | None
    ) -> None:
        by_group: dict[str, list[TruthObject]] = {}
        for p in people:
            if p.group_id is not None:
                by_group.setdefault(p.group_id, []).append(p)
        for group_id, members in by_group.items():
            covering = [
                r
                for r in reports
                if r.kind == "person" and any(covers(b, m) for b in r.boxes for m in members)
            ]
            if not covering:
                continue
            best = max(covering, key=lambda r: sum(covers(b, m) for b in r.boxes for m in members))
            if separable is None or group_id in separable:
                self.groups += 1
                self.groups_counted += best.count == len(members)
                self.count_errors.append(best.count - len(members))
                low, high = best.count_range or (best.count, best.count)
                self.range_covered += low <= len(members) <= high
                self.range_widths.append(high - low)
            seen = [m for m in members if any(covers(b, m) for b in best.boxes)]
            truth_e = [m.east for m in seen if m.east is not None]
            truth_n = [m.north for m in seen if m.north is not None]
            if best.east is not None and best.north is not None and best.sigma_m and truth_e:
                error = float(np.hypot(best.east - np.mean(truth_e), best.north - np.mean(truth_n)))
                self.position_errors.append((error, best.sigma_m))
            if best.children is not None and all(m.child is not None for m in members):
                self.children_judged += 1
                self.children_right += best.children == sum(bool(m.child) for m in members)

    def summary(self) -> dict[str, float | int | None]:
        def ratio(a: int, b: int) -> float | None:
            return round(a / b, 3) if b else None

        inside = sum(1 for e, s in self.position_errors if e <= 2 * s)
        return {
            "frames": self.frames,
            "people": self.people,
            "recall": ratio(self.people_found, self.people),
            "recall_small": ratio(self.small_people_found, self.small_people),
            "false_people": self.false_people,
            "fp_per_frame": round(self.false_people / self.frames, 4) if self.frames else None,
            "unknown_per_frame": round(self.unknown_reports / self.frames, 4)
            if self.frames
            else None,
            "animals": self.animals,
            "animals_not_people": ratio(self.animals - self.animals_as_people, self.animals),
            "groups": self.groups,
            "count_exact": ratio(self.groups_counted, self.groups),
            "count_within_1": ratio(sum(abs(e) <= 1 for e in self.count_errors), self.groups),
            "count_range_covered": ratio(self.range_covered, self.groups),
            "count_range_width": round(float(np.mean(self.range_widths)), 2)
            if self.range_widths
            else None,
            "positions": len(self.position_errors),
            "inside_2_sigma": ratio(inside, len(self.position_errors)),
            "children_judged": self.children_judged,
            "children_exact": ratio(self.children_right, self.children_judged),
        }


def separable_groups(truths: list[TruthObject], gap_px: float = 2.0) -> set[str]:
    """Groups whose members' boxes are all at least ``gap_px`` apart (in either axis) from
    each other and from every other annotated object: the ones a detector can count from one
    frame. references.md: counting needs a separation of 1-2 px; we take 2, because an optical
    blur of 1.2 px (full width at half maximum) fills a 1 px gap between bodies hundreds of
    noise sigmas warm. A member hidden in a vehicle's blob cannot be counted from that frame."""
    by_group: dict[str, list[Box]] = {}
    for t in truths:
        if t.kind == "person" and t.group_id is not None:
            by_group.setdefault(t.group_id, []).append(t.box)

    def apart(a: Box, b: Box) -> bool:
        return (
            a[2] + gap_px <= b[0]
            or b[2] + gap_px <= a[0]
            or a[3] + gap_px <= b[1]
            or b[3] + gap_px <= a[1]
        )

    out = set()
    for group_id, boxes in by_group.items():
        others = [t.box for t in truths if t.group_id != group_id]
        if all(apart(a, b) for i, a in enumerate(boxes) for b in boxes[i + 1 :] + others):
            out.add(group_id)
    return out
