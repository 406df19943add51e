"""An asyncio event loop on a thread of its own, called from any other thread.

nats-py is asyncio and the bus port is synchronous (docs/bus.md): each ``JetStreamBus`` runs
its connection on one of these and hands each call over with
``asyncio.run_coroutine_threadsafe``, so publishers and fetchers in any thread share one
connection without an event loop of their own."""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


class LoopClosedError(RuntimeError):
    """The loop has stopped: nothing more can run on it."""


class LoopThread:
    """A daemon thread running one event loop until ``stop``."""

    def __init__(self, name: str) -> None:
        self.loop = asyncio.new_event_loop()
        self._stopped = False
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    @property
    def in_loop(self) -> bool:
        """Whether the caller is the loop's own thread (which must never wait on it)."""
        return threading.current_thread() is self._thread

    def call(self, coroutine: Coroutine[Any, Any, T], timeout: float | None = None) -> T:
        """Run ``coroutine`` on the loop and wait for its result (or exception).

        Raises ``LoopClosedError`` when the loop is stopped, before or while it runs, and
        ``TimeoutError`` after ``timeout`` seconds (the coroutine is then cancelled)."""
        future = self.submit(coroutine)
        try:
            return future.result(timeout)
        except concurrent.futures.CancelledError as error:
            raise LoopClosedError("the event loop stopped while the call ran") from error
        except concurrent.futures.TimeoutError:
            future.cancel()
            raise TimeoutError(f"no answer within {timeout} s") from None

    def submit(self, coroutine: Coroutine[Any, Any, T]) -> concurrent.futures.Future[T]:
        """Start ``coroutine`` on the loop without waiting; its future. Coroutines submitted
        from one thread start in the order they were submitted."""
        if self.in_loop or self._stopped:
            coroutine.close()  # never started: closed, so it is not reported as never awaited
            if self.in_loop:
                raise RuntimeError("a bus call from the bus's own event loop thread would deadlock")
            raise LoopClosedError("the event loop has stopped")
        try:
            return asyncio.run_coroutine_threadsafe(coroutine, self.loop)
        except RuntimeError as error:  # the loop closed between the check and the call
            coroutine.close()
            raise LoopClosedError("the event loop has stopped") from error

    def soon(self, callback: Callable[..., object], *args: object) -> None:
        """Run ``callback(*args)`` on the loop, without waiting. Calls made from one thread
        run in the order they were made, and before any later ``call`` from that thread."""
        if self._stopped:
            raise LoopClosedError("the event loop has stopped")
        try:
            self.loop.call_soon_threadsafe(callback, *args)
        except RuntimeError as error:
            raise LoopClosedError("the event loop has stopped") from error

    def stop(self, timeout: float = 5.0) -> None:
        """Stop the loop (cancelling what still runs on it) and wait for the thread."""
        if self._stopped:
            return
        self._stopped = True
        if self.in_loop:
            self.loop.stop()
            return
        try:
            self.loop.call_soon_threadsafe(self.loop.stop)
        except RuntimeError:
            return  # already closed
        self._thread.join(timeout)

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        try:
            self.loop.run_forever()
        finally:
            pending = asyncio.all_tasks(self.loop)
            for task in pending:
                task.cancel()
            if pending:
                self.loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
            self.loop.close()
