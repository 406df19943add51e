"""`borderwatch alerts ...` as an operator runs it on an alert database."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from tests.alert_helpers import ROOT, WebhookReceiver, incident
from typer.testing import CliRunner

from borderwatch.alerts import Backoff, Channels
from borderwatch.app.bootstrap import open_alert_service, transports_for
from borderwatch.app.cli.main import app
from borderwatch.geo import Boundary

SECRET = "cli-secret"


@pytest.fixture
def db(tmp_path: Path) -> Path:
    """A database holding a crossing alert whose webhook could not be delivered (the
    receiver was down), dead-lettered after one try, and CAP files in a folder."""
    path = tmp_path / "alerts.db"
    channels = Channels(webhook=("http://127.0.0.1:9/hook",), cap=(str(tmp_path / "cap"),))
    service = open_alert_service(
        path,
        boundary=Boundary.bundled(),
        channels=channels,
        transports=transports_for(channels, webhook_secret=SECRET.encode()),
        backoff=Backoff(max_attempts=1),
    )
    service.center.route(incident())
    service.dispatcher.deliver_due()
    service.close()
    return path


def _run(*args: str) -> str:
    result = CliRunner().invoke(app, ["alerts", *args])
    assert result.exit_code == 0, result.output
    return result.output


def test_list_ack_resolve(db: Path, tmp_path: Path) -> None:
    listed = _run("list", "--db", str(db), "--json")
    states = {json.loads(line)["alert_id"]: json.loads(line) for line in listed.splitlines()}
    alert_id = "ALR-20250203-0002-RCMP-K-IBET"
    assert states[alert_id]["status"] == "triggered"
    assert "acknowledged by sgt" in _run("ack", alert_id, "--db", str(db), "--by", "sgt",
                                         "--note", "team en route")
    after = _run("list", "--db", str(db), "--json", "--status", "acknowledged")
    assert json.loads(after)["next_escalation_at"] is None  # escalation stopped
    assert json.loads(after)["acknowledged_note"] == "team en route"
    table = _run("list", "--db", str(db))
    assert "…" not in table  # folded where narrow, never cut
    out = _run("resolve", alert_id, "--db", str(db), "--by", "sgt", "--reason", "intercepted")
    assert "resolved by sgt" in out and "cancel message(s) queued" in out
    resolved = json.loads(_run("list", "--db", str(db), "--json", "--status", "resolved"))
    assert resolved["resolved_by"] == "sgt" and resolved["reason"] == "intercepted"
    assert "alerts in" in _run("list", "--db", str(db))


def test_a_narrow_terminal_never_cuts_the_ids_that_ack_needs(db: Path) -> None:
    # A real terminal width (COLUMNS is read when the console is made): a subprocess.
    ids = [json.loads(line)["alert_id"] for line in _run("list", "--db", str(db), "--json")
           .splitlines()]
    assert ids
    for columns in ("60", "40"):
        listed = subprocess.run(
            [sys.executable, "-m", "borderwatch", "alerts", "list", "--db", str(db)],
            capture_output=True, text=True, check=True, cwd=ROOT,
            env={**os.environ, "COLUMNS": columns},
        ).stdout
        assert "…" not in listed, listed
        for alert_id in ids:  # whole on one line at 60 columns; at 40 folded, never cut
            cells = "".join(line.split("│")[1].strip() for line in listed.splitlines()
                            if line.count("│") > 2)
            assert alert_id in (listed if columns == "60" else cells), listed


def test_dead_letters_are_listed_retried_and_delivered(db: Path) -> None:
    dead = _run("dead", "--db", str(db))
    assert "1 dead letter(s)" in dead and "webhook" in dead
    assert "1 message(s) queued again" in _run("retry", "--db", str(db))
    receiver = WebhookReceiver(SECRET.encode())
    try:
        from borderwatch.adapters.sqlite.outbox import SqliteOutbox

        outbox = SqliteOutbox(db)
        # The receiver moved: point the queued message at it (as an operator would after
        # fixing the address), then deliver.
        outbox.db.execute(
            "UPDATE outbox SET destination = ? WHERE channel = 'webhook'", (receiver.url,)
        )
        outbox.close()
        env_before = os.environ.get("BORDERWATCH_WEBHOOK_SECRET")
        os.environ["BORDERWATCH_WEBHOOK_SECRET"] = SECRET
        try:
            assert "sent 1" in _run("deliver", "--db", str(db))
        finally:
            if env_before is None:
                del os.environ["BORDERWATCH_WEBHOOK_SECRET"]
        assert len(receiver.keys) == 1 and all(r.valid for r in receiver.received)
    finally:
        receiver.close()
    assert "0 dead letter(s)" in _run("dead", "--db", str(db))


def test_disclosures_and_tip(db: Path, tmp_path: Path) -> None:
    entries = [json.loads(x) for x in _run("disclosures", "--db", str(db)).splitlines()]
    assert entries and {e["recipient"] for e in entries} == {"USBP-HVM"}
    tip = tmp_path / "tip.json"
    tip.write_text(
        '{"time": "2025-02-03T12:50:00Z", "sensor_id": "tip:USBP-HVM", "lat": 48.988,'
        ' "lon": -111.9005, "sigma_m": 400}'
    )
    parsed = json.loads(_run("tip", str(tip)))
    assert parsed["sigma_m"] == 400 and parsed["sensor_id"] == "tip:USBP-HVM"


def test_errors_are_clear_and_exit_2(db: Path, tmp_path: Path) -> None:
    bomb = tmp_path / "bomb.xml"
    bomb.write_text('<!DOCTYPE x [<!ENTITY a "aaaa">]><event>&a;</event>')
    cases = [
        (["ack", "ALR-NOPE", "--db", str(db)], "no alert 'ALR-NOPE'"),
        (["list", "--db", str(tmp_path / "missing.db")], "no alert database"),
        (["tip", str(bomb)], "rejected unsafe XML"),
    ]
    for args, message in cases:
        result = subprocess.run(
            [sys.executable, "-m", "borderwatch", "alerts", *args],
            capture_output=True,
            text=True,
            cwd=ROOT,
        )
        assert result.returncode == 2, result.stderr
        assert message in " ".join(result.stderr.split()), result.stderr


@pytest.mark.parametrize(
    "command", ["list", "ack", "resolve", "dead", "retry", "deliver", "disclosures", "tip"]
)
def test_every_alerts_command_has_help_and_is_in_the_commands_page(command: str) -> None:
    result = CliRunner().invoke(app, ["alerts", command, "--help"])
    assert result.exit_code == 0 and len(result.output.split()) > 20
    assert f"borderwatch alerts {command}" in (ROOT / "docs" / "commands.md").read_text()
