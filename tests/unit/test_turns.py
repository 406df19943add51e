"""A tracker worker's runners take turns (app/cluster/track_worker.py Turns): one works at
a time, in the order they asked, and a long run gives way between its messages."""

from __future__ import annotations

import threading
import time

from borderwatch.app.cluster.track_worker import Turns


def _queue(turns: Turns, name: str, log: list[str]) -> threading.Thread:
    """A runner that asks for a turn, noted in ``log``; returns once it is waiting."""
    before = turns.waiting

    def work() -> None:
        with turns:
            log.append(name)

    thread = threading.Thread(target=work)
    thread.start()
    while turns.waiting == before:  # synchronising on its state, not timing it
        time.sleep(0.001)
    return thread


def test_a_long_run_gives_way_to_the_runners_waiting_in_the_order_they_asked() -> None:
    turns, log = Turns(), []
    with turns:
        log.append("long run, message 1")
        others = [_queue(turns, "blw", log), _queue(turns, "spw", log)]
        turns.give_way()
        log.append("long run, message 2")
        turns.give_way()  # nobody waits now: it goes on
        log.append("long run, message 3")
    for thread in others:
        thread.join()
    assert log == ["long run, message 1", "blw", "spw", "long run, message 2",
                   "long run, message 3"]
    assert turns.waiting == 0


def test_a_runner_waits_for_the_turn_in_hand_to_end() -> None:
    turns, log = Turns(), []
    with turns:
        other = _queue(turns, "other", log)
        log.append("first")  # the other runner is waiting: it has not run
    other.join()
    assert log == ["first", "other"]
