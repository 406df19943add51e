"""Shared test helpers: positions given in metres relative to the 49th parallel."""

from __future__ import annotations

import math
import os
from datetime import UTC, datetime

import pytest

from borderwatch.domain import Detection, Kind
from borderwatch.geo import Boundary

# Real servers, one per test session each, started on first use (never when no test asks):
# PostgreSQL (postgres_server, postgres_url) and NATS JetStream (nats_server, nats_cluster,
# jetstream_bus) and Mosquitto (mosquitto, own_mosquitto). Registered here so every test
# module shares the one session fixture.
pytest_plugins = ("tests.pg_fixtures", "tests.nats_fixtures", "tests.mqtt_fixtures")


def pytest_configure(config: pytest.Config) -> None:
    # The Coutts night's cameras and drone render and search thousands of frames (about a
    # minute); many tests simulate it. Their detections are kept in pytest's cache folder,
    # keyed by everything they depend on and by the source of every module the frame
    # sensors import (sim/frame_sensors.py), so each change of the code renders them once.
    # Subprocesses (the CLI and service tests) inherit the setting.
    cache = getattr(config, "cache", None)  # absent with -p no:cacheprovider
    if cache is not None and "BORDERWATCH_FRAMES_CACHE" not in os.environ:
        os.environ["BORDERWATCH_FRAMES_CACHE"] = str(cache.mkdir("borderwatch-frames"))


M_PER_DEG_LAT = 111_200.0
T0 = datetime(2025, 2, 3, 13, 0, tzinfo=UTC).timestamp()


def geo(east_m: float, north_m: float, lon0: float = -111.9) -> tuple[float, float]:
    """(lat, lon) of a point ``north_m`` north of the 49th parallel and ``east_m`` east of
    ``lon0``. Offsets along the parallel, not along grid north: a local grid's north is
    not the line's normal away from its central meridian (docs/gotchas.md)."""
    lat = 49.0 + north_m / M_PER_DEG_LAT
    lon = lon0 + east_m / (M_PER_DEG_LAT * math.cos(math.radians(49.0)))
    return lat, lon


def detection(
    t: float,
    east_m: float,
    north_m: float,
    *,
    sensor: str = "cam-1",
    sigma: float = 5.0,
    kind: Kind = Kind.PERSON,
    count: int = 1,
    children: int | None = None,
) -> Detection:
    lat, lon = geo(east_m, north_m)
    epoch = T0 + t
    return Detection(
        time=datetime.fromtimestamp(epoch, UTC),
        epoch_s=epoch,
        sensor_id=sensor,
        lat=lat,
        lon=lon,
        sigma_m=sigma,
        kind=kind,
        count=count,
        children=children,
        simulated=True,
    )


@pytest.fixture(scope="session")
def boundary() -> Boundary:
    return Boundary.bundled()
