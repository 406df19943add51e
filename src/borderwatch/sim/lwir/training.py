"""Shared by the classifier's training script and the benchmark: rendered scenes in, the
detector's measured candidates (with labels from the truth) or its reports out.

Training and test scenes come from disjoint seed ranges (training from 100,000 up), so the
benchmark never scores a scene the classifier saw.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from borderwatch.adapters.sources.thermal.classifier import Classifier
from borderwatch.adapters.sources.thermal.detector import Found, FrameDetector
from borderwatch.adapters.sources.thermal.scoring import Reported, TruthObject, label_candidate
from borderwatch.sim.lwir.render import F32, TruthBox, to_8bit
from borderwatch.sim.lwir.scenes import Scene, SceneSpec, build

TRAINING_SEED_BASE = 100_000


def truth_objects(truths: list[TruthBox]) -> list[TruthObject]:
    return [
        TruthObject(
            box=t.box,
            kind=t.kind,
            group_id=t.group_id,
            child=t.child if t.kind == "person" else None,
            east=t.east,
            north=t.north,
        )
        for t in truths
    ]


def detector_for(
    scene: Scene, classifier: Classifier, *, radiometric: bool = True
) -> FrameDetector:
    return FrameDetector(
        intrinsics=scene.intrinsics,
        errors=scene.errors,
        classifier=classifier,
        fixed=scene.fixed,
        radiometric=radiometric,
    )


def eight_bit_frames(scene: Scene) -> Iterator[tuple[int, F32, list[TruthBox]]]:
    """The scene's frames as an 8-bit camera delivers them (automatic gain control)."""
    agc: tuple[float, float] | None = None
    for i, frame, truth in scene.frames():
        image, agc = to_8bit(frame, agc)
        yield i, image.astype(np.float32), truth


def reported(found: Found) -> Reported:
    return Reported(
        boxes=tuple(tuple(float(x) for x in b) for b in found.members),  # type: ignore[misc]
        kind=found.kind,
        count=found.count,
        count_range=found.count_range,
        children=found.children,
        east=found.east,
        north=found.north,
        sigma_m=found.sigma_m,
    )


def training_specs(count: int) -> Iterator[SceneSpec]:
    """Varied scenes: both cameras, 80 m - 1.6 km, groups of 0-9, animals, vehicles,
    night and dawn, clear and snowing, a NUC jump now and then."""
    rng = np.random.default_rng(TRAINING_SEED_BASE)
    for i in range(count):
        drone = rng.random() < 0.35
        size = int(rng.integers(0, 10))
        yield SceneSpec(
            seed=TRAINING_SEED_BASE + i,
            camera="drone" if drone else "fixed",
            range_m=float(rng.uniform(50, 130))
            if drone
            else float(np.exp(rng.uniform(np.log(80), np.log(1600)))),
            group_size=size,
            children=int(rng.integers(0, size + 1)) if size else 0,
            formation=str(rng.choice(["file", "abreast", "mixed"])),
            animals=tuple(
                str(a) for a in rng.choice(["deer", "coyote"], size=int(rng.integers(0, 4)))
            ),
            vehicle=bool(rng.random() < 0.4),
            trees=int(rng.integers(0, 6)),
            rocks=int(rng.integers(0, 10)),
            dawn=bool(rng.random() < 0.4),
            frames=14,
            focal_mm=float(rng.choice([13.5, 19.0]))
            if drone
            else float(rng.choice([25.0, 50.0, 100.0])),
            pitch_um=12.0,
            mast_m=float(rng.uniform(8, 30)),
            drone_tilt_deg=float(rng.choice([90.0, 70.0, 55.0])),
            extinction_per_km=float(rng.choice([0.15, 0.15, 0.8])),
            nuc_at=int(rng.integers(3, 10)) if rng.random() < 0.3 else None,
        )


def labelled_candidates(
    spec: SceneSpec, classifier: Classifier
) -> Iterator[tuple[np.ndarray, str]]:
    """(features, label) for every candidate in every frame of a scene."""
    scene = build(spec)
    # One scene in four as an 8-bit camera delivers it, so the classifier knows both.
    eight_bit = spec.seed % 4 == 3
    detector = detector_for(scene, classifier, radiometric=not eight_bit)
    frames = eight_bit_frames(scene) if eight_bit else scene.frames()
    for i, frame, truth in frames:
        objects = truth_objects(truth)
        bodies = []
        for m in detector.measure(frame, scene.reported_poses[i]):
            label = label_candidate(m.blob, objects)
            if label != "clutter":
                bodies.append(m.blob)
            yield m.features, label
        # The background learns as in operation, with the truth standing in for the
        # classifier's judgement of which blobs are bodies.
        detector.learn(bodies)
