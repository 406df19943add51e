"""What the scene looks like without the warm things in it: spatial and temporal models.

Spatial (every frame, any camera): a low rank (the 20th percentile) of each 16-row x 32-column
block, then the smallest of each block and its left and right neighbours, so a body up to
about two blocks wide does not raise its own background. Blocks are wider than tall because
a ground scene changes fastest with the row (range, emissivity and air path all vary with
elevation) and the wide things (vehicles, groups in a line) are wide, not tall. Rows at and
above the horizon are filled with the first ground row first: the cold sky would otherwise
sit in the same block as warm snow and every snow pixel beside it would look warm.

Temporal (a fixed radiometric camera): a running mean of each pixel, learnt over the first
frames and updated slowly where nothing warm was found. It absorbs what never moves
(warm rocks, trees, the camera's fixed-pattern residue), so only what moves or appears is a
candidate. A camera's flat-field correction (NUC) shifts every pixel's offset at once; the
global part is removed every frame (the median difference), and a jump larger than the
noise starts a new learning period, during which the spatial model is used.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

F32 = NDArray[np.float32]
Box = tuple[int, int, int, int]
BLOCK_ROWS = 16
BLOCK_COLS = 32
RANK = 0.2


def noise_sigma(frame: F32, floor: float) -> float:
    """Temporal-plus-pattern noise of a frame, from the median absolute difference of
    horizontally adjacent pixels (robust to bodies and edges): MAD / 0.6745 / sqrt(2)."""
    sample = frame[::16]
    diff = np.abs(sample[:, 1:] - sample[:, :-1])
    return max(float(np.median(diff)) / 0.6745 / float(np.sqrt(2.0)), floor)


def spatial_background(frame: F32, first_ground_row: int) -> F32:
    """Background at block resolution, shape (rows / 16, cols / 32) (see the module doc)."""
    h, w = frame.shape
    if first_ground_row > 0:
        frame = frame.copy()
        row = min(first_ground_row, h - 1)
        frame[:row] = frame[row]
    rows, cols = h // BLOCK_ROWS, w // BLOCK_COLS
    blocks = frame[: rows * BLOCK_ROWS : 2, : cols * BLOCK_COLS : 2].reshape(
        rows, BLOCK_ROWS // 2, cols, BLOCK_COLS // 2
    )
    flat = blocks.transpose(0, 2, 1, 3).reshape(rows, cols, -1)
    k = int(RANK * flat.shape[-1])
    low = np.partition(flat, k, axis=-1)[..., k]
    padded = np.pad(low, ((0, 0), (1, 1)), mode="edge")
    return np.minimum(np.minimum(padded[:, :-2], padded[:, 1:-1]), padded[:, 2:])


def expand(coarse: F32, shape: tuple[int, int]) -> F32:
    """Block values back to full resolution (nearest block; edges repeat the last block)."""
    full = np.repeat(np.repeat(coarse, BLOCK_ROWS, axis=0), BLOCK_COLS, axis=1)
    h, w = shape
    if full.shape[0] < h:
        full = np.pad(full, ((0, h - full.shape[0]), (0, 0)), mode="edge")
    if full.shape[1] < w:
        full = np.pad(full, ((0, 0), (0, w - full.shape[1])), mode="edge")
    return full[:h, :w]


@dataclass
class TemporalBackground:
    """Per-pixel running mean for a fixed camera, with re-learning after NUC jumps."""

    learn_frames: int = 8
    """Frames of learning after a start or a jump (the spatial model serves meanwhile)."""
    rate: float = 0.05
    """Update rate where nothing was found (a time constant of 20 frames)."""
    rate_foreground: float = 0.002
    """Update rate under candidates: something that stays put for minutes is absorbed."""
    jump_sigmas: float = 4.0
    """A change of the global offset larger than this many noise sigmas is a NUC jump."""
    margin: int = 2
    """Pixels around a body's box kept out of the update with it."""
    mean: F32 | None = None
    learnt: int = 0
    offset: float = 0.0
    jumps: int = 0

    @property
    def ready(self) -> bool:
        return self.mean is not None and self.learnt >= self.learn_frames

    def difference(self, frame: F32, sigma: float) -> F32 | None:
        """frame - background with the global offset removed, or None while learning.
        Detects a NUC jump and restarts learning then."""
        if self.mean is None:
            return None
        sample = (frame[::8, ::8] - self.mean[::8, ::8]).ravel()
        offset = float(np.median(sample))
        if self.ready and abs(offset - self.offset) > self.jump_sigmas * sigma:
            self.jumps += 1
            self.restart()
            return None
        self.offset = offset
        if not self.ready:
            return None
        out = np.subtract(frame, self.mean, dtype=np.float32)
        out -= np.float32(offset)  # in place: one full-frame array per frame, not two
        return out

    def restart(self) -> None:
        self.mean = None
        self.learnt = 0
        self.offset = 0.0

    def update(
        self,
        frame: F32,
        bodies: Sequence[Box],
        fill: F32,
        contrast: F32 | None = None,
    ) -> None:
        """Learn from a frame; ``bodies`` are the pixel boxes (u0, v0, u1, v1) of what was
        judged a body (people, animals, vehicles), grown here by ``margin`` pixels (the blur
        halo of a warm body is above the noise too). While learning, ``fill`` (the spatial
        background) stands in under them, so a person present from the first frame is not
        learnt as scenery. ``contrast``: this frame's :meth:`difference`, which is the step
        the running mean takes (frame less offset less mean); it is scaled in place."""
        h, w = frame.shape
        boxes = [
            (slice(max(v0 - self.margin, 0), min(v1 + self.margin, h)),
             slice(max(u0 - self.margin, 0), min(u1 + self.margin, w)))
            for u0, v0, u1, v1 in bodies
        ]  # fmt: skip
        if self.mean is None:
            self.mean = np.array(frame, dtype=np.float32)
            for box in boxes:
                self.mean[box] = fill[box]
            self.learnt = 1
            return
        if self.learnt < self.learn_frames:
            source = np.subtract(frame, np.float32(self.offset), dtype=np.float32)
            for box in boxes:
                source[box] = fill[box]
            source -= self.mean
            source *= np.float32(1.0 / (self.learnt + 1))
            self.mean += source
            self.learnt += 1
            return
        # Every other frame at twice the rate: the same time constant for half the cost.
        self.learnt += 1
        if self.learnt % 2:
            return
        if contrast is None:
            step = np.subtract(frame, np.float32(self.offset), dtype=np.float32)
            step -= self.mean
        else:
            step = contrast
        # Under the bodies the slow rate, assigned (not multiplied) so overlapping boxes
        # are not slowed twice.
        under = [step[box] * np.float32(2 * self.rate_foreground) for box in boxes]
        step *= np.float32(2 * self.rate)
        for box, values in zip(boxes, under, strict=True):
            step[box] = values
        self.mean += step
