"""The people's pages in a real browser, from the interception to the decision, on the
Coutts night (`borderwatch serve --replay coutts`, Debian's Chromium over the DevTools
protocol, as test_dashboard_browser.py):

1. the operator's map shows the crossing and its evidence (thermal crops);
2. a field team (an RCMP-K-IBET operator key), on a phone-sized /field, records the
   interception of nine people: a bad apparent age first (the API's message beside the
   field, the typed text kept), then the report; the case opens and the alert closes;
3. a screening officer (a CBSA screening_officer key: in Canada CBSA screens
   the case the RCMP opened, IRPA 100(1)) on /officer enters the facts
   (a nationality the API refuses first), the relations within the group marked assumed,
   answers the engine's questions until none is left, confirms the nine outcomes and then
   overrides one with a written reason (a revision naming the record it replaces),
   fetches a decision record (HTML, PDF; in French too) and records the return of the
   eight ineligible to USBP; the page is also read in French; its views are in the disclosure log;
4. the US partner (/notices) sees the handoff notice with the released fields only: no
   name, nationality or person id in the page; the partner and the field team are refused
   on /officer;
5. the statistics page counts the case (read by an analyst of the deployment's agency: the
   exact internal figures).

Screenshots are test artifacts (test-artifacts/officer-*.png); with
BORDERWATCH_OFFICER_SCREENSHOT=path the officer's screen is also written there
(docs/officer.png for docs/officers.md).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.cdp import CHROMIUM, NEEDS_CHROMIUM, Page, chromium_page
from tests.serve_process import serving

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
SPEED = float(os.environ.get("BORDERWATCH_REPLAY_SPEED", "150"))
CROSSING_WAIT_S = 2800 / SPEED + 40
PREPARE_WAIT_S = 900
AGES = (34, 38, 29, 45, 13, 10, 7, 7, 5)
"""The nine as the field team judged them: four adults, five children."""
NAME = "Ana Testname"
"""A personal field the officer records and the partner must never see."""
ANSWERS = {
    "family_in_canada": "none", "documents": "none", "visa_required_canada": "yes",
    "visa_required_us": "yes", "refused_entry_us_without_claim_adjudicated": "no",
    "canadian_pr_removed_from_us": "no", "death_penalty_charge": "none",
    "has_spouse_or_partner": "no", "parent_or_guardian_in_canada_or_us": "yes",
    "stateless": "no",
}
"""The interview's answers (the demo's stated assumptions, docs/demo.md)."""

pytestmark = NEEDS_CHROMIUM


@pytest.fixture
def replaying(tmp_path: Path) -> Iterator[tuple[str, str, dict[str, str]]]:
    """(base URL, the operator's dashboard link, keys by user) of a replay of Coutts."""
    from borderwatch.adapters.sqlite.keys import KeyStore
    from borderwatch.domain.access import Role
    from borderwatch.geo import Boundary
    from borderwatch.sim import bundled_scenario_path, load_scenario, simulate

    simulate(load_scenario(bundled_scenario_path("coutts")), Boundary.bundled())
    db = tmp_path / "service.db"
    with serving("--db", str(db), "--replay", "coutts", "--speed", f"{SPEED:g}") as link:
        store = KeyStore(db)
        keys = {user: store.create(agency, role, f"browser test: {user}")[0]
                for user, agency, role in (
                    ("field", "RCMP-K-IBET", Role.OPERATOR),
                    ("officer", "CBSA", Role.SCREENING_OFFICER),
                    ("partner", "USBP-HVM", Role.PARTNER),
                    # The deployment's own analyst reads the exact internal figures; a CBSA
                    # key on this RCMP deployment gets the publishable ones (views.py).
                    ("analyst", "RCMP-K", Role.VIEWER))}
        store.close()
        yield link.split("/#", 1)[0], link, keys


def set_value(page: Page, selector: str, value: str, event: str | None = "input") -> None:
    """Type ``value`` into the element (as the keyboard leaves it), then fire ``event``."""
    fire = (f"e.dispatchEvent(new Event({json.dumps(event)}, {{bubbles: true}}));"
            if event else "")
    page.evaluate(f"(() => {{ const e = document.querySelector({json.dumps(selector)});"
                  f" if (!e) throw new Error('no ' + {json.dumps(selector)});"
                  f" e.value = {json.dumps(value)}; {fire} }})()")


def text(page: Page, selector: str = "body") -> str:
    return str(page.evaluate(f"document.querySelector({json.dumps(selector)})?.innerText ?? ''"))


def error_beside(page: Page, selector: str) -> str:
    """The message shown next to the field (its label's .err)."""
    return str(page.evaluate(
        f"(() => {{ const e = document.querySelector({json.dumps(selector)});"
        " const h = e.closest('label, .fld') || e.parentElement;"
        " return h.querySelector(':scope > .err')?.textContent || ''; })()"))


def test_from_interception_to_decision_in_the_browser(
    replaying: tuple[str, str, dict[str, str]], tmp_path: Path
) -> None:
    base, link, keys = replaying
    assert CHROMIUM is not None
    ARTIFACTS.mkdir(exist_ok=True)
    with chromium_page(CHROMIUM) as page:
        step = "map"
        try:
            incident_id = the_map_shows_the_crossing(page, link)
            step = "field"
            case_id = the_field_team_records_the_interception(page, base, keys["field"],
                                                              incident_id)
            step = "officer"
            the_officer_decides(page, base, keys["officer"], case_id, tmp_path)
            step = "partner"
            the_partner_sees_released_fields_only(page, base, keys)
            step = "statistics"
            the_statistics_count_the_case(page, base, keys["analyst"])
            assert page.exceptions() == []
        except (AssertionError, TimeoutError, RuntimeError) as err:
            page.screenshot(ARTIFACTS / f"officer-chain-failure-{step}.png")
            raise AssertionError(f"at the {step} step: {err}; page errors: "
                                 f"{page.exceptions()}") from err
    views = logged_views(tmp_path / "service.db", case_id)
    assert {"facts_read", "screening_read", "decisions_read", "facts_entered",
            "decision_made", "return_recorded", "record_read"} <= views, views


def the_map_shows_the_crossing(page: Page, link: str) -> str:
    page.send("Page.navigate", url=link)
    page.wait_for("document.querySelector('#who')?.textContent.includes('operator')", 20,
                  "the dashboard to log in")
    page.wait_for("!document.querySelector('#who').textContent.includes('preparing')",
                  PREPARE_WAIT_S, "the replay to be prepared")
    incident_id = str(page.wait_for(
        "document.querySelector('#incidents [data-type=\"crossing\"]')?.dataset.incident",
        CROSSING_WAIT_S, "the Coutts crossing on the dashboard"))
    marker = f'[data-incident-marker="{incident_id}"]'
    page.wait_for(f"!!(window.BWMap && document.querySelector('{marker}'))", 10,
                  "the crossing on the map")
    page.evaluate("void BWMap.fit()")
    page.click(marker)
    shown = page.wait_for(
        "(() => { const i = [...document.querySelectorAll('#details img[data-evidence]')];"
        " return i.length && i.every((x) => x.complete && x.naturalWidth > 0) ? i.length"
        " : 0; })()", 30, "the crossing's evidence images")
    assert shown >= 1
    page.screenshot(ARTIFACTS / "officer-chain-map.png")
    return incident_id


def the_field_team_records_the_interception(page: Page, base: str, key: str,
                                            incident_id: str) -> str:
    # A phone in the field: 390 px wide, touch.
    page.send("Emulation.setDeviceMetricsOverride", width=390, height=844,
              deviceScaleFactor=1, mobile=True)
    page.send("Page.navigate", url=f"{base}/field#key={key}")
    page.wait_for(f"document.querySelector('#incident')?.value === '{incident_id}'", 30,
                  "the crossing chosen on the field page")
    assert page.evaluate("document.documentElement.scrollWidth <= 390"), "wider than a phone"
    # Nothing on the page asks for an identifier.
    fields = page.evaluate("[...document.querySelectorAll('input, select, textarea')]"
                           ".map((e) => (e.dataset.field || e.id || '').toLowerCase())")
    assert not [f for f in fields if any(w in f for w in ("name", "nationalit", "passport",
                                                          "document", "birth"))], fields
    lat = float(page.evaluate("document.querySelector('#lat').value"))
    assert 48.9 < lat < 49.1  # the place starts at the incident's
    set_value(page, "#time", "2025-02-03T13:40")
    set_value(page, "#adults", "4")
    set_value(page, "#children", "5")
    for n, age in enumerate(AGES):
        set_value(page, f'[data-person="{n}"] [data-age]', str(150 if n == 3 else age))
    page.click('[data-person="6"] [data-condition][value="hypothermia"]')
    page.click('[data-person="6"] [data-condition][value="medical_transport"]')
    set_value(page, "#belongings", "two backpacks, water")

    # A bad age: the API's 422 names people[3].apparent_age; its message shows beside
    # that field and the typed 150 stays.
    page.click("#send")
    age = '[data-person="3"] [data-age]'
    page.wait_for(f"document.querySelector('{age}').getAttribute('aria-invalid') === 'true'",
                  10, "the refused age marked")
    assert "0 to 120" in error_beside(page, age)
    assert page.evaluate(f"document.querySelector('{age}').value") == "150"
    assert page.evaluate("document.querySelector('#belongings').value") == "two backpacks, water"
    page.screenshot(ARTIFACTS / "officer-chain-field-error.png")
    # The same refusal on the French page: the API's reason code, said in French.
    page.click('button[data-lang="fr"]')
    page.click("#send")
    said = page.wait_for(
        f"(() => {{ const h = document.querySelector('{age}').closest('label, .fld');"
        " const t = h.querySelector(':scope > .err')?.textContent || '';"
        " return t.includes('ans') && t; })()", 10, "the refused age in French")
    assert said == "de 0 à 120 ans, ou vide", said
    page.click('button[data-lang="en"]')

    set_value(page, age, "45")
    page.click("#send")
    case_id = str(page.wait_for("document.querySelector('[data-case-opened]')"
                                "?.dataset.caseOpened", 15, "the case opened"))
    done = text(page, "#done")
    assert "9 people (5 children)" in done, done
    assert int(page.evaluate("document.querySelector('[data-alerts-closed]')"
                             ".dataset.alertsClosed")) >= 1, done
    # The incident is closed in the list (its alerts resolved).
    page.wait_for(f"document.querySelector('#incident option[value=\"{incident_id}\"]')"
                  "?.dataset.open === 'false'", 15, "the incident shown closed")
    page.screenshot(ARTIFACTS / "officer-chain-field.png")
    page.send("Emulation.setDeviceMetricsOverride", width=1400, height=900,
              deviceScaleFactor=1, mobile=False)
    return case_id


def the_officer_decides(page: Page, base: str, key: str, case_id: str,
                        tmp_path: Path) -> None:
    page.send("Page.navigate", url=f"{base}/officer?case={case_id}&lang=en#key={key}")
    page.wait_for(f"!!document.querySelector('[data-case=\"{case_id}\"]')", 20,
                  "the case open on the officer's page")
    page.wait_for("document.querySelectorAll('[data-proposal] .outcome').length === 9", 10,
                  "the nine proposals")
    set_value(page, "#officer-name", "Off. Tremblay")
    people = [f"p{n}" for n in range(1, 10)]

    def fact(pid: str, name: str) -> str:
        return f'[data-person-card="{pid}"] .grid [data-fact="{name}"]'

    # A nationality the API refuses (not an ISO code): its message beside the field, the
    # text kept; then corrected.
    set_value(page, fact("p1", "nationalities"), "Venezuela", "change")
    page.wait_for(f"document.querySelector('{fact('p1', 'nationalities')}')"
                  ".getAttribute('aria-invalid') === 'true'", 10, "the refused nationality")
    assert error_beside(page, fact("p1", "nationalities"))
    assert page.evaluate(f"document.querySelector('{fact('p1', 'nationalities')}').value") \
        == "Venezuela"
    set_value(page, fact("p1", "name"), NAME, "change")
    for pid in people:
        set_value(page, fact(pid, "nationalities"), "CO" if pid in ("p8", "p9") else "VE",
                  "change")
        set_value(page, fact(pid, "claim_date"), "2025-02-03", "change")
    # p1 is the mother of p5, p6 and p7: said, not shown by a document (assumed).
    for n, child in enumerate(("p5", "p6", "p7")):
        page.click("#add-relation")
        row = f'[data-relation="{n}"]'
        set_value(page, f"{row} [data-rel=person]", "p1", "change")
        set_value(page, f"{row} [data-rel=is]", "mother", "change")
        set_value(page, f"{row} [data-rel=of]", child, "change")
        page.click(f"{row} [data-assume]")
    wait_saved(page)
    assert page.evaluate("document.querySelector('[data-outcome=no_claim]') === null")

    # The engine's questions: answered one by one (the same answer for everyone asked)
    # until none is left.
    for _ in range(20):
        asked = page.evaluate("document.querySelector('[data-question]')?.dataset.question")
        if not asked:
            break
        name = asked.split("].", 1)[1]
        item = f'[data-question="{asked}"]'
        set_value(page, f"{item} [data-fact]", ANSWERS[name], None)
        page.click(f"{item} [data-all]")
        page.wait_for(f"!document.querySelector('{item}')", 15, f"the question {asked} answered")
    else:
        raise AssertionError("the questions never ran out")
    wait_saved(page)
    outcomes = page.evaluate("[...document.querySelectorAll('[data-proposal] .outcome')]"
                             ".map((e) => e.dataset.outcome)")
    assert outcomes == ["ineligible"] * 9, outcomes
    assert "IRPA 101(1)(e)" in text(page, '[data-proposal="p1"] [data-citations]')
    # Removal deferrals beside the outcome (VE on the ADR list), the outcome unchanged.
    assert page.evaluate("!!document.querySelector('[data-proposal=\"p1\"] [data-deferral=VE]')")

    # Nine confirmations, then p9's revised by an override with its reason.
    for pid in people:
        page.click(f'[data-confirm="{pid}"]')
        page.wait_for(f"document.querySelector('[data-decision=\"{pid}\"] [data-in-force]')"
                      "?.dataset.inForce === 'ineligible'", 10, f"{pid} confirmed")
    page.click('[data-override-open="p9"]')
    page.click('button[data-override="p9"]')  # no reason written: refused beside the field
    reason = '[data-decision="p9"] [data-field=reason]'
    assert "reason" in error_beside(page, reason)
    set_value(page, '[data-decision="p9"] [data-field=outcome]', "exception", "change")
    set_value(page, reason, "Father's Canadian citizenship card seen at interview (IRPR 159.5(a))")
    page.click('button[data-override="p9"]')
    page.wait_for("document.querySelector('[data-decision=\"p9\"] [data-in-force]')"
                  "?.dataset.inForce === 'exception'", 10, "p9's override in force")
    history = text(page, '[data-history="p9"]')
    assert "replaces" in history and "citizenship card" in history, history

    # The decision record, fetched with the key: HTML and PDF.
    for form in ("html", "pdf"):
        button = f'[data-record="p1"][data-format="{form}"]'
        page.click(button)
        size = page.wait_for(f"document.querySelector('{button}')?.dataset.fetched", 15,
                             f"p1's {form} record")
        assert int(size) > 500

    # The return of the eight decided ineligible, and the notice as released.
    ticked = page.evaluate("[...document.querySelectorAll('[data-return-person]:checked')]"
                           ".map((e) => e.value)")
    assert ticked == people[:8], ticked
    page.click("#record-return")
    page.wait_for("!!document.querySelector('[data-return]')", 10, "the return recorded")
    assert "8 returned at Coutts-Sweetgrass to USBP" in text(page, "[data-return]")
    assert "people_count=8" in text(page, "[data-notice-released]")
    # The screen from the case to the first people's decisions, for docs/officers.md.
    page.send("Emulation.setDeviceMetricsOverride", width=1400, height=1500,
              deviceScaleFactor=1, mobile=False)
    page.evaluate("window.scrollTo(0, 0)")
    time.sleep(0.3)
    shot = tmp_path / "officer.png"
    page.screenshot(shot)
    page.send("Emulation.setDeviceMetricsOverride", width=1400, height=900,
              deviceScaleFactor=1, mobile=False)
    shutil.copyfile(shot, ARTIFACTS / "officer.png")
    wanted = os.environ.get("BORDERWATCH_OFFICER_SCREENSHOT")
    if wanted:
        shutil.copyfile(shot, wanted)

    # In French: the labels, the questions' language, a date as French writes it.
    page.click('[data-lang="fr"]')
    page.wait_for("document.documentElement.lang === 'fr' && "
                  "document.querySelector('[data-in-force]')?.textContent.includes('Décision')",
                  10, "the officer's page in French")
    french = text(page, "#case")
    assert "irrecevable" in french and "févr. 2025" in french, french[:500]
    # The decision record in French (lang=fr asked of the API).
    button = '[data-record="p9"][data-format="html"]'
    page.click(button)
    page.wait_for(f"document.querySelector('{button}')?.dataset.lang === 'fr'", 15,
                  "p9's record in French")
    title = page.evaluate(f"document.querySelector('{button}').dataset.title")
    assert title.startswith("Relevé de décision"), title
    page.screenshot(ARTIFACTS / "officer-fr.png")
    page.click('[data-lang="en"]')


def wait_saved(page: Page) -> None:
    """The facts entered and screened (the page saves each change, shortly after it)."""
    time.sleep(0.5)
    page.wait_for("document.querySelector('#save-state')?.textContent === "
                  "'facts entered and screened'", 10, "the facts entered")


def the_partner_sees_released_fields_only(page: Page, base: str, keys: dict[str, str]) -> None:
    page.send("Page.navigate", url=f"{base}/notices#key={keys['partner']}")
    page.wait_for("document.body?.dataset.loaded === 'true'", 15, "the partner's notices")
    shown = text(page, "main")
    assert "Coutts-Sweetgrass" in shown and "IRPA 101(1)(e)" in shown, shown
    fields = page.evaluate("[...document.querySelectorAll('[data-notice] tr')]"
                           ".map((r) => r.dataset.key)")
    assert "people_count" in fields and "port_of_entry" in fields, fields
    page_text = text(page)
    for personal in (NAME, "Ana", "VE", "nationalit", "p1", "Tremblay"):
        assert personal not in page_text, f"{personal!r} on the partner's page"
    page.screenshot(ARTIFACTS / "officer-chain-partner.png")
    # The officer's page refuses the partner (the API answers 403 for cases).
    page.send("Page.navigate", url=f"{base}/officer#key={keys['partner']}")
    page.wait_for("!!document.querySelector('[data-denied]')", 10, "the partner refused")
    # So does it the field team: cases hold personal data (no read_case for an operator).
    page.send("Page.navigate", url=f"{base}/officer#key={keys['field']}")
    page.wait_for("!!document.querySelector('[data-denied]')", 10, "the field team refused")


def the_statistics_count_the_case(page: Page, base: str, key: str) -> None:
    page.send("Page.navigate", url=f"{base}/stats?lang=fr#key={key}")
    page.wait_for("document.body?.dataset.loaded === 'true'", 15, "the statistics")
    stats = text(page, "#stats")
    assert "Renvoyés aux États-Unis" in stats, stats  # French labels
    assert page.evaluate("document.querySelector('[data-stat=returned] td').textContent") == "8"
    people = int(page.evaluate("document.querySelector('[data-stat=people] td').textContent"
                               ".replace(/\\s/g, '')"))
    children = int(page.evaluate("document.querySelector('[data-stat=children] td')"
                                 ".textContent"))
    assert people >= 9 and children >= 5, (people, children)
    assert page.evaluate("!!document.querySelector('[data-row-outcome=exception]')")
    # A French number: a decimal comma (13:16:11 detected, 13:40 intercepted: 23,8 min).
    median = page.evaluate("document.querySelector('[data-stat=median] td').textContent")
    assert re.fullmatch(r"\d+,\d min", median), median
    # Every English string of the pages has its French (lang/pages.js).
    assert page.evaluate("BWI18n.keys('en').filter((k) => !BWI18n.keys('fr').includes(k))") == []
    assert int(page.evaluate("document.querySelector('[data-stat=interceptions] td')"
                             ".textContent")) >= 1
    page.screenshot(ARTIFACTS / "officer-chain-stats.png")


def logged_views(db: Path, case_id: str) -> set[str]:
    """What the disclosure log recorded of the officer's key on the case."""
    with sqlite3.connect(db) as conn:
        rows = conn.execute("SELECT entry FROM disclosures").fetchall()
    entries = [json.loads(r[0]) for r in rows]
    return {e["kind"] for e in entries
            if e.get("case_id") == case_id and e.get("role") == "screening_officer"}
