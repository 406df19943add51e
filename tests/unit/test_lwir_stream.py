"""The incremental frame renderer (sim/lwir/stream.py) against the reference path
(``Sensor.apply`` on a fully painted and blurred frame), and its table noise."""

from __future__ import annotations

import dataclasses

import numpy as np

from borderwatch.adapters.sources.thermal.camera import Intrinsics, Pose
from borderwatch.sim.lwir import bodies as make
from borderwatch.sim.lwir.paint import paint
from borderwatch.sim.lwir.physics import noise_temperature_k
from borderwatch.sim.lwir.render import Body, Conditions, Sensor, background
from borderwatch.sim.lwir.stream import FrameStream, standard_normal

INTR = Intrinsics(width_px=160, height_px=128, focal_mm=25.0, pitch_um=12.0)
POSE = Pose(lat=49.0, lon=-111.9, height_m=15.0, azimuth_deg=180.0, tilt_deg=6.5)
PHASES = np.array([0.3, 1.1, 2.0])


def _walkers(cond: Conditions, east: float) -> list[Body]:
    rng = np.random.default_rng(5)
    out = []
    for m, child in enumerate((False, True, False)):
        parts, height = make.walker(rng, cond.air_k, child=child)
        out.append(
            Body(
                body_id=f"p{m}",
                kind="person",
                parts=parts,
                east=east + 2.0 * m,
                north=-120.0,
                heading_deg=90.0,
                child=child,
                height_m=height,
            )
        )
    return out


def _reference(cond: Conditions, bodies: list[Body], seed: int) -> np.ndarray:
    radiance = background(INTR, POSE, cond, PHASES)
    paint(radiance, INTR, POSE, cond, bodies)
    sensor = Sensor(intrinsics=INTR, rng=np.random.default_rng(seed), conditions=cond)
    return sensor.apply(0, radiance)


def test_without_noise_the_stream_is_the_reference_frame() -> None:
    # NETD 0: only the composition differs (movers blurred in their own windows, the rest
    # from the cached blurred background); the fixed pattern and offset draws are the same.
    cond = dataclasses.replace(Conditions(), netd_k=0.0)
    for east in (-3.0, -1.3, 0.0):
        bodies = _walkers(cond, east)
        stream = FrameStream(
            INTR, cond, Sensor(intrinsics=INTR, rng=np.random.default_rng(3), conditions=cond),
            PHASES,
        )  # fmt: skip
        got, truths = stream.frame(0, POSE, bodies)
        assert len(truths) == 3
        assert np.abs(got - _reference(cond, bodies, 3)).max() < 1e-3


def test_the_stream_keeps_no_trace_of_last_frames_movers() -> None:
    cond = dataclasses.replace(Conditions(), netd_k=0.0)
    stream = FrameStream(
        INTR, cond, Sensor(intrinsics=INTR, rng=np.random.default_rng(3), conditions=cond), PHASES
    )
    stream.frame(0, POSE, _walkers(cond, 0.0))
    empty, _ = stream.frame(1, POSE, [])
    still = stream.frame(2, POSE, [])[0]
    # Only the offset drift (a few mK) separates two empty frames.
    assert np.ptp(empty - still) < 1e-4


def test_the_noise_has_the_cameras_netd_in_kelvin() -> None:
    cond = Conditions()
    quiet = dataclasses.replace(cond, netd_k=0.0)
    noisy_stream = FrameStream(
        INTR, cond, Sensor(intrinsics=INTR, rng=np.random.default_rng(9), conditions=cond), PHASES
    )
    quiet_stream = FrameStream(
        INTR, quiet, Sensor(intrinsics=INTR, rng=np.random.default_rng(9), conditions=quiet),
        PHASES,
    )  # fmt: skip
    bodies = _walkers(cond, 0.0)
    noise = np.concatenate(
        [
            (noisy_stream.frame(k, POSE, bodies)[0] - quiet_stream.frame(k, POSE, bodies)[0])[
                80:, :
            ].ravel()
            for k in range(10)
        ]
    )
    # Snow at -27 °C: 50 mK at 30 °C behaves like ~0.096 K (thermal.md).
    expected = noise_temperature_k(cond.snow_k)
    assert abs(float(noise.std()) / expected - 1.0) < 0.03
    assert abs(float(noise.mean())) < 0.003


def test_table_noise_is_standard_normal_with_tails_and_fresh_every_frame() -> None:
    rng = np.random.default_rng(1)
    draws = standard_normal(rng, (2000, 1000)).astype(float)
    assert abs(draws.mean()) < 0.005 and abs(draws.std() - 1.0) < 0.005
    # P(|z| > 4) = 6.3e-5: ~127 of 2 million; beyond the table's ±4.33 the tails are drawn.
    assert 80 < int((np.abs(draws) > 4.0).sum()) < 180
    assert (np.abs(draws) > 4.4).any()
    again = standard_normal(rng, (2000, 1000)).astype(float)
    assert abs(float(np.corrcoef(draws.ravel(), again.ravel())[0, 1])) < 0.005
