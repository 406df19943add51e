"""The cluster's runtime on the fakes, step by step (tests/cluster_helpers.py): the same
incidents as one pipeline, one incident for a group that walks across a segment edge,
and a worker that dies mid-stream taken over without a loss or a repeat."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.cluster_helpers import MiniCluster, essence, walkers_along_the_line
from tests.service_helpers import coutts_wire

from borderwatch.adapters.sources.detection_wire import parse_detection
from borderwatch.pipeline import build_pipeline


def one_pipeline(wires: list[dict]) -> list[dict]:
    from borderwatch.geo import Boundary
    from borderwatch.watch import incident_to_wire

    pipeline = build_pipeline(Boundary.bundled(), route=False)
    raised = [incident_to_wire(i) for i in pipeline.feed_all(parse_detection(w) for w in wires)]
    return raised + [incident_to_wire(i) for i in pipeline.revisions]


@pytest.mark.slow
def test_the_coutts_night_gives_the_same_incidents_on_two_workers_as_on_one_pipeline() -> None:
    wires = coutts_wire()
    cluster = MiniCluster()
    first, second = cluster.worker("a"), cluster.worker("b")
    first.rebalance()
    second.rebalance()
    first.rebalance()  # the first gives back what is beyond its share
    second.rebalance()
    assert len(first.runners) == len(second.runners) == 4
    cluster.post(wires)
    cluster.drain(first, second)
    # The revisions of the head counts too (watch/revision.py): the same in any layout.
    assert sorted(map(essence, cluster.incidents() + cluster.revisions())) == sorted(
        map(essence, one_pipeline(wires)))
    assert cluster.incidents(), "the night raises incidents"
    assert cluster.storage.detections.count() == len(wires)


def test_a_group_walking_across_a_segment_edge_raises_one_incident() -> None:
    cluster = MiniCluster()
    cut = cluster.segments.get("hvm").west_lon
    # From 4 km inside Spokane's core to 2 km inside Havre's, then across the line.
    wires = walkers_along_the_line(cut, start_km=-4.0, cross_km=2.0)
    worker = cluster.worker("a")
    worker.rebalance()
    cluster.post(wires)
    cluster.drain(worker)
    raised = cluster.incidents()
    crossings = [i for i in raised if i["type"] == "crossing"]
    assert len(crossings) == 1, raised
    assert crossings[0]["incident_id"].startswith("INC-HVM-")
    spw, hvm = worker.runners["spw"], worker.runners["hvm"]
    assert spw.processed > 0 and hvm.processed > 0, "both segments saw the group"
    assert spw.pipeline.watch.left_to_neighbours >= 1  # type: ignore[attr-defined]


def test_a_worker_that_dies_is_taken_over_without_a_loss_or_a_repeat() -> None:
    wires = coutts_wire()
    reference = MiniCluster()
    alone = reference.worker("ref")
    alone.rebalance()
    reference.post(wires)
    reference.drain(alone)

    cluster = MiniCluster()
    doomed = cluster.worker("doomed")
    doomed.rebalance()
    half = len(wires) // 2
    cluster.post(wires[:half])
    for _ in range(5):  # some of it processed and committed, then the process dies
        doomed.work_once()
    doomed.leases.close()  # what the database does when its connection drops
    cluster.coordination.leave("doomed")
    heir = cluster.worker("heir")
    heir.rebalance()
    assert set(heir.runners) == set(cluster.segments.codes)
    cluster.post(wires[half:])
    cluster.drain(heir)
    assert sorted(map(essence, cluster.incidents())) == sorted(map(essence, reference.incidents()))
    assert [i["incident_id"] for i in cluster.incidents()] == [
        i["incident_id"] for i in reference.incidents()
    ]
    assert cluster.storage.detections.count() == len(wires)


def test_a_run_that_fails_half_way_is_rebuilt_from_the_committed_position() -> None:
    wires = coutts_wire()
    reference = MiniCluster()
    alone = reference.worker("ref")
    alone.rebalance()
    reference.post(wires)
    reference.drain(alone)

    cluster = MiniCluster()
    worker = cluster.worker("a")
    worker.rebalance()
    cluster.post(wires)
    append = cluster.storage.detections.append
    calls = {"n": 0}

    def flaky(items):  # type: ignore[no-untyped-def]
        calls["n"] += 1
        if calls["n"] == 2:  # the database went away in the middle of a run
            raise ConnectionError("server closed the connection unexpectedly")
        return append(items)

    cluster.storage.detections.append = flaky  # type: ignore[method-assign]
    for _ in range(200):
        worker.work_once()
        worker.rebalance()  # takes the dropped segment again, with a new runner
    cluster.drain(worker)
    assert calls["n"] > 2, "the failure came after the last run"
    assert worker.errors == 1 and "server closed" in worker.last_error
    assert [i["incident_id"] for i in cluster.incidents()] == [
        i["incident_id"] for i in reference.incidents()
    ]
    assert cluster.storage.detections.count() == len(wires)


@pytest.mark.slow
@pytest.mark.parametrize("seed", [3, 11])
def test_a_crossing_suite_astride_a_segment_cut_gives_one_pipelines_incidents(seed: int) -> None:
    """Hidden-stream style: an hour of groups crossing and Border Road traffic on 25 km of
    line with the Spokane/Havre cut in the middle, on two workers, against one pipeline."""
    from dataclasses import replace

    from borderwatch.adapters.sources.detection_wire import detection_to_wire
    from borderwatch.sim.crossing_suite import CrossingSuiteSpec, generate

    cut = MiniCluster().segments.get("hvm").west_lon
    spec = replace(
        CrossingSuiteSpec(), west_lon=cut - 0.17, east_lon=cut + 0.17, seed=seed, hours=0.5
    )
    suite = generate(spec)
    wires = [
        detection_to_wire(d._replace(id=f"s{seed}-{n}")) for n, d in enumerate(suite.detections)
    ]
    cluster = MiniCluster()
    first, second = cluster.worker("a"), cluster.worker("b")
    for worker in (first, second, first, second):
        worker.rebalance()
    cluster.post(wires)
    cluster.drain(first, second)
    got = sorted(map(essence, cluster.incidents() + cluster.revisions()))
    want = sorted(map(essence, one_pipeline(wires)))
    assert len(want) >= 10, "the suite raises incidents on both sides of the cut"
    assert {i["incident_id"][4:7] for i in cluster.incidents()} == {"SPW", "HVM"}
    assert got == want


@pytest.mark.slow
def test_the_fetched_runs_do_not_change_the_tracks_incidents_or_alert_pages() -> None:
    # The alert stage ticks at each scan's data time (runner.py), not once per fetched
    # run: the night posted in requests of 500 (a run or two) and of 25 (many runs) pages
    # the unacknowledged alert at the same data time.
    from borderwatch.adapters.sqlite.alerts import state_to_json

    wires = coutts_wire()
    seen = []
    for batch in (500, 25):
        cluster = MiniCluster()
        worker = cluster.worker("a")
        worker.rebalance()
        cluster.post(wires, batch=batch)
        cluster.drain(worker)
        seen.append(
            {
                "alerts": [state_to_json(s) for s in cluster.storage.alerts.all_alerts()],
                "incidents": cluster.incidents(),
                "tracks": [e["tracks"] for e in cluster.live if e["type"] == "tracks"][-5:],
            }
        )
    assert any(a["escalation_level"] > 0 for a in seen[0]["alerts"])
    assert seen[1] == seen[0]


PAGE_EVERYTHING = """
version: 1
units:
  - {unit_id: OPS, name: "Test operations centre", agency: RCMP, country: CA}
routes:
  - name: all
    match: {}
    notify:
      - {to: responsible, channels: [console], escalation: page}
escalations:
  page:
    steps:
      - {after: 1m, to: OPS, channels: [console]}
    loops: 1
"""


def test_each_segment_pages_the_alerts_its_own_incidents_raised(tmp_path: Path) -> None:
    # Two groups cross a minute apart in two segments held by one worker; their alerts
    # go unacknowledged. Each page comes from the segment whose incident raised the alert
    # (runner.segment_page_scope), not from whichever runner's data time passed the page
    # first: two centres paging one alert waited on each other's row locks on PostgreSQL.
    from borderwatch.app.cluster.runner import incident_prefix
    from borderwatch.app.runtime.config import Delivery

    policy = tmp_path / "policy.yaml"
    policy.write_text(PAGE_EVERYTHING)
    cluster = MiniCluster(delivery=Delivery(policy=policy))
    spw, hvm = cluster.segments.get("spw"), cluster.segments.get("hvm")
    wires = sorted(
        walkers_along_the_line((spw.west_lon + spw.east_lon) / 2, start_km=0.0,
                               cross_km=0.2, prefix="s")
        + walkers_along_the_line((hvm.west_lon + hvm.east_lon) / 2, start_km=0.0,
                                 cross_km=0.3, prefix="h"),
        key=lambda w: (w["time"], w["id"]))
    worker = cluster.worker("a")
    worker.rebalance()
    for start in range(0, len(wires), 180):  # half a minute at a time: runners abreast
        cluster.post(wires[start:start + 180])
        cluster.drain(worker)
    pages = [e for e in cluster.live if e["type"] == "alert" and e["event"] == "escalated"]
    paged_by = {(e["alert"]["facts"]["incident_id"].split("-")[1], e["segment"]) for e in pages}
    assert {code for code, _ in paged_by} == {"SPW", "HVM"}, "both segments' alerts paged"
    assert all(incident_prefix(segment) == f"INC-{code}" for code, segment in paged_by)
    assert len(pages) == len({(e["alert"]["alert_id"], e["text"]) for e in pages}), "once each"


def _eager_cluster(log: list[str]) -> MiniCluster:
    """A cluster whose runners send tracks one by one (runner.PublishSoon), noting in
    ``log`` each send, each wait for the bus's answers, and each store of a run."""
    cluster = MiniCluster()

    def soon(events):  # type: ignore[no-untyped-def]
        cluster.live.extend(events)
        log.append("sent " + ",".join(e["type"] for e in events))

        def answers() -> None:
            log.append("answered")
            if len(log) == 3:  # the bus refused one: the picture misses it, the run goes on
                raise ConnectionError("no answer")

        return answers

    cluster.publish_soon = soon
    append = cluster.storage.detections.append

    def stored(items):  # type: ignore[no-untyped-def]
        log.append("stored")
        return append(items)

    cluster.storage.detections.append = stored  # type: ignore[method-assign]
    return cluster


def test_a_short_run_sends_each_track_update_as_it_is_made_and_before_its_commit() -> None:
    # The live feed's latency (issue 16): a worker that keeps up sends a second's tracks
    # the moment its window closes, not when the message's last second is tracked, and
    # waits for the bus's answers before it stores and commits the run, as before.
    log: list[str] = []
    cluster = _eager_cluster(log)
    cut = cluster.segments.get("hvm").west_lon
    wires = walkers_along_the_line(cut, start_km=0.5, cross_km=1.5)
    runner = cluster.runner("hvm")
    runner.start()
    for start in range(0, len(wires), 30):  # ten seconds of three walkers a message
        cluster.post(wires[start : start + 30])
        assert runner.step() == 1
    runs = "|".join(log).split("stored")
    assert len(runs) > 10
    for run in runs[:-1]:
        steps = [s for s in run.split("|") if s]
        sent = [s for s in steps if s.startswith("sent")]
        assert sent and all(s == "sent tracks" for s in sent), steps  # one event a send
        assert steps == sent + ["answered"] * len(sent), steps  # all answered, then stored
    assert runner.failures == 1 and "no answer" in runner.last_failure
    assert cluster.storage.detections.count() == len(wires)  # every run committed


def test_a_long_run_sends_its_tracks_together_when_its_pipeline_is_done() -> None:
    log: list[str] = []
    cluster = _eager_cluster(log)
    cut = cluster.segments.get("hvm").west_lon
    wires = walkers_along_the_line(cut, start_km=0.5, cross_km=1.5)
    runner = cluster.runner("hvm")
    runner.start()
    cluster.post(wires, batch=30)
    assert runner.step() > 4  # a catch-up: more than EAGER_RUN messages in one run
    assert log == ["stored"], "no track was sent one by one"
    assert any(e["type"] == "tracks" for e in cluster.live)


def _resent(cluster: MiniCluster, worker, wires: list[dict]) -> int:  # type: ignore[no-untyped-def]
    """Post ``wires``, track them, then post a part again in other batches (other message
    ids: as if sent after the bus's de-duplication window) and track that too, taking
    dropped segments again; returns the detections tracked before the repeat."""
    cluster.post(wires, batch=30)
    cluster.drain(worker)
    before = worker.status().processed
    cluster.post(wires[300:600], batch=45)
    for _ in range(40):
        worker.work_once()
        worker.rebalance()
    cluster.drain(worker)
    return before


def test_a_detection_sent_again_is_settled_by_the_runner_s_memory_before_tracking() -> None:
    # The runner asks the database which ids are new only after tracking (the live feed's
    # path, issue 16); the repeats the bus brings back are in its memory of recent ids.
    cluster = MiniCluster()
    worker = cluster.worker("a")
    worker.rebalance()
    wires = walkers_along_the_line(cluster.segments.get("hvm").west_lon, start_km=0.5, cross_km=1.5)
    before = _resent(cluster, worker, wires)
    assert before > 0 and worker.status().processed == before  # tracked once
    assert worker.rebuilds == 0 and worker.errors == 0
    assert cluster.storage.detections.count() == len(wires)


def test_a_repeat_the_memory_lost_rolls_the_run_back_and_is_tracked_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The database settles what the memory cannot: the run that tracked a repeat is
    # rolled back, the segment rebuilt, and its next runner asks before tracking that run.
    from borderwatch.app.cluster import runner as runner_module

    wires = walkers_along_the_line(
        MiniCluster().segments.get("hvm").west_lon, start_km=0.5, cross_km=1.5
    )
    reference = MiniCluster()
    alone = reference.worker("ref")
    alone.rebalance()
    reference.post(wires, batch=30)
    reference.drain(alone)

    monkeypatch.setattr(runner_module, "RECENT_IDS", 0)  # remembers nothing
    cluster = MiniCluster()
    worker = cluster.worker("a")
    worker.rebalance()
    before = _resent(cluster, worker, wires)
    assert worker.status().processed == before  # the repeat was not tracked again
    assert 1 <= worker.rebuilds <= 2 and worker.errors == 0  # once per segment it reached
    assert cluster.storage.detections.count() == len(wires)
    assert [i["incident_id"] for i in cluster.incidents()] == [
        i["incident_id"] for i in reference.incidents()
    ]
