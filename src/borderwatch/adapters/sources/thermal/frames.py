"""Frame readers: a folder of TIFF/PNG images, a ``.npy`` stack, or a video file.

Each reader yields, in order, either a :class:`Frame` or a :class:`FrameProblem` that names
the frame and says what is wrong with it (corrupt file, wrong bit depth, wrong size, colour
image): one bad frame never loses the others. An input that cannot be opened at all is an
:class:`~borderwatch.domain.InputError`.

Pixel values: 16-bit frames are radiometric when the camera says so (kelvin = counts x
``kelvin_per_count`` + ``offset_k``; 0.01 K per count is the usual "TLinear" scale), else
relative counts; 8-bit frames (and video) went through the camera's automatic gain control
and are relative; floating-point ``.npy`` stacks are taken as kelvin. The detector works in
units of each frame's own noise, so relative frames are fine; only its temporal background
model needs radiometric frames.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from borderwatch.domain import InputError

F32 = NDArray[np.float32]
IMAGE_SUFFIXES = (".tif", ".tiff", ".png")
VIDEO_SUFFIXES = (".mp4", ".avi", ".mkv", ".mov", ".mpg", ".mpeg", ".m4v", ".ts")


@dataclass(frozen=True, eq=False)
class Frame:
    index: int
    name: str
    values: F32
    radiometric: bool
    """Values are kelvin."""
    bit_depth: int
    """8, 16, or 32 for floating-point kelvin."""


@dataclass(frozen=True)
class FrameProblem:
    index: int
    name: str
    reason: str

    def __str__(self) -> str:
        return f"frame {self.name}: {self.reason}"


@dataclass(frozen=True, kw_only=True)
class Radiometry:
    kelvin_per_count: float | None = 0.01
    offset_k: float = 0.0


def list_images(folder: Path) -> list[Path]:
    """Image files of a folder in name order (zero-pad frame numbers in names)."""
    return sorted(
        p
        for p in folder.iterdir()
        if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES and not p.name.startswith(".")
    )


def frame_count(path: Path) -> int | None:
    """How many frames an input holds, when that is cheap to know (for a progress bar)."""
    if path.is_dir():
        return len(list_images(path))
    if path.suffix.lower() == ".npy":
        try:
            stack = np.load(path, mmap_mode="r", allow_pickle=False)
        except (OSError, ValueError):
            return None
        return int(stack.shape[0]) if stack.ndim == 3 else 1
    return None


def read_frames(
    path: str | Path, radiometry: Radiometry, shape: tuple[int, int] | None = None
) -> Iterator[Frame | FrameProblem]:
    """Frames of a folder, stack or video. ``shape`` (rows, columns): frames of another
    size are problems. The first good frame's bit depth holds for the run: a frame of
    another depth is a problem (the background model cannot mix them)."""
    path = Path(path)
    if not path.exists():
        raise InputError(None, "no such file or folder", source=str(path))
    if path.is_dir():
        raw = _folder(path)
    elif path.suffix.lower() == ".npy":
        raw = _stack(path)
    elif path.suffix.lower() in VIDEO_SUFFIXES:
        raw = _video(path)
    elif path.suffix.lower() in IMAGE_SUFFIXES:
        raw = _files([path])
    else:
        raise InputError(
            None,
            "frames must be a folder of TIFF/PNG images, a .npy stack or a video file",
            source=str(path),
        )
    depth: int | None = None
    for item in raw:
        if isinstance(item, FrameProblem):
            yield item
            continue
        index, name, array = item
        checked = _convert(index, name, array, radiometry, shape)
        if isinstance(checked, Frame):
            if depth is None:
                depth = checked.bit_depth
            elif checked.bit_depth != depth:
                yield FrameProblem(
                    index, name, f"{checked.bit_depth}-bit frame in a run of {depth}-bit frames"
                )
                continue
        yield checked


RawFrame = tuple[int, str, np.ndarray]


def _folder(folder: Path) -> Iterator[RawFrame | FrameProblem]:
    files = list_images(folder)
    if not files:
        raise InputError(None, "holds no .tif, .tiff or .png images", source=str(folder))
    yield from _files(files)


def _files(files: list[Path]) -> Iterator[RawFrame | FrameProblem]:
    for index, file in enumerate(files):
        try:
            yield index, file.name, _read_image(file)
        except _Unreadable as err:
            yield FrameProblem(index, file.name, str(err))


class _Unreadable(Exception):
    pass


def _read_image(file: Path) -> np.ndarray:
    if file.suffix.lower() in (".tif", ".tiff"):
        import tifffile

        try:
            array = np.asarray(tifffile.imread(file))
        except Exception as err:  # tifffile raises many types on a damaged file
            raise _Unreadable(f"not a readable TIFF ({type(err).__name__}: {err})") from None
        if array.size == 0:
            # tifffile returns an empty array (with a logged warning) for a file whose
            # header is right but whose page offsets are not.
            raise _Unreadable("not a readable TIFF (no image data)")
        return array
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(file) as image:
            image.load()
            if image.mode in ("I;16", "I;16B", "I;16L"):
                return np.asarray(image, dtype=np.uint16)
            if image.mode == "I":
                return np.asarray(image, dtype=np.int32)
            return np.asarray(image)
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as err:
        raise _Unreadable(f"not a readable PNG ({err})") from None


def _stack(path: Path) -> Iterator[RawFrame | FrameProblem]:
    try:
        stack = np.load(path, mmap_mode="r", allow_pickle=False)
    except (OSError, ValueError) as err:
        raise InputError(None, f"not a readable .npy array ({err})", source=str(path)) from None
    if stack.ndim == 2:
        stack = stack[None]
    if stack.ndim != 3:
        raise InputError(
            None,
            f"a .npy stack must be (frames, rows, columns), got shape {stack.shape}",
            source=str(path),
        )
    for index in range(stack.shape[0]):
        yield index, f"{path.name}[{index}]", np.asarray(stack[index])


def _video(path: Path) -> Iterator[RawFrame | FrameProblem]:
    try:
        import cv2
    except ImportError:
        raise InputError(
            None,
            "reading video needs OpenCV: pip install 'borderwatch[video]' (or convert the "
            "video to a folder of PNG frames)",
            source=str(path),
        ) from None
    capture = cv2.VideoCapture(str(path))
    if not capture.isOpened():
        raise InputError(None, "not a readable video", source=str(path))
    index = 0
    try:
        while True:
            ok, image = capture.read()
            if not ok:
                break
            name = f"{path.name} frame {index}"
            gray = image if image.ndim == 2 else cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
            yield index, name, np.asarray(gray)
            index += 1
    finally:
        capture.release()


def _convert(
    index: int,
    name: str,
    array: np.ndarray,
    radiometry: Radiometry,
    shape: tuple[int, int] | None,
) -> Frame | FrameProblem:
    if array.ndim == 3 and array.shape[-1] in (3, 4):
        colour = array[..., :3]
        if not (
            np.array_equal(colour[..., 0], colour[..., 1])
            and np.array_equal(colour[..., 0], colour[..., 2])
        ):
            return FrameProblem(index, name, "colour image: thermal frames are single-channel")
        array = colour[..., 0]
    if array.ndim != 2:
        return FrameProblem(
            index, name, f"expected a single-channel image, got shape {array.shape}"
        )
    if shape is not None and array.shape != shape:
        return FrameProblem(
            index,
            name,
            f"size {array.shape[1]}x{array.shape[0]} differs from the camera's "
            f"{shape[1]}x{shape[0]}",
        )
    if array.dtype == np.uint8:
        return Frame(index, name, array.astype(np.float32), False, 8)
    if array.dtype == np.uint16:
        values = array.astype(np.float32)
        if radiometry.kelvin_per_count is None:
            return Frame(index, name, values, False, 16)
        kelvin = values * np.float32(radiometry.kelvin_per_count) + np.float32(radiometry.offset_k)
        return Frame(index, name, kelvin, True, 16)
    if array.dtype.kind == "f":
        values = array.astype(np.float32)
        if not np.isfinite(values).all():
            return FrameProblem(index, name, "holds NaN or infinite values")
        if not (float(values.min()) > 100.0 and float(values.max()) < 700.0):
            return FrameProblem(index, name, "floating-point frames must be kelvin (100-700 K)")
        return Frame(index, name, values, True, 32)
    return FrameProblem(
        index,
        name,
        f"wrong bit depth: {array.dtype} (expected 8- or 16-bit unsigned, or "
        "floating-point kelvin)",
    )
