"""A segment runner's live output (app/cluster/runner.py): each ``tracks`` event leaves
the moment the tracker made it, without waiting for the bus's answer, which the end of
the run waits for; with no reorder window a message's last second is tracked at once,
cut by the message, so a takeover's replay rebuilds the same tracks."""

from __future__ import annotations

from typing import Any

from tests.cluster_helpers import MiniCluster, walkers_along_the_line
from tests.service_helpers import coutts_wire

from borderwatch.app.bootstrap import alert_stage
from borderwatch.app.cluster.runner import SegmentRunner
from borderwatch.app.runtime.config import Delivery


class Answer:
    """A publish whose answer comes later (a ``concurrent.futures.Future``'s part)."""

    def __init__(self, error: Exception | None = None) -> None:
        self.error = error
        self.waited = False

    def result(self, timeout: float | None = None) -> object:
        self.waited = True
        if self.error is not None:
            raise self.error
        return None


def runner_on(cluster: MiniCluster, code: str, publish: Any) -> SegmentRunner:
    alerts = alert_stage(cluster.storage, Delivery(), cluster.boundary, cluster.places,
                         send=False)
    runner = SegmentRunner(code, segments=cluster.segments, boundary=cluster.boundary,
                           bus=cluster.bus, storage=cluster.storage, center=alerts.center,
                           progress=cluster.coordination, publish=publish,
                           reorder_window_s=0.0, idle_flush_s=60.0)
    runner.start()
    return runner


def walkers(cluster: MiniCluster, seconds: int) -> list[dict[str, Any]]:
    """A group of three inside Havre's core, one report each a second, ``seconds`` long."""
    cut = cluster.segments.get("hvm").west_lon
    wires = walkers_along_the_line(cut, start_km=5.0, cross_km=9.0)
    return wires[:3 * seconds]


def test_a_tracks_event_leaves_before_the_rest_of_its_run_is_tracked() -> None:
    cluster = MiniCluster()
    scans_when_sent: list[int] = []
    runner: SegmentRunner | None = None

    def publish(events: list[dict[str, Any]]) -> None:
        assert runner is not None
        scans_when_sent.extend(runner.pipeline.counts.scans
                               for e in events if e["type"] == "tracks")

    runner = runner_on(cluster, "hvm", publish)
    cluster.post(walkers(cluster, 40), batch=120)  # one message: 40 seconds of data
    assert runner.step() == 1
    assert runner.pipeline.counts.scans == 40
    # The first confirmed track left while most of the 40 seconds were still to be
    # tracked, and each second's after it; sent at the end of the run, every event
    # would say 40.
    assert scans_when_sent[0] <= 5, scans_when_sent
    assert scans_when_sent == list(range(scans_when_sent[0], 41))


def test_publishes_that_did_not_wait_are_settled_by_the_end_of_the_run() -> None:
    cluster = MiniCluster()
    answers: list[Answer] = []

    def publish(events: list[dict[str, Any]]) -> Answer:
        answers.append(Answer(ConnectionError("no answer from JetStream")
                              if len(answers) == 2 else None))
        return answers[-1]

    runner = runner_on(cluster, "hvm", publish)
    cluster.post(walkers(cluster, 10), batch=30)
    assert runner.step() == 1
    assert len(answers) >= 3 and all(a.waited for a in answers)
    # A lost live event is counted, and the run is committed all the same: the
    # records have it; the picture takes the next update.
    assert runner.failures == 1 and "no answer from JetStream" in runner.last_failure
    assert cluster.coordination.position("hvm") == runner.position > 0
    assert cluster.storage.detections.count() == 30


def test_with_no_reorder_window_a_message_s_last_second_is_tracked_at_once() -> None:
    cluster = MiniCluster()
    sent: list[dict[str, Any]] = []
    runner = runner_on(cluster, "hvm", sent.extend)
    wires = walkers(cluster, 5)
    cluster.post(wires, batch=15)
    runner.step()
    times = [e["data_time"] for e in sent if e["type"] == "tracks"]
    # The fifth second is on the map without waiting for a report of the sixth.
    assert times and times[-1][:19] == wires[-1]["time"][:19], (times, wires[-1]["time"])


def test_a_takeover_with_no_reorder_window_rebuilds_the_same_tracks() -> None:
    wires = coutts_wire()
    reference = MiniCluster(reorder_window_s=0.0)
    alone = reference.worker("ref")
    alone.rebalance()
    reference.post(wires)
    reference.drain(alone)

    cluster = MiniCluster(reorder_window_s=0.0)
    doomed = cluster.worker("doomed")
    doomed.rebalance()
    half = len(wires) // 2
    cluster.post(wires[:half])
    for _ in range(5):  # some of it processed and committed, then the process dies
        doomed.work_once()
    doomed.leases.close()
    cluster.coordination.leave("doomed")
    heir = cluster.worker("heir")
    heir.rebalance()
    cluster.post(wires[half:])
    cluster.drain(heir)
    assert reference.incidents(), "the night raises incidents"
    assert [i["incident_id"] for i in cluster.incidents()] == [
        i["incident_id"] for i in reference.incidents()]
    assert cluster.last_tracks() == reference.last_tracks()
