"""The dashboard's case panel in a real browser (Debian's Chromium, headless): a screening
officer of the agency that owns a case sees its people with each one's screening under
the Safe Third Country Agreement; an operator of the same agency never gets the panel."""

from __future__ import annotations

import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from tests.cdp import CHROMIUM, NEEDS_CHROMIUM, chromium_page
from tests.serve_process import serving

from borderwatch.adapters.sqlite.cases import SqlCaseStore
from borderwatch.adapters.sqlite.keys import KeyStore
from borderwatch.domain import Case, Interception, Person, Relation
from borderwatch.domain.access import Role

BIN = Path(sys.executable).parent / "borderwatch"
CASE_ID = "AB-2025-0203-777"

pytestmark = NEEDS_CHROMIUM


def _case() -> Case:
    interception = Interception("ICP-T-7", "INC-20250203-0002",
                                datetime(2025, 2, 3, 13, 27, tzinfo=UTC),
                                49.004, -111.9, "RCMP-K-IBET", 2, True)
    people = (Person("p1", 34, ("VE",)), Person("p2", 9, ("VE",)))
    return Case(CASE_ID, interception, people, (Relation("p1", "mother", "p2"),), (),
                "between_ports", "2025-02-03", "US", True)


def test_a_screening_officer_sees_the_case_and_its_screening(tmp_path: Path) -> None:
    db = tmp_path / "service.db"
    store = SqlCaseStore.at(db)
    store.open_case(_case())
    store.close()
    keys = KeyStore(db)
    officer, _ = keys.create("RCMP-K", Role.SCREENING_OFFICER, "test")
    operator, _ = keys.create("RCMP-K", Role.OPERATOR, "test")
    keys.close()
    with serving("--db", str(db)) as link, chromium_page(CHROMIUM) as page:
        base = link.split("/#", 1)[0].rstrip("/")
        page.send("Page.navigate", url=f"{base}/#key={officer}")
        text = page.wait_for(
            "document.querySelector('#case')?.textContent.includes('STCA') && "
            "document.querySelector('#case').textContent", 30,
            "the case panel with the screening")
        assert CASE_ID in text and "p1" in text and "p2" in text, text
        assert "an officer decides" in text, text
        assert not page.evaluate("document.querySelector('#case-section').hidden")
        assert page.exceptions() == []
        page.send("Page.navigate", url="about:blank")  # a fragment alone does not reload
        page.send("Page.navigate", url=f"{base}/#key={operator}")
        page.wait_for("document.querySelector('#who')?.textContent.includes('operator')",
                      20, "the dashboard to log in with the operator key")
        time.sleep(1.0)
        assert page.evaluate("document.querySelector('#case-section').hidden")
        assert "p1" not in page.evaluate("document.querySelector('#case').textContent")
