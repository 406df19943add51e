"""Watch segments: the border split into named stretches of work, one tracker worker each.

Not the same thing as a :class:`~borderwatch.geo.boundary.BoundarySegment`. That is a piece
of the *line* between two province/state corners (``AB-MT``), used for sides and distances.
A :class:`WatchSegment` is a piece of the *work*: a band of longitude between two cuts
(meridians), named after the US Border Patrol sector that works it (``hvm`` = Havre, which
covers the ``AB-MT`` and ``SK-MT`` pieces). Its code is the token in bus subjects
(``bw.det.hvm``). Cuts do not depend on the boundary file, so the same segments serve the
bundled line or a loaded surveyed one. Bundled as geo/data/segments.yaml; a site may load
its own.

Rules (tested in tests/unit/test_segments.py):

* **Owner.** A segment's *core* is ``[west_lon, east_lon)``: a point exactly on a cut
  belongs to the east segment. The first core is open to the west and the last to the east,
  so every point has exactly one owner; latitude plays no part.
* **Watch.** A segment's *watch* is its core widened by ``margin_km`` on both sides,
  measured east-west along the parallel at the point's latitude (see
  :meth:`Segments.covering`). Neighbours' watches overlap by ``2 * margin_km`` around a cut.
* **One incident.** See :meth:`Segments.owns_incident`.
"""

from __future__ import annotations

import bisect
import itertools
import math
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import yaml
from numpy.typing import ArrayLike, NDArray

from borderwatch.domain import InputError, check_lat_lon

DEFAULT_MARGIN_KM = 10.0
SUBJECT_TOKEN = re.compile(r"[a-z0-9_-]+")
"""What a code may be: one NATS subject token, lower case, no dots, wildcards or spaces."""

# WGS 84 (NIMA TR8350.2): a parallel at latitude phi is a circle of radius N(phi) cos(phi),
# N the prime-vertical radius of curvature.
_WGS84_A = 6_378_137.0
_WGS84_E2 = 6.694_379_990_14e-3

_TOP_KEYS = frozenset({"margin_km", "segments"})
_SEGMENT_KEYS = frozenset({"code", "name", "usbp_sector", "facing", "west_cut"})
_CUT_KEYS = frozenset({"lon", "approximate", "note"})


@dataclass(frozen=True, kw_only=True)
class WatchSegment:
    """One stretch of the work: the band of longitude ``[west_lon, east_lon)``."""

    code: str
    """Lower-case token used in bus subjects, e.g. ``hvm``."""
    name: str
    """Display name, e.g. ``Havre``."""
    west_lon: float
    """Western cut in degrees; ``-inf`` for the first segment (open to the west)."""
    east_lon: float
    """Eastern cut (the next segment's western cut); ``inf`` for the last."""
    usbp_sector: str
    """The US Border Patrol sector working it, as a places.yaml unit id (``USBP-HVM``)."""
    facing: tuple[str, ...]
    """RCMP divisions across the line, by letter (``K`` Alberta, ``F`` Saskatchewan)."""
    west_approximate: bool = False
    """Whether the western cut is an approximation (``west_note`` says why)."""
    east_approximate: bool = False
    west_note: str = ""
    """Where the western cut comes from, or why it is approximate."""
    east_note: str = ""

    def in_core(self, lon: float) -> bool:
        """Whether a longitude is in this segment's core (the west cut in, the east out)."""
        return self.west_lon <= lon < self.east_lon


class Segments:
    """Watch segments west to east, with the margin their watches reach past their cuts."""

    def __init__(
        self,
        segments: Sequence[WatchSegment],
        *,
        margin_km: float = DEFAULT_MARGIN_KM,
        source: str = "",
    ) -> None:
        where = source or None
        if not segments:
            raise InputError("segments", "needs at least one segment", source=where)
        if isinstance(margin_km, bool) or not isinstance(margin_km, int | float):
            raise InputError("margin_km", "must be a number of km", source=where)
        if not math.isfinite(margin_km) or margin_km < 0:
            raise InputError("margin_km", f"must be 0 or more, got {margin_km}", source=where)
        seen: set[str] = set()
        for i, seg in enumerate(segments):
            if not SUBJECT_TOKEN.fullmatch(seg.code):
                raise InputError(
                    f"segments[{i}].code",
                    f"{seg.code!r} is not a bus subject token (lower-case a-z, 0-9, _ or -)",
                    source=where,
                )
            if seg.code in seen:
                raise InputError(f"segments[{i}].code", f"duplicate {seg.code!r}", source=where)
            seen.add(seg.code)
            if not seg.west_lon < seg.east_lon:
                raise InputError(
                    f"segments[{i}].west_cut.lon",
                    f"cuts must increase west to east: {seg.west_lon} is not west of "
                    f"the next cut {seg.east_lon}",
                    source=where,
                )
        if segments[0].west_lon != -math.inf or segments[-1].east_lon != math.inf:
            raise InputError(
                "segments", "the first must be open to the west, the last to the east", source=where
            )
        for i, (west, east) in enumerate(itertools.pairwise(segments)):
            if west.east_lon != east.west_lon:
                raise InputError(
                    f"segments[{i + 1}].west_cut.lon",
                    f"must equal segments[{i}].east_lon ({west.east_lon}): no gap, no overlap",
                    source=where,
                )
        self.segments = tuple(segments)
        self.margin_km = float(margin_km)
        self.source = source
        self._by_code = {seg.code: i for i, seg in enumerate(self.segments)}
        self._cuts = [seg.west_lon for seg in self.segments[1:]]
        self._cut_array = np.asarray(self._cuts, float)
        self._west = np.asarray([seg.west_lon for seg in self.segments], float)
        self._east = np.asarray([seg.east_lon for seg in self.segments], float)

    # ---- loading ------------------------------------------------------------------------
    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, source: str = "segments") -> Segments:
        """Build from the layout of geo/data/segments.yaml; errors name the field."""
        if not isinstance(data, Mapping):
            raise InputError(None, "must be a mapping with margin_km and segments", source=source)
        _no_unknown_keys(data, _TOP_KEYS, "", source)
        margin = data.get("margin_km", DEFAULT_MARGIN_KM)
        items = data.get("segments")
        if not isinstance(items, list) or not items:
            raise InputError("segments", "is required (a list of segments)", source=source)
        rows: list[dict[str, Any]] = []
        for i, item in enumerate(items):
            where = f"segments[{i}]"
            if not isinstance(item, Mapping):
                raise InputError(where, "must be a mapping", source=source)
            _no_unknown_keys(item, _SEGMENT_KEYS, f"{where}.", source)
            row: dict[str, Any] = {
                key: _text(item, key, where, source) for key in ("code", "name", "usbp_sector")
            }
            facing = item.get("facing")
            if not isinstance(facing, list) or not all(isinstance(f, str) and f for f in facing):
                raise InputError(
                    f"{where}.facing", "is required (a list of RCMP divisions)", source=source
                )
            row["facing"] = tuple(facing)
            cut = item.get("west_cut")
            if i == 0:
                if cut is not None:
                    raise InputError(
                        f"{where}.west_cut", "the first segment is open to the west", source=source
                    )
                row.update(lon=-math.inf, approximate=False, note="")
            else:
                row.update(_cut(cut, f"{where}.west_cut", source))
            rows.append(row)
        segments = [
            WatchSegment(
                code=row["code"],
                name=row["name"],
                usbp_sector=row["usbp_sector"],
                facing=row["facing"],
                west_lon=row["lon"],
                east_lon=nxt["lon"] if nxt else math.inf,
                west_approximate=row["approximate"],
                east_approximate=bool(nxt and nxt["approximate"]),
                west_note=row["note"],
                east_note=nxt["note"] if nxt else "",
            )
            for row, nxt in zip(rows, [*rows[1:], None], strict=True)
        ]
        return cls(segments, margin_km=margin, source=source)

    @classmethod
    def load(cls, path: str | Path) -> Segments:
        path = Path(path)
        try:
            data = yaml.safe_load(path.read_text("utf-8"))
        except OSError as err:
            raise InputError(None, f"cannot read: {err.strerror}", source=str(path)) from None
        except yaml.YAMLError as err:
            raise InputError(None, f"not valid YAML: {err}", source=str(path)) from None
        return cls.from_dict(data, source=str(path))

    @classmethod
    def bundled(cls) -> Segments:
        """The eight US Border Patrol northern sectors, Blaine to Houlton (see the file's
        header for which cuts are approximate)."""
        text = resources.files("borderwatch.geo").joinpath("data/segments.yaml").read_text("utf-8")
        return cls.from_dict(yaml.safe_load(text), source="bundled segments.yaml")

    # ---- lookups ------------------------------------------------------------------------
    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(seg.code for seg in self.segments)

    def __iter__(self) -> Iterator[WatchSegment]:
        return iter(self.segments)

    def __len__(self) -> int:
        return len(self.segments)

    def index(self, code: str) -> int:
        """Position of a segment west to east (the column in :meth:`covering_mask`)."""
        try:
            return self._by_code[code]
        except KeyError:
            raise InputError(
                "segment", f"unknown watch segment {code!r}; known: {', '.join(self.codes)}"
            ) from None

    def get(self, code: str) -> WatchSegment:
        return self.segments[self.index(code)]

    # ---- one point ----------------------------------------------------------------------
    def owner(self, lat: float, lon: float) -> WatchSegment:
        """The segment whose core holds the point; on a cut, the east one.

        >>> Segments.bundled().owner(49.0, -111.961).code  # Coutts, AB - Sweetgrass, MT
        'hvm'
        """
        lat, lon = check_lat_lon(lat, lon)
        return self.segments[bisect.bisect_right(self._cuts, lon)]

    def covering(self, lat: float, lon: float) -> tuple[WatchSegment, ...]:
        """The segments watching the point, west to east: its owner and any segment whose
        core is at most ``margin_km`` away (exactly ``margin_km`` counts).

        The distance is east-west, along the parallel at the point's latitude, on the
        WGS 84 ellipsoid. Cuts are meridians, so this is the distance to the cut as a worker
        sees it; it does not depend on the boundary's shape or file, and is one multiply per
        point. (At 10 km it differs from the shortest distance to the meridian by under a
        millimetre.) Cuts should therefore lie where the line runs roughly east-west.
        """
        lat, lon = check_lat_lon(lat, lon)
        margin_deg = self.margin_km * 1000.0 / _metres_per_degree_lon(lat)
        return tuple(
            seg
            for seg in self.segments
            if seg.west_lon - margin_deg <= lon <= seg.east_lon + margin_deg
        )

    def owns_incident(self, code: str, lat: float, lon: float) -> bool:
        """Whether the worker of segment ``code`` raises the incident whose place (the
        crossing point) is at (lat, lon): only the owner of the crossing point does.

        A group walking along the line across a cut is tracked by both workers inside the
        overlap; each decides with this rule, so the crossing gives one incident, not two.
        Edge cases:

        * A crossing exactly on a cut is the east segment's.
        * A crossing more than ``margin_km`` past a cut is seen only by its owner: the
          neighbour's watch does not reach it.
        * A track longer than the margin is handed over by the overlap: by the time it
          reaches a cut, the next owner has watched its last ``margin_km``, and the old one
          keeps watching it for ``margin_km`` more.
        * The rule gives one incident when both workers place the crossing point on the same
          side of the cut, which holds when they estimate it from the same detections; near
          a cut both do, as both watch the whole overlap.
        """
        index = self.index(code)
        return bisect.bisect_right(self._cuts, check_lat_lon(lat, lon)[1]) == index

    # ---- many points --------------------------------------------------------------------
    def owners(self, lats: ArrayLike, lons: ArrayLike) -> NDArray[np.intp]:
        """Index (into ``segments``) of each point's owner, as :meth:`owner`."""
        _, lon = _check_arrays(lats, lons)
        return np.searchsorted(self._cut_array, lon, side="right")

    def covering_mask(self, lats: ArrayLike, lons: ArrayLike) -> NDArray[np.bool_]:
        """(n_points, n_segments): whether each segment watches each point, as
        :meth:`covering`."""
        lat, lon = _check_arrays(lats, lons)
        margin_deg = (self.margin_km * 1000.0 / _metres_per_degree_lon_array(lat))[:, None]
        column = lon[:, None]
        # The watch holds the core, as margin_deg > 0 (the core's east cut is open, this isn't).
        mask: NDArray[np.bool_] = (self._west - margin_deg <= column) & (
            column <= self._east + margin_deg
        )
        return mask


def _metres_per_degree_lon(lat: float) -> float:
    phi = math.radians(lat)
    radius = _WGS84_A * math.cos(phi) / math.sqrt(1.0 - _WGS84_E2 * math.sin(phi) ** 2)
    return max(radius * math.pi / 180.0, 1e-9)  # at a pole every meridian is 0 m away


def _metres_per_degree_lon_array(lat: NDArray[np.float64]) -> NDArray[np.float64]:
    phi = np.radians(lat)
    radius = _WGS84_A * np.cos(phi) / np.sqrt(1.0 - _WGS84_E2 * np.sin(phi) ** 2)
    return np.asarray(np.maximum(radius * (math.pi / 180.0), 1e-9), float)


def _check_arrays(
    lats: ArrayLike, lons: ArrayLike
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    lat = np.atleast_1d(np.asarray(lats, float))
    lon = np.atleast_1d(np.asarray(lons, float))
    if lat.ndim != 1 or lat.shape != lon.shape:
        raise InputError(
            "lats", f"must be 1-D and as long as lons, got {lat.shape} and {lon.shape}"
        )
    for name, values, limit in (("lat", lat, 90.0), ("lon", lon, 180.0)):
        bad = ~(np.abs(values) <= limit)  # NaN compares False, so it is bad too
        if bad.any():
            row = int(np.argmax(bad))
            raise InputError(
                f"{name}s[{row}]", f"must be within [-{limit:g}, {limit:g}], got {values[row]}"
            )
    return lat, lon


def _no_unknown_keys(
    item: Mapping[str, Any], known: frozenset[str], where: str, source: str
) -> None:
    for key in item:
        if key not in known:
            raise InputError(
                f"{where}{key}",
                f"unknown key; expected one of {', '.join(sorted(known))}",
                source=source,
            )


def _text(item: Mapping[str, Any], key: str, where: str, source: str) -> str:
    value = item.get(key)
    if not isinstance(value, str) or not value:
        raise InputError(f"{where}.{key}", "is required (a non-empty string)", source=source)
    return value


def _cut(cut: object, where: str, source: str) -> dict[str, Any]:
    if not isinstance(cut, Mapping):
        raise InputError(where, "is required: {lon: degrees, note: ...}", source=source)
    _no_unknown_keys(cut, _CUT_KEYS, f"{where}.", source)
    lon, approximate, note = cut.get("lon"), cut.get("approximate", False), cut.get("note", "")
    if isinstance(lon, bool) or not isinstance(lon, int | float) or not abs(lon) <= 180.0:
        raise InputError(
            f"{where}.lon", f"must be a longitude in [-180, 180], got {lon!r}", source=source
        )
    if not isinstance(approximate, bool):
        raise InputError(f"{where}.approximate", "must be true or false", source=source)
    if not isinstance(note, str):
        raise InputError(f"{where}.note", "must be a string", source=source)
    if approximate and not note.strip():
        raise InputError(f"{where}.note", "an approximate cut must say why", source=source)
    return {"lon": float(lon), "approximate": approximate, "note": note}
