"""The evidence crop (adapters/sources/thermal/snapshot.py): the box with its margin,
white hot, small; a box outside the frame is refused."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from borderwatch.adapters.sources.thermal.snapshot import MAX_SIDE, crop_png
from borderwatch.domain.evidence import PNG_SIGNATURE, Snapshot


def test_a_warm_body_is_white_on_a_dark_ground() -> None:
    frame = np.full((240, 320), 258.0)
    frame[100:140, 150:160] = 305.0  # a person, 10 x 40 pixels
    image = Image.open(io.BytesIO(crop_png(frame, (150, 100, 160, 140))))
    pixels = np.asarray(image)
    assert image.mode == "L" and max(image.size) <= MAX_SIDE
    centre = pixels[pixels.shape[0] // 2, pixels.shape[1] // 2]
    assert centre == 255 and pixels[0, 0] == 0  # the body white, the margin black
    assert image.size[1] > image.size[0]  # a standing person's crop is taller than wide


def test_a_wide_group_gets_height_and_a_big_box_is_shrunk() -> None:
    frame = np.random.default_rng(1).normal(260, 1, (480, 640))
    wide = Image.open(io.BytesIO(crop_png(frame, (100, 200, 400, 215))))
    assert wide.size[1] * 3 >= wide.size[0] - 3
    big = Image.open(io.BytesIO(crop_png(frame, (0, 0, 640, 480))))
    assert max(big.size) == MAX_SIDE


@pytest.mark.parametrize("box", [(10, 10, 10, 20), (-1, 0, 5, 5), (600, 0, 700, 10)])
def test_an_empty_or_outside_box_is_refused(box: tuple[int, int, int, int]) -> None:
    with pytest.raises(ValueError, match="outside"):
        crop_png(np.zeros((480, 640)), box)


def test_a_snapshot_must_be_a_small_png_with_a_zone() -> None:
    from datetime import UTC, datetime

    t = datetime(2025, 2, 3, tzinfo=UTC)
    with pytest.raises(ValueError, match="not a PNG"):
        Snapshot("d", "cam", t, 49.0, -111.9, b"GIF89a")
    with pytest.raises(ValueError, match="at most"):
        Snapshot("d", "cam", t, 49.0, -111.9, PNG_SIGNATURE + bytes(70_000))
    with pytest.raises(ValueError, match="time zone"):
        Snapshot("d", "cam", t.replace(tzinfo=None), 49.0, -111.9, PNG_SIGNATURE)
