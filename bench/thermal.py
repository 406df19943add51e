"""Thermal detector benchmark: our detector on a fixed, seeded set of rendered frames.

    .venv/bin/python bench/thermal.py [--split tuning|held-out|diagnostic|both] [--frames 20]
        [--scenes N]

Renders a fixed, seeded test set with the synthetic LWIR renderer (seeds disjoint from the
classifier's training set, which starts at 100,000), in two splits of the same 27-scene
design (:data:`SPLITS`): **tuning**, seeds 1-27, the set the detector was adjusted on
through issues 13-18 (every figure in the git history and docs before 5 December 2026 is
from it), and **held-out**, seeds 1001-1027, added on 5 December 2026 and never used to
adjust anything (the georeferencing scenes, 200-399, and the throughput scene, 99, are
neither), and **diagnostic**, seeds 3001-3081 (the design three times over, added 6 December
2026): the held-out set missed two aims the tuning set met, so the misses were traced on
this larger set of fresh draws (``bench/thermal_misses.py`` lists every false person report
and wrong head count) and the detector fixed on it, the held-out set still untouched.
``--split both`` (the default) prints tuning and held-out side by side. Each set: a fixed
mast camera at 100 m - 1.5 km (25 mm, and 50/100 mm lenses at long range), groups of 1-9
with children walking in file or abreast, deer, coyotes, vehicles, trees and rocks, night
and dawn, clear air and falling snow, a NUC jump in some scenes; and a drone at 60-120 m
looking straight or obliquely down. All of it is
simulated; nothing here is real footage.

The detector reads the radiometric frames (kelvin) and is scored by
``borderwatch.adapters.sources.thermal.scoring``: recall on people at least 8 px tall, false
person reports per frame, animals not reported as people, exact head count of groups whose
members are apart in the image, georeferencing errors inside 2 reported sigmas, and frames
per second of detection alone (rendering not included), on one pinned core. The LAST line
is the one-line summary.

There is no baseline (issue 18). OpenCV's HOG people detector (Dalal & Triggs, CVPR 2005),
compared here before, scans a 64x128 window for people about 96 px tall; the tallest person
in these frames is about 70 px and the median 10 px (the run prints both), so it found
almost no one by construction.
Upscaling whole frames until a 10 px person fills the window multiplies the pixels by about
a hundred, and upscaling only around likely people needs a proposal stage, which would be
ours; neither is a fair, independent baseline, so the comparison was dropped.
"""

from __future__ import annotations

import os

if __name__ == "__main__":
    # One core, one thread, set before numpy is imported (BLAS pools start on import).
    for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[_var] = "1"
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})

import argparse
import sys
import time
from dataclasses import dataclass, field, replace

import numpy as np

from borderwatch.adapters.sources.thermal.camera import geo_to_local, local_to_geo
from borderwatch.adapters.sources.thermal.classifier import load_classifier
from borderwatch.adapters.sources.thermal.scoring import Score, separable_groups
from borderwatch.sim.lwir.scenes import SceneSpec, build
from borderwatch.sim.lwir.training import detector_for, reported, truth_objects

SPLITS: dict[str, int] = {"tuning": 1, "held-out": 1001, "diagnostic": 3001}
"""First seed of each split. Tuning: 1-27, what the detector was adjusted on. Held-out:
1001-1027, the same design (ranges, lenses, group sizes, animals, weather follow the scene's
place in the set) with new random draws, never used to adjust anything. Diagnostic:
3001-3081, the 27-scene design three times over with fresh draws (added 6 December 2026,
issue 18): the held-out misses were a generalisation failure of a 27-scene tuning set, so
the misses were traced and fixed on this larger set (``bench/thermal_misses.py``), never on
the held-out one."""
REPEATS: dict[str, int] = {"tuning": 1, "held-out": 1, "diagnostic": 3}
"""How many times each split runs through the 27-scene design."""
DESIGN_SCENES = 27


def test_set(frames: int, split: str = "tuning") -> list[SceneSpec]:
    """The fixed test set of ``split`` (never used for training, whose seeds start at
    100,000). At each range, three scenes: a group walking across the view in file on a 25
    mm lens and on a longer lens (the line of people seen at Coutts: separable, so
    countable), and one walking any way in any formation (often overlapping: found, not
    always countable). The scene's design follows its place ``n`` (1-27) in the set; its
    random draws follow its seed (``n`` for tuning, ``1000 + n`` held out; the diagnostic
    split runs the design three times, seeds ``3000 + n``, ``3027 + n`` and ``3054 + n``)."""
    specs = []
    for repeat in range(REPEATS[split]):
        specs += _design(frames, SPLITS[split] - 1 + repeat * DESIGN_SCENES)
    return specs


def _design(frames: int, offset: int) -> list[SceneSpec]:
    """The 27-scene design, its seeds ``offset + 1`` to ``offset + 27``."""
    specs = []
    seed = 1  # the scene's place in the set (the tuning seed)
    ranges = (100, 200, 300, 500, 800, 1100, 1500)
    for i, r in enumerate(ranges):
        long_lens = 50.0 if r < 1100 else 100.0
        for lens, heading, formation in (
            (25.0, 90.0, "file"),
            (long_lens, 90.0, "file"),
            ((25.0, long_lens)[i % 2], None, ("abreast", "mixed")[i % 2]),
        ):
            size = (seed * 4) % 9 + 1
            specs.append(
                SceneSpec(
                    seed=offset + seed,
                    camera="fixed",
                    range_m=float(r),
                    group_size=size,
                    children=min(size - 1, size // 2 + 1) if size > 1 else 0,
                    formation=formation,
                    heading_deg=heading,
                    animals=("deer", "coyote"),
                    vehicle=seed % 2 == 0,
                    dawn=seed % 3 == 0,
                    extinction_per_km=0.8 if seed % 5 == 0 else 0.15,
                    nuc_at=frames // 2 if seed % 4 == 0 else None,
                    focal_mm=lens,
                    mast_m=15.0 + (seed % 3) * 5,
                    frames=frames,
                )
            )
            seed += 1
    for altitude in (60.0, 90.0, 120.0):
        for tilt in (90.0, 60.0):
            size = seed % 9 + 1
            specs.append(
                SceneSpec(
                    seed=offset + seed,
                    camera="drone",
                    range_m=altitude,
                    group_size=size,
                    children=size // 2,
                    formation=("file", "abreast", "mixed")[seed % 3],
                    animals=("deer", "coyote"),
                    vehicle=seed % 2 == 0,
                    dawn=seed % 3 == 0,
                    focal_mm=13.5,
                    drone_tilt_deg=tilt,
                    frames=frames,
                )
            )
            seed += 1
    return specs


@dataclass
class Totals:
    """Scores over the operating frames (a fixed camera's after its background is learnt,
    every drone frame), and over every frame (the learning ones included)."""

    ours: Score = field(default_factory=Score)
    every_frame: Score = field(default_factory=Score)
    ours_fixed: Score = field(default_factory=Score)
    ours_drone: Score = field(default_factory=Score)
    ours_seconds: float = 0.0
    ours_frames: int = 0
    person_heights_px: list[float] = field(default_factory=list)
    """Every true person's box height in every frame: what a detector must find."""


def run(specs: list[SceneSpec]) -> Totals:
    classifier = load_classifier()
    totals = Totals()
    for spec in specs:
        scene = build(spec)
        detector = detector_for(scene, classifier)
        for i, frame, truth in scene.frames():
            objects = truth_objects(truth)
            groups = separable_groups(objects)
            totals.person_heights_px += [t.box[3] - t.box[1] for t in objects if t.kind == "person"]
            pose, true_pose = scene.reported_poses[i], scene.true_poses[i]
            started = time.perf_counter()
            found = detector.detect(frame, pose)
            spent = time.perf_counter() - started
            totals.ours_seconds += spent
            totals.ours_frames += 1
            reports = []
            for f in found:
                # Positions in the true camera's frame: the reported pose is off by its errors.
                lat, lon = local_to_geo(pose, np.array([f.east]), np.array([f.north]))
                east, north = geo_to_local(true_pose, lat, lon)
                reports.append(replace(reported(f), east=float(east[0]), north=float(north[0])))
            totals.every_frame.add(reports, objects, groups)
            if scene.fixed and i < detector.background.learn_frames:
                continue  # a fixed camera learning its background (after start-up)
            totals.ours.add(reports, objects, groups)
            (totals.ours_fixed if scene.fixed else totals.ours_drone).add(reports, objects, groups)
    return totals


@dataclass
class Georeferencing:
    """Ground position errors against the reported sigma, by camera kind."""

    errors: dict[str, list[tuple[float, float]]] = field(
        default_factory=lambda: {"fixed": [], "drone": []}
    )

    def share(self, kind: str | None, sigmas: float) -> float | None:
        rows = [r for k, v in self.errors.items() if kind in (None, k) for r in v]
        if not rows:
            return None
        return round(sum(1 for e, s in rows if e <= sigmas * s) / len(rows), 3)

    def count(self, kind: str | None = None) -> int:
        return sum(len(v) for k, v in self.errors.items() if kind in (None, k))


def georeferencing(scenes: int = 200) -> Georeferencing:
    """One walker per scene, each scene with its own draw of pose errors and terrain relief
    from the stated error budget (seeds 200+): fixed cameras at 100 m - 1.5 km on 25-100 mm
    lenses, drones at 50-130 m looking straight or obliquely down."""
    classifier = load_classifier()
    rng = np.random.default_rng(200)
    result = Georeferencing()
    for k in range(scenes):
        drone = rng.random() < 0.3
        spec = SceneSpec(
            seed=200 + k,
            camera="drone" if drone else "fixed",
            range_m=float(rng.uniform(50, 130))
            if drone
            else float(np.exp(rng.uniform(np.log(100), np.log(1500)))),
            group_size=1,
            children=int(rng.random() < 0.3),
            animals=(),
            trees=0,
            rocks=0,
            focal_mm=13.5 if drone else float(rng.choice([25.0, 50.0, 100.0])),
            mast_m=float(rng.uniform(8, 30)),
            drone_tilt_deg=float(rng.choice([90.0, 60.0])),
            heading_deg=float(rng.uniform(0, 360)),
            frames=1,
        )
        scene = build(spec)
        detector = detector_for(scene, classifier)
        for i, frame, truth in scene.frames():
            pose, true_pose = scene.reported_poses[i], scene.true_poses[i]
            people = [t for t in truth if t.kind == "person"]
            found = [f for f in detector.detect(frame, pose) if f.kind == "person"]
            if not people or not found:
                continue
            f = found[0]
            # The detector's position is relative to the camera it was told about; compare
            # it where the truth is: relative to the camera that rendered the frame.
            lat, lon = local_to_geo(pose, np.array([f.east]), np.array([f.north]))
            east, north = geo_to_local(true_pose, lat, lon)
            error = float(np.hypot(east[0] - people[0].east, north[0] - people[0].north))
            result.errors[spec.camera].append((error, f.sigma_m))
    return result


def throughput(frames: int = 100, repeats: int = 3) -> tuple[float, float]:
    """Steady-state frames per second of a fixed camera (after its background is learnt) and
    of a drone (spatial background every frame): median of ``repeats`` timed passes over the
    same pre-rendered frames (a group of 9, two animals, a vehicle, trees and rocks)."""
    classifier = load_classifier()
    rates = []
    for camera, range_m, lens in (("fixed", 300.0, 50.0), ("drone", 90.0, 13.5)):
        spec = SceneSpec(
            seed=99,
            camera=camera,
            range_m=range_m,
            group_size=9,
            children=5,
            formation="file",
            animals=("deer", "coyote"),
            vehicle=True,
            focal_mm=lens,
            frames=frames + 20,
        )
        scene = build(spec)
        rendered = [(i, f) for i, f, _ in scene.frames()]
        passes = []
        for _ in range(repeats):
            detector = detector_for(scene, classifier)
            for i, frame in rendered[:20]:  # learning period, not timed
                detector.detect(frame, scene.reported_poses[i])
            started = time.perf_counter()
            for i, frame in rendered[20:]:
                detector.detect(frame, scene.reported_poses[i])
            passes.append(frames / (time.perf_counter() - started))
        rates.append(float(np.median(passes)))
    return rates[0], rates[1]


def _fmt(value: object) -> str:
    return "n/a" if value is None else str(value)


def table(totals: Totals, fixed_fps: float, drone_fps: float) -> list[str]:
    """Markdown table: operating (all, fixed, drone), and on every frame."""
    columns = [
        totals.ours.summary(),
        totals.ours_fixed.summary(),
        totals.ours_drone.summary(),
        totals.every_frame.summary(),
    ]
    fps = totals.ours_frames / totals.ours_seconds if totals.ours_seconds else 0.0
    measures = [
        ("frames", "frames"),
        ("people >= 8 px (person-frames)", "people"),
        ("recall, people >= 8 px", "recall"),
        ("recall, people < 8 px", "recall_small"),
        ("false person reports per frame", "fp_per_frame"),
        ("unknown reports per frame (warm, not named)", "unknown_per_frame"),
        ("deer/coyotes not reported as people", "animals_not_people"),
        ("separable groups: exact head count", "count_exact"),
        ("separable groups: head count within ±1", "count_within_1"),
        ("separable groups: count range holds the truth", "count_range_covered"),
        ("count range width (high - low, mean)", "count_range_width"),
        ("groups scored for head count", "groups"),
        ("children count exact (where judged)", "children_exact"),
        ("group positions inside 2 sigma", "inside_2_sigma"),
    ]
    lines = [
        "| measure | operating | fixed | drone | every frame |",
        "|---|---|---|---|---|",
    ]
    for name, key in measures:
        values = [c[key] for c in columns]
        lines.append(f"| {name} | " + " | ".join(_fmt(v) for v in values) + " |")
    lines.append(
        f"| frames per second, one core | {fps:.0f} | {fixed_fps:.0f} (steady state) | "
        f"{drone_fps:.0f} (steady state) | n/a |"
    )
    return lines


SIDE_BY_SIDE = (
    ("frames scored", "frames"),
    ("people >= 8 px (person-frames)", "people"),
    ("recall, people >= 8 px", "recall"),
    ("false person reports per frame", "fp_per_frame"),
    ("deer/coyotes not reported as people", "animals_not_people"),
    ("separable groups: exact head count", "count_exact"),
    ("separable groups: head count within ±1", "count_within_1"),
    ("separable groups: count range holds the truth", "count_range_covered"),
    ("count range width (high - low, mean)", "count_range_width"),
    ("groups scored for head count", "groups"),
    ("children count exact (where judged)", "children_exact"),
    ("group positions inside 2 sigma", "inside_2_sigma"),
)


def split_table(by_split: dict[str, Totals]) -> list[str]:
    """Markdown table of the operating frames, one column per split (tuning first), the
    seeds in the header."""
    names = list(by_split)
    first = {name: SPLITS[name] for name in names}
    last = {n: first[n] + REPEATS[n] * DESIGN_SCENES - 1 for n in names}
    header = " | ".join(f"{n} (seeds {first[n]}-{last[n]})" for n in names)
    lines = [f"| measure, operating frames | {header} |", "|---" * (len(names) + 1) + "|"]
    summaries = {n: by_split[n].ours.summary() for n in names}
    for label, key in SIDE_BY_SIDE:
        lines.append(f"| {label} | " + " | ".join(_fmt(summaries[n][key]) for n in names) + " |")
    return lines


def split_line(split: str, totals: Totals) -> str:
    ours = totals.ours.summary()
    return (
        f"thermal/{split}: recall={_fmt(ours['recall'])} "
        f"fp_per_frame={_fmt(ours['fp_per_frame'])} count_exact={_fmt(ours['count_exact'])} "
        f"count_within_1={_fmt(ours['count_within_1'])} "
        f"count_range_covered={_fmt(ours['count_range_covered'])} "
        f"animals_not_people={_fmt(ours['animals_not_people'])}"
    )


def summary_line(totals: Totals, fps: float) -> str:
    ours = totals.ours.summary()
    return (
        f"thermal: recall={_fmt(ours['recall'])} fp_per_frame={_fmt(ours['fp_per_frame'])} "
        f"fps={fps:.0f}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--split",
        choices=("tuning", "held-out", "diagnostic", "both"),
        default="both",
        help="tuning (seeds 1-27, adjusted on), held-out (1001-1027), diagnostic (3001-3081, "
        "misses traced and fixed on) or both (tuning and held-out) side by side",
    )
    parser.add_argument("--frames", type=int, default=20, help="frames per scene")
    parser.add_argument("--georeferencing-scenes", type=int, default=200)
    parser.add_argument("--scenes", type=int, default=0, help="use only every n-th scene")
    parser.add_argument(
        "--throughput-frames", type=int, default=100, help="frames timed for the steady-state rate"
    )
    args = parser.parse_args(argv)
    splits = ("tuning", "held-out") if args.split == "both" else (args.split,)
    by_split: dict[str, Totals] = {}
    for split in splits:
        specs = test_set(args.frames, split)
        if args.scenes:
            specs = specs[:: args.scenes]
        print(
            f"{split}: {len(specs)} rendered scenes (simulated), seeds "
            f"{specs[0].seed}-{specs[-1].seed}, {args.frames} frames each, 640x512"
        )
        by_split[split] = run(specs)
    last = by_split[splits[-1]]
    heights = np.array(last.person_heights_px)
    print(
        f"people in the {splits[-1]} frames: {len(heights)} person-boxes, tallest "
        f"{heights.max():.0f} px, median {np.median(heights):.0f} px"
    )
    fixed_fps, drone_fps = throughput(args.throughput_frames)
    for split in splits:
        print(f"\n{split}, every column:")
        print("\n".join(table(by_split[split], fixed_fps, drone_fps)))
    print(f"\n{' and '.join(splits)}{' side by side' if len(splits) > 1 else ''} "
          "(simulated frames):")  # fmt: skip
    print("\n".join(split_table(by_split)))
    geo = georeferencing(args.georeferencing_scenes)
    print(
        f"georeferencing, one walker per scene ({geo.count()} scenes, seeds 200+, each with its "
        f"own pose errors and relief; neither split): inside 1 sigma {geo.share(None, 1)}, "
        f"inside 2 sigma {geo.share(None, 2)}; fixed cameras ({geo.count('fixed')}) "
        f"{geo.share('fixed', 2)}, drones ({geo.count('drone')}) {geo.share('drone', 2)} inside "
        "2 sigma"
    )
    for split in splits:
        print(split_line(split, by_split[split]))
    print(
        f"fps in the summary: a fixed camera in steady state, 640x512, one pinned core; "
        f"quality figures in the summary: {splits[-1]}"
    )
    print(summary_line(last, fixed_fps))
    return 0


if __name__ == "__main__":
    sys.exit(main())
