"""Kill-and-restart: a process delivering a burst of alerts by webhook is SIGKILLed in the
middle, started again, and every alert reaches the receiver; the only duplicates are ones
the receiver's dedup key absorbs."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from tests.alert_helpers import ROOT, WebhookReceiver

COUNT = 120
SECRET = "kill-test-secret"
WORKER = ROOT / "tests" / "integration" / "outbox_burst_worker.py"


def _start(db: Path, url: str) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(
        [sys.executable, str(WORKER), str(db), url, SECRET, str(COUNT)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_sigkill_mid_burst_then_restart_loses_nothing(tmp_path: Path) -> None:
    receiver = WebhookReceiver(SECRET.encode(), delay_s=0.01)
    db = tmp_path / "alerts.db"
    try:
        first = _start(db, receiver.url)
        got = receiver.wait_for_keys(COUNT // 4, timeout_s=120)
        first.send_signal(signal.SIGKILL)
        first.wait(60)
        assert first.returncode == -signal.SIGKILL
        delivered_before = len(receiver.keys)
        assert got >= COUNT // 4 and delivered_before < COUNT, "the kill was not mid-burst"

        second = _start(db, receiver.url)
        out, err = second.communicate(timeout=300)
        assert second.returncode == 0, err
        assert "drained" in out
    finally:
        receiver.close()
    expected = {
        f"ALR-20250203-{n:04d}-RCMP-K-IBET:RCMP-K-IBET:trigger:webhook:{receiver.url}"
        for n in range(COUNT)
    }
    assert set(receiver.keys) == expected  # every alert delivered, none lost
    assert all(r.valid for r in receiver.received)  # every request signed correctly
    duplicates = sum(receiver.keys.values()) - len(receiver.keys)
    # At most the one message in flight when the process died is sent again, and the
    # receiver recognises it by its dedup key.
    assert duplicates <= 1
