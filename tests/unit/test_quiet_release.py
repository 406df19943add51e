"""The service's release decision (app/runtime/release.py): recorded before it is handed to
the tracker, only after something was fed, once per quiet spell. The clock is the test's
own: nothing here is timed."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import pytest

from borderwatch.app.runtime.release import QuietRelease


class Points:
    """The log's positions and release points, in memory; ``order`` records what happened."""

    def __init__(self, last: int = 0, last_release: int = 0) -> None:
        self.position = last
        self.points = [last_release] if last_release else []
        self.order: list[str] = []

    def last(self) -> int:
        return self.position

    def last_release(self) -> int:
        return max(self.points, default=0)

    def mark_release(self, after: int) -> None:
        self.points.append(after)
        self.order.append(f"point {after}")


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def _eventually(check: Callable[[], bool]) -> None:
    deadline = time.monotonic() + 10
    while not check():
        assert time.monotonic() < deadline
        time.sleep(0.005)


def _release(points: Points, clock: Clock) -> tuple[QuietRelease, threading.Lock]:
    accepting = threading.Lock()
    release = QuietRelease(points, lambda: points.order.append("release"),
                           accepting=accepting, quiet_s=2.0, monotonic=clock)
    return release, accepting


def _look_again(release: QuietRelease) -> None:
    """Wake the thread to read the test's clock (which does not wake it)."""
    with release._wake:
        release._wake.notify()


def test_a_quiet_spell_after_a_feed_is_recorded_then_released_once() -> None:
    points, clock = Points(), Clock()
    release, accepting = _release(points, clock)
    with accepting:
        release.start()
    points.position = 7
    with accepting:
        release.fed()
    clock.now += 1.9
    _look_again(release)
    assert release.waiting and points.order == []  # not quiet for 2 s yet
    clock.now += 0.1
    _look_again(release)
    _eventually(lambda: release.released == 1)
    assert points.order == ["point 7", "release"] and not release.waiting
    clock.now += 60.0  # quiet, but nothing fed since: nothing more
    _look_again(release)
    release.stop()
    assert release.released == 1 and points.points == [7]


def test_a_log_that_ends_after_its_last_release_point_is_released_at_start() -> None:
    points, clock = Points(last=12, last_release=9), Clock()
    release, accepting = _release(points, clock)
    with accepting:
        release.start()
    assert release.waiting
    clock.now += 2.0
    _look_again(release)
    _eventually(lambda: release.released == 1)
    release.stop()
    assert points.order == ["point 12", "release"]


def test_a_log_released_at_its_end_waits_for_a_feed() -> None:
    points, clock = Points(last=12, last_release=12), Clock()
    release, accepting = _release(points, clock)
    with accepting:
        release.start()
    assert not release.waiting
    release.stop()
    assert points.order == []


def test_a_quiet_time_must_be_positive() -> None:
    with pytest.raises(ValueError, match="quiet_s"):
        QuietRelease(Points(), lambda: None, accepting=threading.Lock(), quiet_s=0.0)
