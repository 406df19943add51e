"""`borderwatch ingest mqtt` and `borderwatch serve --mqtt` on a real Mosquitto: what was
published while the command was not running is taken when it runs (the persistent
session), the counts by reason are printed, and a service stores and tracks Frigate's
events like posted ones."""

from __future__ import annotations

import subprocess
from pathlib import Path

import orjson
from tests.mqtt_fixtures import Publisher, wait_until
from tests.serve_process import BIN, serving

from borderwatch.adapters.mqtt.server import Mosquitto
from borderwatch.adapters.sqlite.detections import DetectionLog
from borderwatch.sim.frigate_events import CAMERAS_YAML, walkers


def _cameras(tmp_path: Path) -> Path:
    path = tmp_path / "cameras.yaml"
    path.write_text(CAMERAS_YAML)
    return path


def _count(db: Path) -> int:
    log = DetectionLog(db)
    try:
        return log.count()
    finally:
        log.close()


def test_ingest_mqtt_takes_what_was_published_while_it_was_away(
        mosquitto: Mosquitto, tmp_path: Path) -> None:
    db, cameras = tmp_path / "out.db", _cameras(tmp_path)
    command = [str(BIN), "ingest", "mqtt", "--broker", mosquitto.url, "--cameras",
               str(cameras), "--db", str(db), "--topic", "cli-test/events", "--client-id",
               "bw-cli-test"]
    # The first run opens the session; the events come while no run is going on.
    first = subprocess.run([*command, "--idle-exit", "0.5"], capture_output=True, text=True,
                           timeout=60)
    assert first.returncode == 0, first.stderr
    publisher = Publisher(mosquitto.port, client_id="bw-cli-test-pub")
    good = [orjson.dumps(m) for m in walkers(300)]
    publisher.publish([*good[:150], b"not json", b'{"type": "new"}', *good[150:]],
                      "cli-test/events")
    publisher.wait()
    publisher.close()
    second = subprocess.run([*command, "--max-events", "302"], capture_output=True,
                            text=True, timeout=60)
    assert second.returncode == 0, second.stderr
    assert _count(db) == 300
    out = second.stdout
    assert "detections stored" in out and " 300 " in out.split("detections stored")[1][:40]
    for reason in ("malformed json", "missing field"):
        assert " 1 " in out.split(f"refused: {reason}")[1][:40], out
    assert "field after: is required" in second.stderr
    assert "marked simulated" in out


def test_ingest_mqtt_names_a_bad_broker_url(tmp_path: Path) -> None:
    result = subprocess.run([str(BIN), "ingest", "mqtt", "--broker", "http://x:1",
                             "--cameras", str(_cameras(tmp_path))],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and "--broker" in result.stderr


def test_serve_takes_frigate_events_as_a_source(mosquitto: Mosquitto, tmp_path: Path) -> None:
    db, cameras = tmp_path / "service.db", _cameras(tmp_path)
    # The session made first (as a site's earlier run would have): what is published
    # before the service has subscribed waits for it at the broker.
    subprocess.run([str(BIN), "ingest", "mqtt", "--broker", mosquitto.url, "--cameras",
                    str(cameras), "--db", str(tmp_path / "scratch.db"), "--topic",
                    "serve-test/events", "--client-id", "bw-serve-test", "--idle-exit", "0.2"],
                   check=True, capture_output=True, timeout=60)
    with serving("--db", str(db), "--tracker", "thread", "--mqtt", mosquitto.url,
                 "--cameras", str(cameras), "--mqtt-topic", "serve-test/events",
                 "--mqtt-client-id", "bw-serve-test"):
        publisher = Publisher(mosquitto.port, client_id="bw-serve-test-pub")
        publisher.publish([orjson.dumps(m) for m in walkers(200)], "serve-test/events")
        publisher.wait()
        publisher.close()
        wait_until(lambda: _count(db) == 200, what="200 detections in the service's log")
