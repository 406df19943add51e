"""What warm and cold things look like to a thermal camera: bodies built of parts.

Each body is a few ellipsoids and boxes in its own frame (metres: ``along`` its heading,
``across`` to its right, ``up``), each at a surface temperature relative to the air. The
figures follow docs/references.md ("Thermal imaging"):

- A walker in winter clothing: hot face and neck, warm hands, a torso 5-15 K above the air,
  legs slightly above it (insulated clothing shows a cool outer surface; heat leaks at face,
  hands, neck and seams). Exposed skin is 33 °C, a cooled face ~20 °C.
- A small child: standing height 1.0-1.4 m (adult 1.6-1.85 m) and a larger head-to-body ratio
  (head ~1/5 of the height at age 5 against ~1/7.5 for an adult: the usual anthropometric
  proportions, e.g. NASA-STD-3000 vol. I, section 3).
- Deer and coyotes: fur a few K above the air, hot eyes and nose, cold legs; a white-tailed
  deer is ~1.6-1.9 m long and ~1 m at the shoulder, a coyote ~1.0-1.3 m long (nose to
  rump) and ~0.6 m at the shoulder.
- Vehicles: hot engine, grille, exhaust and tyres; cold glass, which reflects the cold sky.
- Trees and rocks: near the air temperature at night (snow is colder, it radiates to the
  sky); at dawn their sunlit surfaces warm by several K.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from borderwatch.sim.lwir.physics import CLEAR_SKY_C, KELVIN_0C


@dataclass(frozen=True)
class Part:
    """An ellipsoid or a box in the body frame, at a surface temperature (kelvin)."""

    along: float
    across: float
    up: float
    """Centre, metres."""
    semi_along: float
    semi_across: float
    semi_up: float
    temperature_k: float
    box: bool = False


def walker(
    rng: np.random.Generator, air_k: float, *, child: bool, height_m: float | None = None
) -> tuple[tuple[Part, ...], float]:
    """A person walking in winter clothing; returns (parts, standing height in metres)."""
    h = (
        height_m
        if height_m is not None
        else (rng.uniform(1.0, 1.4) if child else rng.uniform(1.6, 1.85))
    )
    head_frac = 0.19 if child else 0.135
    head_semi = head_frac * h / 2.0
    torso_k = air_k + rng.uniform(5.0, 15.0)
    legs_k = air_k + rng.uniform(1.0, 4.0)
    hood_k = air_k + rng.uniform(8.0, 18.0)
    face_k = KELVIN_0C + rng.uniform(15.0, 26.0)
    shoulders = (0.16 if child else 0.22) * (h / 1.75 if child else 1.0)
    leg_top = 0.47 * h
    torso_top = h - 2 * head_semi - 0.04 * h
    parts = (
        Part(0.0, 0.0, leg_top / 2, 0.12, shoulders * 0.6, leg_top / 2, legs_k, box=True),
        Part(
            0.0,
            0.0,
            (leg_top + torso_top) / 2,
            0.14,
            shoulders,
            (torso_top - leg_top) / 2 + 0.03,
            torso_k,
        ),
        Part(0.02, -shoulders - 0.03, 0.45 * h, 0.05, 0.045, 0.05, air_k + rng.uniform(8, 16)),
        Part(0.02, shoulders + 0.03, 0.45 * h, 0.05, 0.045, 0.05, air_k + rng.uniform(8, 16)),
        Part(0.0, 0.0, torso_top + 0.02 * h, 0.06, 0.07, 0.03 * h, air_k + rng.uniform(15, 25)),
        Part(0.0, 0.0, h - head_semi, 0.11, 0.1, head_semi, hood_k),
        Part(0.07, 0.0, h - head_semi * 1.1, 0.05, 0.07, head_semi * 0.6, face_k),
    )
    return parts, h


def quadruped(rng: np.random.Generator, air_k: float, species: str) -> tuple[Part, ...]:
    """A deer or a coyote standing or walking; head toward +along."""
    if species == "deer":
        length, shoulder, girth = rng.uniform(1.6, 1.9), rng.uniform(0.9, 1.05), 0.22
    else:
        length, shoulder, girth = rng.uniform(1.0, 1.25), rng.uniform(0.55, 0.65), 0.14
    fur_k = air_k + rng.uniform(2.0, 6.0)
    half = length / 2.0
    leg_h = shoulder * 0.62
    body_semi_up = shoulder * 0.2
    body_up = leg_h + body_semi_up * 0.8
    head_up = shoulder * (1.35 if species == "deer" else 1.05)
    legs = tuple(
        Part(
            sx * half * 0.7,
            sy * girth * 0.6,
            leg_h / 2,
            0.035,
            0.035,
            leg_h / 2,
            air_k + rng.uniform(0.5, 2.0),
            box=True,
        )
        for sx in (-1, 1)
        for sy in (-1, 1)
    )
    return (
        *legs,
        Part(0.0, 0.0, body_up, half * 0.8, girth, body_semi_up, fur_k),
        Part(
            half * 0.8,
            0.0,
            (body_up + head_up) / 2,
            0.1,
            girth * 0.5,
            (head_up - body_up) / 2,
            fur_k + 1.0,
        ),
        Part(half, 0.0, head_up, 0.13, girth * 0.45, 0.08, fur_k + 3.0),
        Part(half + 0.1, 0.0, head_up, 0.04, 0.05, 0.035, air_k + rng.uniform(15, 25)),
        Part(-half * 0.85, 0.0, body_up, 0.12, 0.05, 0.05, fur_k - 1.0),
    )


def vehicle(rng: np.random.Generator, air_k: float, *, engine_on: bool = True) -> tuple[Part, ...]:
    """A pickup or SUV, front toward +along."""
    length, width = rng.uniform(4.6, 5.6), rng.uniform(1.8, 2.0)
    half, semi_w = length / 2, width / 2
    warm = rng.uniform(25, 45) if engine_on else rng.uniform(0, 3)
    glass_k = CLEAR_SKY_C + KELVIN_0C + 15.0  # glass reflects the cold sky
    tyre_k = air_k + (rng.uniform(8, 20) if engine_on else 1.0)
    wheels = tuple(
        Part(sx * half * 0.62, sy * semi_w * 0.95, 0.38, 0.38, 0.12, 0.38, tyre_k, box=True)
        for sx in (-1, 1)
        for sy in (-1, 1)
    )
    return (
        Part(0.0, 0.0, 0.85, half, semi_w, 0.4, air_k + rng.uniform(1, 4), box=True),
        *wheels,
        Part(-0.2, 0.0, 1.5, half * 0.35, semi_w * 0.92, 0.28, glass_k, box=True),
        Part(half * 0.7, 0.0, 1.2, half * 0.3, semi_w * 0.9, 0.05, air_k + warm, box=True),
        Part(half - 0.05, 0.0, 0.75, 0.06, semi_w * 0.85, 0.3, air_k + warm + 10, box=True),
        Part(-half, semi_w * 0.6, 0.35, 0.08, 0.06, 0.06, air_k + (80 if engine_on else 1)),
    )


def tree(rng: np.random.Generator, air_k: float, *, dawn: bool) -> tuple[Part, ...]:
    """A conifer: trunk and canopy near the air temperature, warmer where the sun reaches."""
    h = rng.uniform(4.0, 12.0)
    sun = rng.uniform(2.0, 6.0) if dawn else 0.0
    return (
        Part(
            0.0, 0.0, h * 0.15, 0.12, 0.12, h * 0.15, air_k + rng.uniform(0.5, 2.0) + sun, box=True
        ),
        Part(0.0, 0.0, h * 0.6, h * 0.18, h * 0.18, h * 0.42, air_k + rng.uniform(0.5, 2.5) + sun),
    )


def rock(rng: np.random.Generator, air_k: float, *, dawn: bool) -> tuple[Part, ...]:
    """A boulder sticking out of the snow: warmer than snow by its stored heat (and sun)."""
    size = rng.uniform(0.3, 1.2)
    sun = rng.uniform(2.0, 7.0) if dawn else 0.0
    return (
        Part(
            0.0,
            0.0,
            size * 0.3,
            size,
            size * rng.uniform(0.6, 1.0),
            size * 0.5,
            air_k + rng.uniform(1.0, 3.5) + sun,
        ),
    )
