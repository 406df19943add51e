"""Evidence: the crop of a frame that produced a detection, as a small PNG.

An operator decides whether to send a team at −27 °C from what the camera saw (the seed's
operator saw small children in pink snowsuits on a night-vision camera). The crop is the
detection's box with a margin of context, stretched for the eye: thermal frames hold
kelvin or counts over a wide range, and a fixed scale would show a person at 250 m as a
few grey pixels, so the crop's own 1st to 99.5th percentiles become black to white
("white hot", the usual LWIR display). It is kept small (at most ``MAX_SIDE`` pixels a
side, enlarged by whole pixels when tiny) so a night's evidence costs kilobytes per crop.
"""

from __future__ import annotations

import io

import numpy as np
from numpy.typing import NDArray
from PIL import Image

MAX_SIDE = 160
"""The PNG's longest side, pixels (a crop is shrunk to it, or enlarged up to it)."""
MARGIN = 0.6
"""Context around the box, as a fraction of its size on each side."""
MIN_CONTEXT_PX = 12


def crop_png(frame: NDArray[np.floating] | NDArray[np.integer],
             box: tuple[int, int, int, int]) -> bytes:
    """The PNG of ``box`` (x0, y0, x1, y1; x1 and y1 past the end) of ``frame`` with its
    margin, white hot. ``ValueError`` when the box is empty or outside the frame."""
    height, width = frame.shape[:2]
    x0, y0, x1, y1 = box
    if not (0 <= x0 < x1 <= width and 0 <= y0 < y1 <= height):
        raise ValueError(f"box {box} is empty or outside the {width}x{height} frame")
    pad_x = max(MIN_CONTEXT_PX, round((x1 - x0) * MARGIN))
    pad_y = max(MIN_CONTEXT_PX, round((y1 - y0) * MARGIN))
    # A group walking abreast is a wide, low box: give it height enough to read the
    # ground and the sky around it (at least a third of the crop's width).
    pad_y = max(pad_y, round(((x1 - x0 + 2 * pad_x) / 3 - (y1 - y0)) / 2))
    crop = np.asarray(frame[max(0, y0 - pad_y):min(height, y1 + pad_y),
                            max(0, x0 - pad_x):min(width, x1 + pad_x)], dtype=np.float64)
    low, high = np.percentile(crop, [1.0, 99.5])
    scaled = (crop - low) / (high - low) if high > low else np.zeros_like(crop)
    grey = (np.clip(scaled, 0.0, 1.0) * 255.0).round().astype(np.uint8)
    image = Image.fromarray(grey)  # 2-D uint8: greyscale ("L")
    side = max(image.size)
    if side > MAX_SIDE:
        image.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.BOX)
    elif side * 2 <= MAX_SIDE:  # whole-pixel enlargement keeps what the sensor resolved
        factor = MAX_SIDE // side
        image = image.resize((image.width * factor, image.height * factor),
                             Image.Resampling.NEAREST)
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()
