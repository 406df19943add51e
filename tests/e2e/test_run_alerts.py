"""`borderwatch run --alerts-db [--policy]`: a user's own routing policy file, from the
command line, with every alert stored in the outbox before anything is sent."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

from typer.testing import CliRunner

from borderwatch.app.cli.main import app
from borderwatch.domain import InputError

POLICY = Path(__file__).resolve().parents[2] / "src" / "borderwatch" / "alerts" / "policy.yaml"


def _coutts(tmp_path: Path) -> Path:
    d = tmp_path / "d.jsonl"
    result = CliRunner().invoke(
        app, ["simulate", "coutts", "--detections", str(d), "--truth", str(tmp_path / "t.jsonl")]
    )
    assert result.exit_code == 0, result.output
    return d


def test_run_routes_incidents_by_a_policy_file_into_the_outbox(tmp_path: Path) -> None:
    d = _coutts(tmp_path)
    policy = tmp_path / "my-policy.yaml"
    shutil.copy(POLICY, policy)
    db = tmp_path / "alerts.db"
    result = CliRunner().invoke(
        app,
        [
            "run",
            "--detections", str(d),
            "--incidents", str(tmp_path / "i.jsonl"),
            "--alerts-db", str(db),
            "--policy", str(policy),
            "--cap", str(tmp_path / "cap"),
        ],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "alerts stored in the outbox" in result.output
    listed = CliRunner().invoke(app, ["alerts", "list", "--db", str(db)])
    assert listed.exit_code == 0, listed.output
    assert "RCMP-K" in listed.output and "crossing" in listed.output
    with sqlite3.connect(db) as con:
        tables = {r[0] for r in con.execute("select name from sqlite_master where type='table'")}
    assert tables  # the outbox, alert states and disclosures live in this one file


def test_a_broken_policy_file_is_named_and_nothing_runs(tmp_path: Path) -> None:
    d = _coutts(tmp_path)
    policy = tmp_path / "bad.yaml"
    policy.write_text("routes: [{match: {type: teleport}}]\n")
    out = tmp_path / "i.jsonl"
    result = CliRunner().invoke(
        app,
        [
            "run", "--detections", str(d), "--incidents", str(out),
            "--alerts-db", str(tmp_path / "a.db"), "--policy", str(policy),
        ],
    )  # fmt: skip
    # The command raises the input error that `borderwatch` prints and exits 2 on.
    assert isinstance(result.exception, InputError)
    assert "bad.yaml" in str(result.exception) and "routes[0]" in str(result.exception)
    assert not out.exists()


def test_policy_without_an_alerts_db_is_refused(tmp_path: Path) -> None:
    d = _coutts(tmp_path)
    result = CliRunner().invoke(
        app,
        [
            "run", "--detections", str(d), "--incidents", str(tmp_path / "i.jsonl"),
            "--policy", str(POLICY),
        ],
    )  # fmt: skip
    assert isinstance(result.exception, InputError)
    assert "--alerts-db" in str(result.exception)
