"""Draw docs/img/segments.png: the bundled watch segments along the bundled boundary.

Run: .venv/bin/python scripts/plot_segments.py [--segments FILE.yaml] [--out FILE.png]

Top: the eight segments' cores west to east (solid cut: from the bundled data; dashed:
approximate), with the bundled line (the 49th, Pacific to Lake of the Woods). Bottom: close
to the Spokane | Havre cut, how many segments watch each point (geo/segments.py
``covering_mask``): the overlap is ``margin_km`` either side of the cut, measured along the
parallel, so it is a little wider in degrees further north. Offline; matplotlib only.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import matplotlib
import numpy as np
from matplotlib.figure import Figure  # no pyplot: no GUI backend, no global state

from borderwatch.geo import Boundary, Places, Segments

ROOT = Path(__file__).resolve().parents[1]
WEST, EAST, SOUTH, NORTH = -126.0, -66.0, 41.0, 50.5


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--segments", type=Path, help="a segments YAML (default: bundled)")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "img" / "segments.png")
    args = parser.parse_args()
    segments = Segments.load(args.segments) if args.segments else Segments.bundled()
    boundary = Boundary.bundled()
    colours = matplotlib.colormaps["tab10"]

    fig = Figure(figsize=(11, 7.5))
    top, zoom = fig.subplots(2, 1, height_ratios=[1.1, 1])
    for i, seg in enumerate(segments):
        west, east = max(seg.west_lon, WEST), min(seg.east_lon, EAST)
        top.axvspan(west, east, color=colours(i % 10), alpha=0.18, lw=0)
        top.text(
            (west + east) / 2,
            NORTH - 0.35,
            f"{seg.code}\n{seg.name}",
            ha="center",
            va="top",
            fontsize=8,
        )
        if seg.west_lon > -180:
            style = "--" if seg.west_approximate else "-"
            top.axvline(seg.west_lon, color="0.25", ls=style, lw=0.9)
            top.text(
                seg.west_lon,
                SOUTH + 0.2,
                f"{seg.west_lon:g}",
                rotation=90,
                fontsize=7,
                ha="right",
                va="bottom",
            )
    for piece in boundary.segments:
        lat, lon = np.array(piece.coords).T
        top.plot(lon, lat, color="k", lw=1.4)
    for port in Places.bundled().ports:
        top.plot(port.lon, port.lat, "o", ms=3, color="firebrick")
    top.set_xlim(WEST, EAST)
    top.set_ylim(SOUTH, NORTH)
    top.set_ylabel("latitude")
    top.set_title(
        f"Watch segments ({segments.source}); margin {segments.margin_km:g} km; "
        "dashed cuts are approximate; black: bundled line",
        fontsize=9,
    )

    cut = segments.segments[2].west_lon if len(segments) > 2 else segments.segments[-1].west_lon
    lons = np.linspace(cut - 0.4, cut + 0.4, 800)
    lats = np.linspace(48.0, 50.0, 120)
    grid_lon, grid_lat = np.meshgrid(lons, lats)
    watching = segments.covering_mask(grid_lat.ravel(), grid_lon.ravel()).sum(axis=1)
    image = zoom.pcolormesh(
        lons, lats, watching.reshape(grid_lat.shape), cmap="Blues", vmin=0, vmax=3, shading="auto"
    )
    fig.colorbar(image, ax=zoom, label="segments watching", ticks=[1, 2])
    zoom.axhline(49.0, color="k", lw=1.4)
    zoom.axvline(cut, color="0.25", lw=0.9)
    owner_west = segments.owner(49.0, np.nextafter(cut, -180.0))
    owner_east = segments.owner(49.0, cut)
    zoom.text(cut - 0.35, 49.85, f"{owner_west.code} owns", fontsize=9)
    zoom.text(cut + 0.05, 49.85, f"{owner_east.code} owns (the cut is east's)", fontsize=9)
    zoom.set_xlabel("longitude")
    zoom.set_ylabel("latitude")
    zoom.set_title(
        f"Near the {owner_west.code} | {owner_east.code} cut ({cut:g}): the overlap", fontsize=9
    )
    fig.tight_layout()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(args.out, dpi=90)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
