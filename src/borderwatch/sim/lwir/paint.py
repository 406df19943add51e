"""Paint bodies into a radiance image: parts projected through the camera, 16 sub-samples
per pixel, far to near (step 2 of ``render.py``).

Each body is a few ellipsoids and boxes (``bodies.py``). Near the body the camera is affine:
its image offset per metre east, north and up at the body's foot (one projection of three
unit steps) maps each part to an ellipse or a parallelogram's bounding box in pixels. A pixel
that a body covers in part receives the mean of the body's and the background's radiances
over its 4 x 4 sub-samples (a pixel sees the mean radiance, not the mean temperature).

All bodies' geometry is computed at once; far bodies of a few pixels (most of a wide view)
are covered all at once, larger ones part by part on their own bounding boxes. The result is
the same, to rounding, as painting each part of each body in turn.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from borderwatch.adapters.sources.thermal.camera import Intrinsics, Pose, project
from borderwatch.sim.lwir.bodies import Part
from borderwatch.sim.lwir.physics import temperature_to_radiance, transmittance
from borderwatch.sim.lwir.render import F64, SUBSAMPLES, Body, Conditions, TruthBox


def paint(
    radiance: F64, intr: Intrinsics, pose: Pose, cond: Conditions, bodies: list[Body]
) -> list[TruthBox]:
    """Paint bodies into ``radiance`` (in place), far to near; return their truth boxes."""
    if not bodies:
        return []
    east = np.array([b.east for b in bodies], float)
    north = np.array([b.north for b in bodies], float)
    up = np.array([b.ground_up for b in bodies], float)
    feet_u, feet_v, depth = project(pose, intr, east, north, up)
    # Each body's local affine camera: its image offset per metre east, north and up, from
    # one projection of three unit steps per body (all bodies at once).
    steps = np.eye(3)
    step_u, step_v, _ = project(
        pose,
        intr,
        (east[:, None] + steps[0]).ravel(),
        (north[:, None] + steps[1]).ravel(),
        (up[:, None] + steps[2]).ravel(),
    )
    # A body whose foot is further outside the image than the body can reach is not
    # painted (its reach: its size in metres times the largest image step per metre).
    reach = np.array([_shape(b.parts).reach_m for b in bodies]) * np.sqrt(
        (step_u.reshape(-1, 3) - feet_u[:, None]) ** 2
        + (step_v.reshape(-1, 3) - feet_v[:, None]) ** 2
    ).sum(axis=1)
    with np.errstate(invalid="ignore"):
        seen = (
            (depth > 1.0)
            & (feet_u > -reach)
            & (feet_u < intr.width_px + reach)
            & (feet_v > -reach)
            & (feet_v < intr.height_px + reach)
        )
    # Far to near; the geometry of every part of every body at once, then body by body.
    placed = np.flatnonzero(seen)
    placed = placed[np.argsort(-depth[placed], kind="stable")]
    if not len(placed):
        return []
    shapes = [_shape(bodies[i].parts) for i in placed]
    sizes = np.array([len(sh.offsets) for sh in shapes])
    owner = np.repeat(np.arange(len(placed)), sizes)
    offsets = np.concatenate([sh.offsets for sh in shapes])
    boxes = np.concatenate([sh.boxes for sh in shapes])
    psi = np.radians([bodies[i].heading_deg for i in placed])
    sin, cos, zero = np.sin(psi), np.cos(psi), np.zeros(len(placed))
    # Body axes in (east, north, up): along the heading, to its right, up (columns).
    rot = np.stack(
        [
            np.stack([sin, cos, zero], axis=1),
            np.stack([cos, -sin, zero], axis=1),
            np.stack([zero, zero, zero + 1.0], axis=1),
        ],
        axis=2,
    )
    jac = np.stack(
        [
            step_u.reshape(-1, 3)[placed] - feet_u[placed, None],
            step_v.reshape(-1, 3)[placed] - feet_v[placed, None],
        ],
        axis=1,
    )
    image_of = (jac @ rot)[owner]  # (parts, 2, 3): body metres -> pixels
    # Along the line of sight, per part: which parts are in front of which.
    nearness = -np.einsum("pk,pk->p", offsets, (rot.transpose(0, 2, 1) @ _forward(pose))[owner])
    centres = np.einsum("pij,pj->pi", image_of, offsets)  # pixels from the foot
    scaled = image_of * np.concatenate([sh.semis for sh in shapes])[:, None, :]
    cov = scaled @ scaled.transpose(0, 2, 1)
    semis = np.where(
        boxes[:, None],
        np.abs(scaled).sum(axis=2),
        np.sqrt(np.stack([cov[:, 0, 0], cov[:, 1, 1]], axis=1)),
    )
    # Inverse shape matrices of the ellipsoids' outlines (2 x 2, in closed form).
    a, b, d = cov[:, 0, 0] + 1e-9, cov[:, 0, 1], cov[:, 1, 1] + 1e-9
    det = a * d - b * b
    inverse = np.stack([d / det, -b / det, a / det], axis=1)
    sky_l = float(temperature_to_radiance(cond.sky_k))
    air_l = float(temperature_to_radiance(cond.air_k))
    tau = transmittance(depth[placed], cond.extinction_per_km)
    radiances = (
        tau[owner] * np.concatenate([_emitted(bodies[i].parts, sky_l) for i in placed])
        + (1.0 - tau[owner]) * air_l
    )
    starts = np.concatenate([[0], np.cumsum(sizes)])
    painted = [
        _Painted(
            order=np.argsort(nearness[starts[n] : starts[n + 1]], kind="stable"),
            centres=centres[starts[n] : starts[n + 1]],
            semis=semis[starts[n] : starts[n + 1]],
            boxes=boxes[starts[n] : starts[n + 1]],
            inverse=inverse[starts[n] : starts[n + 1]],
            radiances=radiances[starts[n] : starts[n + 1]],
        )
        for n in range(len(placed))
    ]
    h, w = radiance.shape
    windows = [
        _window(p, float(feet_u[i]), float(feet_v[i]), h, w)
        for p, i in zip(painted, placed, strict=True)
    ]
    # Far bodies of a few pixels (most of a wide view) are covered all at once, larger ones
    # one by one; then every body is laid over the image, far to near.
    small = [
        n
        for n, win in enumerate(windows)
        if win is not None
        and (win[1] - win[0]) * (win[3] - win[2]) * SUBSAMPLES**2 * len(painted[n].order)
        <= _SMALL_BODY
    ]
    coverage: dict[int, tuple[F64, F64]] = dict(
        zip(
            small,
            _cover_many(
                [painted[n] for n in small],
                [windows[n] for n in small],  # type: ignore[misc]
                [(float(feet_u[placed[n]]), float(feet_v[placed[n]])) for n in small],
            ),
            strict=True,
        )
    )
    truths = []
    for n, i in enumerate(placed):
        win = windows[n]
        if win is None:
            continue
        fu, fv = float(feet_u[i]), float(feet_v[i])
        alpha, summed = coverage.get(n) or _cover_large(painted[n], win, fu, fv)
        truth = _lay(radiance, pose, bodies[i], fu, fv, win, alpha, summed)
        if truth is not None:
            truths.append(truth)
    return truths


@dataclass(frozen=True)
class _Shape:
    """A body's parts as arrays (a body keeps its parts: made once per body)."""

    offsets: F64
    """(parts, 3) centres, metres along, across, up."""
    semis: F64
    boxes: NDArray[np.bool_]
    temperatures: F64
    reach_m: float
    """No point of the body is further than this from its foot."""


_SHAPES: dict[int, tuple[tuple[Part, ...], _Shape]] = {}


def _shape(parts: tuple[Part, ...]) -> _Shape:
    # Keyed by identity (a body's parts tuple lives as long as the body; hashing seven
    # parts every frame costs more than the painting of a far body). The tuple is kept
    # with its shape so that its id cannot be reused while cached.
    hit = _SHAPES.get(id(parts))
    if hit is not None and hit[0] is parts:
        return hit[1]
    if len(_SHAPES) > 4096:
        _SHAPES.clear()
    offsets = np.array([[p.along, p.across, p.up] for p in parts], float)
    semis = np.array([[p.semi_along, p.semi_across, p.semi_up] for p in parts], float)
    shape = _Shape(
        offsets=offsets,
        semis=semis,
        boxes=np.array([p.box for p in parts]),
        temperatures=np.array([p.temperature_k for p in parts], float),
        # A box's corner is within the sum of its semi-axes of its centre (and an ellipsoid's
        # surface within its largest): a safe bound for both.
        reach_m=float((np.linalg.norm(offsets, axis=1) + semis.sum(axis=1)).max()),
    )
    _SHAPES[id(parts)] = (parts, shape)
    return shape


_EMITTED: dict[tuple[int, float], tuple[tuple[Part, ...], F64]] = {}


def _emitted(parts: tuple[Part, ...], sky_l: float) -> F64:
    """Radiance leaving each part: emissivity 0.98 and the sky it reflects. A body's parts
    keep their temperatures, so this is computed once per body and sky (cached as
    :func:`_shape`)."""
    hit = _EMITTED.get((id(parts), sky_l))
    if hit is not None and hit[0] is parts:
        return hit[1]
    if len(_EMITTED) > 4096:
        _EMITTED.clear()
    own = temperature_to_radiance(_shape(parts).temperatures)
    emitted = np.asarray(0.98 * own + 0.02 * sky_l, float)
    _EMITTED[(id(parts), sky_l)] = (parts, emitted)
    return emitted


@dataclass(frozen=True)
class _Painted:
    """One body's parts in the image, relative to its foot (pixels)."""

    order: NDArray[np.intp]
    """Far parts first."""
    centres: F64
    semis: F64
    """Half extents (u, v) of each part's outline."""
    boxes: NDArray[np.bool_]
    inverse: F64
    """(i00, i01, i11) of each ellipse's inverse shape matrix."""
    radiances: F64
    """What each part sends to the camera, through the air."""


Window = tuple[int, int, int, int]
"""(r0, r1, c0, c1): the pixels a body may cover, clipped to the image."""


def _window(parts: _Painted, fu: float, fv: float, h: int, w: int) -> Window | None:
    foot = np.array([fu, fv])
    lo = (parts.centres - parts.semis).min(axis=0) + foot
    hi = (parts.centres + parts.semis).max(axis=0) + foot
    c0, r0 = max(math.floor(lo[0]), 0), max(math.floor(lo[1]), 0)
    c1, r1 = min(math.ceil(hi[0]), w), min(math.ceil(hi[1]), h)
    if c1 <= c0 or r1 <= r0:
        return None
    return r0, r1, c0, c1


def _subsamples(first: int, pixels: int, foot: float) -> F64:
    """Sub-sample centres (4 per pixel) of ``pixels`` pixels from ``first``, from the foot."""
    return first + (np.arange(pixels * SUBSAMPLES) + 0.5) / SUBSAMPLES - foot


def _cover_large(parts: _Painted, win: Window, fu: float, fv: float) -> tuple[F64, F64]:
    """(alpha, radiance sum / 16) per pixel of a body's window, part by part: far parts
    first, near ones over them, each tested only on the sub-samples of its own bounding box
    (one sub-sample of margin), which is where it can be."""
    r0, r1, c0, c1 = win
    step = 1.0 / SUBSAMPLES
    xs = _subsamples(c0, c1 - c0, fu)
    ys = _subsamples(r0, r1 - r0, fv)
    fine = np.full((len(ys), len(xs)), np.nan)
    for k in parts.order:
        cx, cy = parts.centres[k]
        sx, sy = parts.semis[k]
        j0, j1 = _span(xs, cx - sx, cx + sx, c0 - fu, step)
        i0, i1 = _span(ys, cy - sy, cy + sy, r0 - fv, step)
        if j1 <= j0 or i1 <= i0:
            continue
        inside = _inside(
            xs[None, j0:j1] - cx, ys[i0:i1, None] - cy, k, parts.semis, parts.boxes, parts.inverse
        )
        fine[i0:i1, j0:j1][inside] = parts.radiances[k]
    covered = np.isfinite(fine)
    shape = (r1 - r0, SUBSAMPLES, c1 - c0, SUBSAMPLES)
    alpha = covered.reshape(shape).mean(axis=(1, 3))
    summed = np.where(covered, fine, 0.0).reshape(shape).sum(axis=(1, 3)) / SUBSAMPLES**2
    return alpha, summed


def _cover_many(
    bodies: list[_Painted], windows: list[Window], feet: list[tuple[float, float]]
) -> list[tuple[F64, F64]]:
    """:func:`_cover_large` for many small bodies at once: every body's sub-samples against
    every one of its parts in one array (padded to the largest body and part count)."""
    if not bodies:
        return []
    count = len(bodies)
    rows = max(r1 - r0 for r0, r1, _, _ in windows)
    cols = max(c1 - c0 for _, _, c0, c1 in windows)
    most = max(len(b.order) for b in bodies)
    xs = np.full((count, cols * SUBSAMPLES), np.nan)
    ys = np.full((count, rows * SUBSAMPLES), np.nan)
    # Parts in painting order (far first), padded at the front with parts that cover nothing.
    cx, cy = np.zeros((count, most)), np.zeros((count, most))
    sx, sy = np.full((count, most), -1.0), np.full((count, most), -1.0)
    box = np.ones((count, most), bool)
    inv = np.zeros((count, most, 3))
    rad = np.zeros((count, most))
    for b, (parts, (r0, r1, c0, c1), (fu, fv)) in enumerate(
        zip(bodies, windows, feet, strict=True)
    ):
        xs[b, : (c1 - c0) * SUBSAMPLES] = _subsamples(c0, c1 - c0, fu)
        ys[b, : (r1 - r0) * SUBSAMPLES] = _subsamples(r0, r1 - r0, fv)
        k = parts.order
        pad = most - len(k)
        cx[b, pad:], cy[b, pad:] = parts.centres[k, 0], parts.centres[k, 1]
        sx[b, pad:], sy[b, pad:] = parts.semis[k, 0], parts.semis[k, 1]
        box[b, pad:] = parts.boxes[k]
        inv[b, pad:] = parts.inverse[k]
        rad[b, pad:] = parts.radiances[k]
    dx = xs[:, None, None, :] - cx[:, :, None, None]
    dy = ys[:, None, :, None] - cy[:, :, None, None]
    with np.errstate(invalid="ignore"):
        in_box = (np.abs(dx) <= sx[:, :, None, None]) & (np.abs(dy) <= sy[:, :, None, None])
        q = (
            inv[:, :, 0, None, None] * dx * dx
            + 2 * inv[:, :, 1, None, None] * dx * dy
            + inv[:, :, 2, None, None] * dy * dy
        )
        inside = np.where(box[:, :, None, None], in_box, q <= 1.0)
    # The last part (in painting order) that covers a sub-sample is the one seen there.
    last = most - 1 - np.argmax(inside[:, ::-1], axis=1)
    covered = inside.any(axis=1)
    fine = np.where(covered, np.take_along_axis(rad[:, :, None, None], last[:, None], 1)[:, 0], 0.0)
    shape = (count, rows, SUBSAMPLES, cols, SUBSAMPLES)
    alpha = covered.reshape(shape).mean(axis=(2, 4))
    summed = fine.reshape(shape).sum(axis=(2, 4)) / SUBSAMPLES**2
    return [
        (alpha[b, : r1 - r0, : c1 - c0], summed[b, : r1 - r0, : c1 - c0])
        for b, (r0, r1, c0, c1) in enumerate(windows)
    ]


def _lay(
    radiance: F64,
    pose: Pose,
    body: Body,
    fu: float,
    fv: float,
    win: Window,
    alpha: F64,
    summed: F64,
) -> TruthBox | None:
    """Lay a body over the image (its coverage and radiance per pixel); its truth box."""
    if not (alpha > 0.0).any():
        return None
    r0, r1, c0, c1 = win
    window = radiance[r0:r1, c0:c1]
    window[...] = window * (1.0 - alpha) + summed
    rows, cols = np.nonzero(alpha > 0.0)
    box = (
        float(c0 + cols.min()),
        float(r0 + rows.min()),
        float(c0 + cols.max() + 1),
        float(r0 + rows.max() + 1),
    )
    horizontal = math.hypot(body.east, body.north)
    return TruthBox(
        body_id=body.body_id,
        kind=body.kind,
        group_id=body.group_id,
        child=body.child,
        box=box,
        foot_u=fu,
        foot_v=fv,
        east=body.east,
        north=body.north,
        range_m=math.hypot(horizontal, pose.height_m - body.ground_up),
        height_m=body.height_m,
    )


def _inside(dx: F64, dy: F64, k: int, semis: F64, boxes: NDArray[np.bool_], inverse: F64) -> Any:
    """Which sub-samples (offsets dx, dy from part k's centre, pixels) part k covers."""
    if boxes[k]:
        return (np.abs(dx) <= semis[k, 0]) & (np.abs(dy) <= semis[k, 1])
    i00, i01, i11 = inverse[k]
    return i00 * dx * dx + 2 * i01 * dx * dy + i11 * dy * dy <= 1.0


_SMALL_BODY = 20_000
"""Below this many sub-sample tests a body's parts are tested all at once (a far body: a
few pixels, where a loop over its parts costs more than the tests)."""


def _span(coords: F64, low: float, high: float, first: float, step: float) -> tuple[int, int]:
    """Index range of the evenly spaced ``coords`` (``first + (k + 0.5) * step``) that holds
    every coordinate in [low, high], with one sample of margin for rounding."""
    start = max(math.floor((low - first) / step - 0.5) - 1, 0)
    stop = min(math.ceil((high - first) / step - 0.5) + 2, len(coords))
    return start, stop


def _forward(pose: Pose) -> F64:
    az, tilt = math.radians(pose.azimuth_deg), math.radians(pose.tilt_deg)
    return np.array([math.sin(az) * math.cos(tilt), math.cos(az) * math.cos(tilt), -math.sin(tilt)])
