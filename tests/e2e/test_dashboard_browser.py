"""The dashboard in a real browser: Debian's Chromium, headless, driven over the DevTools
protocol. `borderwatch serve --replay coutts` runs as its own process on 127.0.0.1 (a port
the system chooses); the browser opens the printed link (an RCMP-K operator key in its
#fragment), waits for the Coutts crossing to appear, acknowledges its alert with a mouse
click, and the API must then report the alert acknowledged by that key's agency.

The screenshot is kept as a test artifact (test-artifacts/dashboard.png); with
BORDERWATCH_SCREENSHOT=path it is also written there (scripts/dashboard-screenshot.sh
refreshes docs/dashboard.png for the README this way).
"""

from __future__ import annotations

import os
import shutil
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from tests.cdp import CHROMIUM, NEEDS_CHROMIUM, chromium_page
from tests.serve_process import serving

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent / "borderwatch"
# The crossing (46 minutes into the night) arrives ~20 s after the start at x150;
# scripts/dashboard-screenshot.sh replays slower, so the picture still shows the group.
SPEED = float(os.environ.get("BORDERWATCH_REPLAY_SPEED", "150"))
CROSSING_WAIT_S = 2800 / SPEED + 40
PREPARE_WAIT_S = 900

pytestmark = NEEDS_CHROMIUM


@pytest.fixture
def replaying(tmp_path: Path) -> Iterator[tuple[str, str]]:
    """(base URL, dashboard link) of `borderwatch serve --replay coutts` on a free port."""
    # The replay first simulates the night, its cameras and drone through rendered frames
    # (about a minute): done here into the test session's frames cache (tests/conftest.py),
    # which the service process reads, so the waits below are about the replay only.
    from borderwatch.geo import Boundary
    from borderwatch.sim import bundled_scenario_path, load_scenario, simulate

    simulate(load_scenario(bundled_scenario_path("coutts")), Boundary.bundled())
    with serving("--db", str(tmp_path / "service.db"), "--replay", "coutts",
                 "--speed", f"{SPEED:g}") as link:
        yield link.split("/#", 1)[0], link


def test_acknowledge_the_coutts_crossing_alert_in_the_browser(
    replaying: tuple[str, str], tmp_path: Path
) -> None:
    base, link = replaying
    key = link.split("#key=", 1)[1]
    assert CHROMIUM is not None
    with chromium_page(CHROMIUM) as page:
        try:
            page.send("Page.navigate", url=link)
            # The key moves from the fragment into the tab's session storage, off the URL.
            page.wait_for("document.querySelector('#who')?.textContent.includes('operator')",
                          20, "the dashboard to log in with the operator key")
            assert "key=" not in page.evaluate("location.href")

            # The night is simulated through its frames before it plays (the fixture's run
            # fills the frames cache, but `pytest -p no:cacheprovider` has none: minutes on
            # a busy machine). The page says so and notices when it plays; the crossing's
            # wait starts then, so the test does not depend on the machine's load.
            page.wait_for("!document.querySelector('#who').textContent.includes('preparing')",
                          PREPARE_WAIT_S, "the page to stop saying the replay is being prepared")
            incident_id = page.wait_for(
                "document.querySelector('#incidents [data-type=\"crossing\"]')?.dataset.incident",
                CROSSING_WAIT_S, "the Coutts crossing incident on the page")
            text = page.evaluate(
                f"document.querySelector('#incidents [data-incident=\"{incident_id}\"]')"
                ".textContent")
            assert "CROSSING" in text and "northbound" in text and "group of 9" in text
            assert page.evaluate("!document.querySelector('#sim').hidden"), "no EXERCISE banner"

            button = f'[data-alert][data-incident="{incident_id}"][data-unit="RCMP-K-IBET"] ' \
                     "button[data-ack]"
            alert_id = page.wait_for(f"document.querySelector('{button}')?.dataset.ack", 20,
                                     "the crossing alert's Acknowledge button")
            page.click(f'button[data-ack="{alert_id}"]')

            with httpx.Client(base_url=base, headers={"X-API-Key": key}, timeout=10) as client:
                deadline = time.monotonic() + 15
                state: dict[str, object] = {}
                while time.monotonic() < deadline:
                    alerts = client.get("/v1/alerts").json()["alerts"]
                    state = next(a for a in alerts if a["alert_id"] == alert_id)
                    if state["status"] != "triggered":
                        break
                    time.sleep(0.1)
            assert state["status"] == "acknowledged", state
            assert str(state["acknowledged_by"]).startswith("RCMP-K ("), state
            # On the exercise's clock: the night's date, after the alert was raised.
            assert str(state["acknowledged_at"]) >= str(state["raised_at"]), state
            assert str(state["acknowledged_at"]).startswith("2025-02-03"), state
            page.wait_for(
                f"document.querySelector('[data-alert=\"{alert_id}\"]')?.dataset.status"
                " === 'acknowledged'", 10, "the page to show the alert acknowledged")
            page.wait_for("document.querySelectorAll('#layer-tracks circle').length > 0", 10,
                          "a track on the map")
            # Live updates carry positions only; the page grows each track's trail.
            page.wait_for("document.querySelectorAll('#layer-trails polyline').length > 0", 10,
                          "a track's trail on the map")

            # The map is usable with the keyboard: focus it and zoom in twice with "+".
            wide = page.evaluate("document.querySelector('#map').viewBox.baseVal.width")
            page.evaluate("document.querySelector('#map').focus()")
            page.press("+")
            page.press("+")
            narrow = page.evaluate("document.querySelector('#map').viewBox.baseVal.width")
            assert narrow < wide / 1.9, (wide, narrow)

            shot = tmp_path / "dashboard.png"
            page.screenshot(shot)
            assert page.exceptions() == []
        except (AssertionError, TimeoutError, RuntimeError) as err:
            # What the page showed and any script error: the failure explains itself.
            page.screenshot(ROOT / "test-artifacts" / "dashboard-failure.png")
            feed = page.evaluate("document.querySelector('#feed')?.textContent")
            raise AssertionError(f"{err}; page errors: {page.exceptions()}; {feed}") from err

    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    artifacts = ROOT / "test-artifacts"
    artifacts.mkdir(exist_ok=True)
    shutil.copyfile(shot, artifacts / "dashboard.png")
    wanted = os.environ.get("BORDERWATCH_SCREENSHOT")
    if wanted:
        shutil.copyfile(shot, wanted)
