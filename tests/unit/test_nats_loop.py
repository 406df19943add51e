"""The bus's event loop thread (adapters/nats/loop.py): calls from other threads, and the
refusals: from its own thread (a deadlock), once stopped, and a call that outlives its
time. A refused coroutine is closed, never left un-awaited."""

from __future__ import annotations

import asyncio
import gc
import warnings
from collections.abc import Iterator

import pytest

from borderwatch.adapters.nats.loop import LoopClosedError, LoopThread


@pytest.fixture
def loop() -> Iterator[LoopThread]:
    thread = LoopThread("test-loop")
    yield thread
    thread.stop()


async def _double(value: int) -> int:
    await asyncio.sleep(0)
    return 2 * value


async def _fail() -> None:
    raise ValueError("refused")


def _refused(coroutine: object) -> bool:
    """Whether the coroutine was closed (a closed coroutine's frame is gone)."""
    return getattr(coroutine, "cr_frame", object()) is None


def test_a_call_answers_and_a_submit_starts_in_order(loop: LoopThread) -> None:
    assert loop.call(_double(21), timeout=5) == 42
    futures = [loop.submit(_double(n)) for n in range(5)]
    assert [f.result(5) for f in futures] == [0, 2, 4, 6, 8]
    with pytest.raises(ValueError, match="refused"):
        loop.call(_fail(), timeout=5)


def test_a_call_from_the_loops_own_thread_is_refused_and_closed(loop: LoopThread) -> None:
    inner = _double(1)

    async def from_inside() -> str:
        try:
            loop.call(inner)
        except RuntimeError as error:
            return str(error)
        return "ran"

    assert "deadlock" in loop.call(from_inside(), timeout=5)
    assert _refused(inner)


def test_after_stop_calls_and_submits_are_refused_and_closed(loop: LoopThread) -> None:
    loop.stop()
    for method in (loop.call, loop.submit):
        coroutine = _double(1)
        with warnings.catch_warnings():
            warnings.simplefilter("error", RuntimeWarning)
            with pytest.raises(LoopClosedError):
                method(coroutine)
            gc.collect()
        assert _refused(coroutine)
    with pytest.raises(LoopClosedError):
        loop.soon(print)


def test_a_call_past_its_time_is_cancelled(loop: LoopThread) -> None:
    cancelled = asyncio.Event()

    async def slow() -> None:
        try:
            await asyncio.sleep(30)
        except asyncio.CancelledError:
            cancelled.set()
            raise

    with pytest.raises(TimeoutError):
        loop.call(slow(), timeout=0.05)
    loop.call(asyncio.wait_for(cancelled.wait(), 5), timeout=6)
