"""The dashboard in a real browser: Debian's Chromium, headless, driven over the DevTools
protocol. `borderwatch serve --replay coutts` runs as its own process on 127.0.0.1 (a port
the system chooses); the browser opens the printed link (an RCMP-K operator key in its
#fragment), waits for the Coutts crossing to appear, acknowledges its alert with a mouse
click, and the API must then report the alert acknowledged by that key's agency. Then the
map (Leaflet, map.js): the boundary and the crossing drawn as layers, the scale bar, the
latitude/longitude and MGRS under the cursor, a click on the crossing opening its details
with the head-count range and centring on it, a layer toggled off, wheel and keyboard zoom,
the intercept drawn; and no request of the whole session went to a host other than the
loopback. Last, the US partner's page: the crossing, and no sensor nor track identity.

The operator's first hour (issue 20) runs along: the sound switched on with a click and a
tone for the crossing's alert, the count of alerts waiting in the tab's title falling
once the replay is paused and the alert acknowledged, the sensor health panel listing the
night's sensors, the timeline moved back to before the crossing and Live again, and the
page switched to French (its labels, and numbers written the French way).

The screenshot is kept as a test artifact (test-artifacts/dashboard.png); with
BORDERWATCH_SCREENSHOT=path it is also written there (scripts/dashboard-screenshot.sh
refreshes docs/dashboard.png for the README this way).
"""

from __future__ import annotations

import os
import re
import shutil
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from tests.cdp import CHROMIUM, NEEDS_CHROMIUM, Page, chromium_page
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
    with serving(
        "--db", str(tmp_path / "service.db"), "--replay", "coutts", "--speed", f"{SPEED:g}"
    ) as link:
        yield link.split("/#", 1)[0], link


def test_acknowledge_the_coutts_crossing_alert_in_the_browser(
    replaying: tuple[str, str], tmp_path: Path
) -> None:
    base, link = replaying
    key = link.split("#key=", 1)[1]
    assert CHROMIUM is not None
    with chromium_page(CHROMIUM) as page:
        try:
            page.send("Network.enable")  # every request is an event: checked at the end
            page.send("Page.navigate", url=link)
            # The key moves from the fragment into the tab's session storage, off the URL.
            page.wait_for(
                "document.querySelector('#who')?.textContent.includes('operator')",
                20,
                "the dashboard to log in with the operator key",
            )
            assert "key=" not in page.evaluate("location.href")
            # The sound switched on: the click is the gesture that lets the page play.
            page.click("#sound")
            assert page.evaluate("BWDash.sound.on && BWDash.sound.played === 1")

            # The night is simulated through its frames before it plays (the fixture's run
            # fills the frames cache, but `pytest -p no:cacheprovider` has none: minutes on
            # a busy machine). The page says so and notices when it plays; the crossing's
            # wait starts then, so the test does not depend on the machine's load.
            page.wait_for(
                "!document.querySelector('#who').textContent.includes('preparing')",
                PREPARE_WAIT_S,
                "the page to stop saying the replay is being prepared",
            )
            incident_id = page.wait_for(
                "document.querySelector('#incidents [data-type=\"crossing\"]')?.dataset.incident",
                CROSSING_WAIT_S,
                "the Coutts crossing incident on the page",
            )
            text = page.evaluate(
                f"document.querySelector('#incidents [data-incident=\"{incident_id}\"]')"
                ".textContent"
            )
            assert "CROSSING" in text and "northbound" in text and "group of 9" in text
            assert page.evaluate("!document.querySelector('#sim').hidden"), "no EXERCISE banner"

            button = (
                f'[data-alert][data-incident="{incident_id}"][data-unit="RCMP-K-IBET"] '
                "button[data-ack]"
            )
            alert_id = page.wait_for(
                f"document.querySelector('{button}')?.dataset.ack",
                20,
                "the crossing alert's Acknowledge button",
            )
            tones = page.wait_for(
                "BWDash.sound.played > 1 && BWDash.sound.played",
                10,
                "a tone for the crossing's alert",
            )
            # Paused (the operator's control), so no new alert comes between the counts. On
            # a loaded machine the replay may have finished already (its control is then
            # hidden, and a click would land elsewhere): a finished replay is as still.
            replay = "document.querySelector('#rp-state').textContent"
            before = page.evaluate(replay)
            if before != "finished":
                page.click("#rp-toggle")
            page.wait_for(
                f"['paused', 'finished'].includes({replay})",
                10,
                f"the replay paused (it was {before!r} before the click)",
            )
            waiting = page.wait_for(
                "(() => { const m = document.title.match(/^\\((\\d+)\\) Borderwatch/),"
                " n = BWDash.state.alerts.filter((a) => a.status === 'triggered').length;"
                " return m && +m[1] === n && document.querySelector('#alerts-badge')"
                ".textContent === m[1] ? n : 0; })()",
                10,
                "the alerts waiting in the title",
            )
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
                " === 'acknowledged'",
                10,
                "the page to show the alert acknowledged",
            )
            fewer = waiting - 1
            title = f"({fewer}) Borderwatch" if fewer else "Borderwatch"
            page.wait_for(
                f"document.title.startsWith({title!r})",
                10,
                f"the title to count {fewer} alerts waiting",
            )
            assert page.evaluate("BWDash.sound.played") == tones  # no tone for an ack
            # Resumed at once: the map's checks ask for the intercept while the group's
            # last position is recent on the exercise's clock (its 30-minute horizon).
            if not page.evaluate(f"{replay} === 'finished'"):
                page.click("#rp-toggle")
            page.wait_for(
                "['playing', 'finished'].includes(document.querySelector('#rp-state').textContent)",
                10,
                "the replay resumed",
            )
            check_the_map(page, incident_id)

            shot = tmp_path / "dashboard.png"
            page.screenshot(shot)
            check_the_sensor_panel(page)
            check_the_timeline(page, incident_id)
            check_the_rewind(page, incident_id)
            check_in_french(page)
            assert page.exceptions() == []
            hosts = {
                urlsplit(e["params"]["request"]["url"]).hostname
                for e in page.events
                if e.get("method") == "Network.requestWillBeSent"
            }
            assert hosts - {None} == {"127.0.0.1"}, hosts  # data: URLs have no host
        except (AssertionError, TimeoutError, RuntimeError) as err:
            # What the page showed and any script error: the failure explains itself.
            page.screenshot(ROOT / "test-artifacts" / "dashboard-failure.png")
            feed = page.evaluate("document.querySelector('#feed')?.textContent")
            raise AssertionError(f"{err}; page errors: {page.exceptions()}; {feed}") from err

    check_the_partners_map(link.split("/#", 1)[0], tmp_path / "service.db")
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    artifacts = ROOT / "test-artifacts"
    artifacts.mkdir(exist_ok=True)
    shutil.copyfile(shot, artifacts / "dashboard.png")
    wanted = os.environ.get("BORDERWATCH_SCREENSHOT")
    if wanted:
        shutil.copyfile(shot, wanted)


def check_the_map(page: Page, incident_id: str) -> None:
    """The Leaflet map of the picture, as an operator uses it (see the module's doc)."""
    # (An element comes back over the protocol as {}, which Python reads as false: hence !!.)
    page.wait_for(
        "!!(window.BWMap && BWMap.map && document.querySelector('#map.leaflet-container'))",
        10,
        "the Leaflet map",
    )
    assert page.evaluate(
        "BWMap.map.hasLayer(BWMap.layers.boundary) && BWMap.layers.boundary.getLayers().length > 0"
    )
    assert page.evaluate("document.querySelectorAll('path.bw-boundary').length") > 0
    marker = f'[data-incident-marker="{incident_id}"]'
    page.wait_for(f"!!document.querySelector('{marker}')", 10, "the crossing on the map")
    page.wait_for("document.querySelectorAll('path.bw-track').length > 0", 10, "a track on the map")
    # Live updates carry positions only; the page grows each track's trail.
    page.wait_for(
        "document.querySelectorAll('path.bw-trail').length > 0", 10, "a track's trail on the map"
    )
    scale = page.evaluate("document.querySelector('.leaflet-control-scale-line')?.textContent")
    assert re.fullmatch(r"\d+ k?m", scale or ""), scale

    # The cursor over the middle of the map: its position in degrees and as MGRS (the
    # Coutts crossing is in zone 12U).
    x, y = page.evaluate(
        "(() => { const r = document.querySelector('#map')"
        ".getBoundingClientRect(); return [r.left + r.width / 2,"
        " r.top + r.height / 2]; })()"
    )
    page.send("Input.dispatchMouseEvent", type="mouseMoved", x=x, y=y)
    latlon = page.wait_for(
        "document.querySelector('#cursor-latlon').textContent.includes('°')"
        " && document.querySelector('#cursor-latlon').textContent",
        5,
        "the cursor's latitude and longitude",
    )
    assert re.fullmatch(r"4[89]\.\d{5}° N  11[12]\.\d{5}° W", latlon), latlon
    grid = page.evaluate("document.querySelector('#cursor-mgrs').textContent")
    assert re.fullmatch(r"MGRS 12U [A-Z]{2} \d{5} \d{5}", grid), grid

    # The mouse wheel zooms in (towards the cursor).
    zoom = page.evaluate("BWMap.map.getZoom()")
    # Waited for to its end (zoomend): an animation still running would undo a later move.
    page.evaluate(
        "void (window.zoomed = new Promise((r) => BWMap.map.once('zoomend',"
        " () => r(BWMap.map.getZoom()))))"
    )
    page.send("Input.dispatchMouseEvent", type="mouseWheel", x=x, y=y, deltaX=0, deltaY=-300)
    assert page.evaluate("window.zoomed") > zoom

    # A click on the crossing: its details (head count as a range, risk, lifecycle) and the
    # map centred on it.
    # (Framed as the page first opened: the crossing in view, under no control.)
    page.evaluate("void BWMap.fit()")
    page.click(marker)
    details = f'#details [data-detail-incident="{incident_id}"]'
    text = page.wait_for(
        f"document.querySelector('{details}')?.textContent", 5, "the crossing's details"
    )
    assert "CROSSING" in text and "head count" in text and "Lifecycle" in text, text
    assert re.search(r"range \d+–\d+", text), text
    assert "RCMP-K-IBET: acknowledged" in text, text
    # Its evidence: what the cameras saw, as the night's operator saw it before sending
    # the team (thermal crops fetched with the key, shown as images that decoded).
    shown = page.wait_for(
        "(() => { const i = [...document.querySelectorAll('#details img[data-evidence]')];"
        " return i.length && i.every((x) => x.complete && x.naturalWidth > 0) ? i.length"
        " : 0; })()",
        20,
        "the crossing's evidence images",
    )
    assert 1 <= shown <= 6, shown
    gap_m = page.evaluate(
        f"BWMap.map.getCenter().distanceTo(BWMap.markers.incidents.get('{incident_id}')"
        ".getLatLng())"
    )
    assert gap_m < 50, gap_m
    assert page.evaluate("BWMap.map.getZoom()") >= 14

    # The layer control hides a layer, and shows it again.
    toggle = (
        "[...document.querySelectorAll('.leaflet-control-layers-overlays label')]"
        ".find((l) => l.textContent.trim() === 'Incidents').querySelector('input')"
    )
    page.evaluate(f"{toggle}.click()")
    assert page.evaluate(f"document.querySelector('{marker}') === null")
    assert not page.evaluate("BWMap.map.hasLayer(BWMap.layers.incidents)")
    page.evaluate(f"{toggle}.click()")
    page.wait_for(f"!!document.querySelector('{marker}')", 5, "the crossing back on the map")

    # The keyboard zooms out too (Leaflet reads the key code of "-").
    zoom = page.evaluate("BWMap.map.getZoom()")
    page.evaluate("document.querySelector('#map').focus()")
    page.evaluate(
        "void (window.zoomed = new Promise((r) => BWMap.map.once('zoomend',"
        " () => r(BWMap.map.getZoom()))))"
    )
    for kind in ("keyDown", "keyUp"):
        page.send(
            "Input.dispatchKeyEvent", type=kind, key="-", code="Minus", windowsVirtualKeyCode=189
        )
    assert page.evaluate("window.zoomed") < zoom
    # A click on a track clear of the incidents: its details and the history seen. The
    # tracks move at the replay's speed and the dot may move on between the aim and the
    # press, so the page records what the press and the release landed on: a click that
    # missed the dots is aimed again; one that landed on a dot must open its details.
    aim = (
        "(() => { const m = BWMap.map, inc = [...BWMap.markers.incidents.values()]"
        ".map((i) => m.latLngToContainerPoint(i.getLatLng()));"
        " for (const [id, t] of BWMap.markers.tracks) {"
        "  const p = m.latLngToContainerPoint(t.getLatLng()), r = m.getContainer()"
        ".getBoundingClientRect();"
        "  if (p.x > 40 && p.x < 700 && p.y > 40 && p.y < r.height - 120"
        "      && inc.every((q) => q.distanceTo(p) > 25)) return [id, r.left + p.x, r.top + p.y];"
        " } return null; })()"
    )
    record = (
        "void (window.landed = [], ['pointerdown', 'pointerup'].forEach((k) =>"
        " document.addEventListener(k, (e) => window.landed.push(e.target),"
        " {once: true, capture: true})))"
    )
    landed = (
        "window.landed.length === 2 && [[...BWMap.markers.tracks].find(([, t]) =>"
        " t.getElement() === window.landed[0] && t.getElement() === window.landed[1])"
        "?.[0] ?? null]"
    )
    clicked, spot = None, page.evaluate(aim)
    for _ in range(10):
        if spot is None:  # (a moment with every track at an incident has none to click)
            break
        _, tx, ty = spot
        page.evaluate(record)
        for kind in ("mouseMoved", "mousePressed", "mouseReleased"):
            extra = {} if kind == "mouseMoved" else {"button": "left", "clickCount": 1}
            page.send("Input.dispatchMouseEvent", type=kind, x=tx, y=ty, **extra)
        clicked = page.wait_for(landed, 5, "the press and the release on the page")[0]
        if clicked is not None:
            break
        spot = page.evaluate(aim)
    assert spot is None or clicked is not None, "ten clicks aimed at a track all missed it"
    if clicked is not None:
        text = page.wait_for(
            f"document.querySelector('#details [data-detail-track=\"{clicked}\"]')?.textContent",
            5,
            "the track's details",
        )
        assert "head count" in text and "History" in text and "last seen" in text, text
        page.evaluate("void BWMap.fit()")
        page.click(marker)  # the crossing selected again, for the screenshot
        page.wait_for(f"!!document.querySelector('{details}')", 5, "the crossing's details")

    # The intercept: the proposed point and the unit's line to it drawn on the map.
    page.click(f'button[data-intercept="{incident_id}"]')
    page.wait_for(
        "!!document.querySelector('.bw-intercept') && "
        "document.querySelectorAll('path.bw-intercept-line').length > 0",
        10,
        "the intercept point and the unit's line to it",
    )

    # Framed as it first opened, for the screenshot (the crossing still selected).
    page.evaluate("void BWMap.fit()")
    page.evaluate("document.querySelector('aside').scrollTop = 0")
    time.sleep(0.5)


def check_the_partners_map(base: str, db: Path) -> None:
    """The US partner's page: the crossing it is told of, and none of the deployment's
    sensors (the sharing policy releases none) nor any track's identity."""
    from borderwatch.adapters.sqlite.keys import KeyStore
    from borderwatch.domain.access import Role

    keys = KeyStore(db)
    partner, _ = keys.create("USBP-HVM", Role.PARTNER, "test")
    keys.close()
    assert CHROMIUM is not None
    with chromium_page(CHROMIUM) as page:
        page.send("Page.navigate", url=f"{base}/#key={partner}")
        page.wait_for(
            "document.querySelector('#who')?.textContent.includes('partner')",
            20,
            "the dashboard to log in with the partner key",
        )
        page.wait_for(
            "window.BWMap && BWMap.markers.incidents.size > 0",
            20,
            "the released crossing on the partner's map",
        )
        assert (
            page.evaluate(
                "BWMap.layers.sensors.getLayers().length + BWMap.layers.coverage.getLayers().length"
            )
            == 0
        )
        # A partner's tracks come without an id (keyed here by their position).
        assert page.evaluate("[...BWMap.markers.tracks.keys()].every((id) => /^-?\\d/.test(id))")
        assert page.exceptions() == []


def check_the_sensor_panel(page: Page) -> None:
    """The sensor health panel lists the night's cameras and drone, the reporting ones with
    a rate (reports per minute over the window)."""
    rows = page.wait_for(
        "(() => { const r = [...document.querySelectorAll('#sensor-health tr[data-sensor]')];"
        " return r.some((x) => parseFloat(x.cells[2].textContent) > 0)"
        " ? r.map((x) => x.dataset.sensor) : null; })()",
        20,
        "the sensor health panel with a reporting sensor",
    )
    assert {"cam-1", "cam-2", "cam-3", "cam-4", "drone-1"} <= set(rows), rows


def check_the_timeline(page: Page, incident_id: str) -> None:
    """Back to the timeline's first moment: the crossing not yet there (on the map or in
    the list), the page saying it shows the past; a minute before the crossing, the
    group's track south of where it crossed; Live brings the crossing back."""
    marker = f'[data-incident-marker="{incident_id}"]'
    page.click("#tl-first")
    page.wait_for(
        "document.body.classList.contains('past') && !!BWDash.state.past",
        10,
        "the picture at the timeline's start",
    )
    assert page.evaluate(f"document.querySelector('{marker}') === null")
    assert page.evaluate("document.querySelector('#incidents [data-type=\"crossing\"]') === null")
    assert "as at" in page.evaluate("document.querySelector('#tl-time').textContent")
    # A minute before the crossing, the slider moved there as a user would.
    crossed = page.evaluate(f"BWDash.state.incidents.get('{incident_id}').properties.time")
    moment = page.evaluate(
        "(() => { const s = document.querySelector('#tl-slider');"
        f" s.value = String(Math.floor(Date.parse('{crossed}') / 1000) - 60);"
        " s.dispatchEvent(new Event('input')); return Number(s.value); })()"
    )
    before = page.wait_for(
        f"BWDash.state.past && Date.parse(BWDash.state.past.at) / 1000 === {moment}"
        " && BWDash.state.past.at",
        10,
        "the picture a minute before the crossing",
    )
    assert page.evaluate(f"!BWDash.state.past.incidents.has('{incident_id}')"), before
    crossing = page.evaluate(f"BWDash.state.incidents.get('{incident_id}').geometry.coordinates")
    tracks = page.evaluate(
        "[...BWDash.state.past.tracks.values()].map((f) => f.geometry.coordinates)"
    )
    assert tracks, before  # the group walking towards the line
    assert min(lat for _, lat in tracks) < crossing[1], (tracks, crossing)
    assert page.evaluate("BWMap.markers.tracks.size") == len(tracks)
    page.click("#tl-live")
    page.wait_for(
        f"!document.body.classList.contains('past') && !!document.querySelector('{marker}')",
        10,
        "the live picture again",
    )
    assert page.evaluate("document.querySelector('#tl-time').textContent") == "live"


def check_the_rewind(page: Page, incident_id: str) -> None:
    """The replay finished: its state says so and its pause and speed give way to the
    playback's speed (the replay's, to start with). At x1, « 5 min, then paused and
    pressed again until the picture is from before the crossing was detected: the
    crossing off the map, the bar saying it is a playback and where live is, and the
    picture holding still. Resumed at the replay's speed, the stored picture plays
    forward: the crossing comes back while it is still a playback, and the page returns
    to live by itself."""
    marker = f'[data-incident-marker="{incident_id}"]'
    page.wait_for(
        "document.querySelector('#rp-state').textContent === 'finished'",
        4500 / SPEED + 120,
        "the replay finished",
    )
    assert page.evaluate(
        "document.querySelector('#rp-toggle').hidden"
        " && document.querySelector('#rp-speed').hidden"
        " && !document.querySelector('#pb-speed').hidden"
    )
    assert page.evaluate("document.querySelector('#pb-speed').value") == f"{SPEED:g}"
    detected = page.evaluate(
        f"Date.parse(BWDash.state.incidents.get('{incident_id}').properties.detected_at) / 1000"
    )
    pace = (
        "(x) => { const s = document.querySelector('#pb-speed'); s.value = x;"
        " s.dispatchEvent(new Event('change')); return s.value; }"
    )
    assert page.evaluate(f"({pace})('1')") == "1"
    page.click("#tl-back")
    page.wait_for(
        "!!BWTimeline.playback && document.body.classList.contains('playback')",
        10,
        "a playback five minutes back",
    )
    page.click("#tl-play")  # paused while it is taken further back
    page.wait_for("BWTimeline.playback.paused", 5, "the playback paused")
    for _ in range(40):
        if page.evaluate("BWTimeline.playback.at") < detected - 60:
            break
        page.click("#tl-back")
    at = page.evaluate("BWTimeline.playback.at")
    assert at < detected - 60, (at, detected)
    shown = page.wait_for(
        f"BWDash.state.past && Math.abs(Date.parse(BWDash.state.past.at) / 1000 - {at}) < 1"
        " && BWDash.state.past.at",
        10,
        "the picture from before the crossing was detected",
    )
    assert page.evaluate(f"document.querySelector('{marker}') === null"), shown
    assert not page.evaluate(f"BWDash.state.past.incidents.has('{incident_id}')"), shown
    assert page.evaluate("BWMap.markers.tracks.size === BWDash.state.past.tracks.size")
    banner = page.evaluate("document.querySelector('#tl-time').textContent")
    assert re.fullmatch(
        r"playback paused at \d\d:\d\d:\d\d UTC — live is "
        r"\d\d:\d\d:\d\d UTC",
        banner,
    ), banner
    # Paused, the playback's steps go on and the picture holds.
    steps = page.evaluate("BWTimeline.steps")
    page.wait_for(f"BWTimeline.steps >= {steps + 3}", 10, "three steps of the paused playback")
    assert page.evaluate("BWDash.state.past.at") == shown
    assert page.evaluate("BWTimeline.playback.at") == at
    assert page.evaluate(f"({pace})('{SPEED:g}')") == f"{SPEED:g}"
    page.click("#tl-play")
    back = page.wait_for(
        f"document.body.classList.contains('playback') && !!document.querySelector('{marker}')"
        " && document.querySelector('#tl-time').textContent",
        20,
        "the crossing back on the map during the playback",
    )
    assert back.startswith("playback ") and " — live is " in back, back
    page.wait_for(
        f"!document.body.classList.contains('playback') && !BWDash.state.past"
        f" && !!document.querySelector('{marker}')"
        " && document.querySelector('#tl-time').textContent === 'live'",
        4500 / SPEED + 20,
        "the page back to live",
    )


def check_in_french(page: Page) -> None:
    """The FR switch: the panels, the legend and the layers in French, and a number written
    the French way (the cursor's latitude with a decimal comma, west as O)."""
    page.click('button[data-lang="fr"]')
    page.wait_for("document.documentElement.lang === 'fr'", 5, "the page in French")
    assert page.evaluate("document.querySelector('#h-alerts').textContent").startswith("Alertes")
    assert page.evaluate("document.querySelector('#h-sensors').textContent") == "État des capteurs"
    assert page.evaluate("document.querySelector('.bw-legend b').textContent") == "Légende"
    layers = page.evaluate("document.querySelector('.leaflet-control-layers-overlays').textContent")
    assert "Frontière" in layers and "Intervenants et interceptions" in layers, layers
    assert page.evaluate("document.querySelector('#tl-live').textContent") == "Direct"
    assert page.evaluate("document.querySelector('#tl-play').textContent") == "▶ Lire"
    nav = page.evaluate("document.querySelector('header nav').textContent")
    assert nav == "Terrain · Examen · Avis · Statistiques", nav
    text = page.evaluate("document.querySelector('#incidents').textContent")
    assert "FRANCHISSEMENT" in text and "vers le nord" in text, text
    # What the server wrote, in French too: the risk reasons and the intercept's assumption.
    assert "froid extrême : " in text and "enfants dans le groupe : " in text, text
    plan = page.evaluate("document.querySelector('#intercept').textContent")
    assert re.search(r"ligne droite de l’unité|par la route là où", plan), plan
    x, y = page.evaluate(
        "(() => { const r = document.querySelector('#map')"
        ".getBoundingClientRect(); return [r.left + r.width / 2,"
        " r.top + r.height / 2 + 3]; })()"
    )
    page.send("Input.dispatchMouseEvent", type="mouseMoved", x=x, y=y)
    latlon = page.wait_for(
        "document.querySelector('#cursor-latlon').textContent.includes(',')"
        " && document.querySelector('#cursor-latlon').textContent",
        5,
        "the cursor's position written the French way",
    )
    assert re.fullmatch(r"4[89],\d{5}° N  11[12],\d{5}° O", latlon), latlon
    assert page.evaluate("document.title").endswith("Borderwatch — situation opérationnelle")
