"""What the server writes reaches the French pages in French: every code the server can
send with a risk reason, an intercept plan or a refused field has its English and French
in static/lang/server.js, with the values the server sends; and the page's own code
(i18n.js, lang/server.js, run in Node) writes a real risk reason and a real 422 in French
with French numbers, and falls back to the server's English for a code it does not know."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from datetime import UTC, datetime
from typing import Any

import pytest
from tests.unit.test_dashboard_lang import strings as dashboard_strings

from borderwatch.alerts.lifecycle import Status
from borderwatch.alerts.sharing import PERSONAL_FIELDS
from borderwatch.app.http.pages import STATIC
from borderwatch.app.http.roles import scrub
from borderwatch.domain import IncidentType, Kind, Severity
from borderwatch.domain.access import Role
from borderwatch.domain.errors import REASON_PARAMS, InputError
from borderwatch.domain.incident import RISK_REASON_PARAMS, RiskReason
from borderwatch.domain.sides import Direction
from borderwatch.respond.field_report import parse_field_report
from borderwatch.respond.intercept import ASSUMPTION_CODES, NO_PROPOSAL
from borderwatch.respond.registry import Availability
from borderwatch.screening.ruleset import RULES
from borderwatch.watch.risk import Conditions, FixedConditions, RiskModel

LANG = STATIC / "lang" / "server.js"
PLACEHOLDER = re.compile(r"\{(\w+)\}")
FASTAPI_TYPES = {"missing": (), "string_too_long": ("max_length",)}
"""FastAPI's own 422 types the pages' forms can provoke, with their ``ctx`` values."""


def strings(lang: str) -> dict[str, str]:
    text = LANG.read_text("utf-8")
    block = re.search(rf"^  {lang}: \{{\n(.*?)^  \}},$", text, re.S | re.M)
    assert block is not None, f"no {lang} block in {LANG.name}"
    pairs = re.findall(r'^    "([^"]+)": "((?:[^"\\]|\\.)*)",$', block.group(1), re.M)
    lines = [line for line in block.group(1).splitlines() if line.strip()]
    assert len(pairs) == len(lines), "a line the test cannot read: one string a line"
    return dict(pairs)


def expected() -> dict[str, set[str]]:
    """Every key the server's codes need, with the values the server sends for it."""
    keys: dict[str, set[str]] = {}
    for code, names in RISK_REASON_PARAMS.items():
        keys[f"risk.{code}"] = set(names) - {"wind_chill_c"}
        if "wind_chill_c" in names:
            keys[f"risk.{code}.wind"] = set(names)
    keys |= {f"icpt.reason.{code}": set() for code in NO_PROPOSAL}
    keys |= {f"icpt.assume.{code}": set() for code in ASSUMPTION_CODES}
    keys["icpt.assume.by_road"] = {"source"}
    keys |= {f"err.{code}": set(names) for code, names in REASON_PARAMS.items()}
    keys |= {f"err.{code}": set(names) for code, names in FASTAPI_TYPES.items()}
    keys |= {f"prog.{removal.programme}": set() for removal in RULES.removal_lists}
    return keys


def test_every_code_the_server_sends_has_its_english_and_french() -> None:
    en, fr = strings("en"), strings("fr")
    wanted = expected()
    assert len(wanted) > 40
    assert sorted(set(wanted) - set(en)) == []
    assert sorted(set(wanted) - set(fr)) == []
    assert sorted(set(en) ^ set(fr)) == []
    assert [k for k, v in fr.items() if not v.strip()] == []
    # A string names the values the server sends for it (those only), in both languages;
    # an optional value (the wind chill) has a string of its own.
    assert [k for k, values in wanted.items() if set(PLACEHOLDER.findall(en[k])) != values] == []
    assert [k for k, values in wanted.items() if set(PLACEHOLDER.findall(fr[k])) != values] == []


def test_every_value_the_dashboard_shows_as_a_word_has_its_french() -> None:
    # dashboard.js word(group, value) shows an unknown value as it came: in English.
    french = dashboard_strings("fr")
    groups = {
        "type": IncidentType,
        "dir": Direction,
        "kind": Kind,
        "sev": Severity,
        "status": Status,
        "avail": Availability,
        "role": Role,
    }
    missing = [
        f"{group}.{v.value}"
        for group, enum in groups.items()
        for v in enum
        if f"{group}.{v.value}" not in french
    ]
    assert missing == []


def test_a_code_outside_the_catalogue_is_refused_where_it_is_made() -> None:
    with pytest.raises(ValueError, match="not in RISK_REASON_PARAMS"):
        RiskReason("frostbite_risk", "frostbite risk", 1)
    with pytest.raises(ValueError, match="carries"):
        RiskReason("children", "children in group: 2", 3)  # the count left out
    with pytest.raises(ValueError, match="reason code 'too_cold'"):
        InputError("age", "too cold", code="too_cold")
    with pytest.raises(ValueError, match="expected values"):
        InputError("people", "at most 200", code="people_max")


def test_the_values_a_page_needs_survive_the_views_scrub() -> None:
    """The operators' views drop every key named after a personal field at any depth
    (app/http/roles.py ``scrub``): a reason's value so named never reaches the page, which
    then writes the English (the dashboard's browser test found ``children`` so lost)."""
    reason = RiskReason("children", "children in group: 4", 3, (("count", 4),))
    risk = {"reasons": [{"code": reason.code, "params": dict(reason.params)}]}
    assert scrub(risk) == risk
    for code, names in RISK_REASON_PARAMS.items():  # a 422 goes to its sender, unscrubbed
        assert not set(names) & PERSONAL_FIELDS, code


def _node(script: str) -> Any:
    node = shutil.which("node")
    if node is None:
        pytest.skip("Node.js is not installed: the page's scripts cannot run here")
    page = (
        "globalThis.window = globalThis;"
        "globalThis.location = { search: '?lang=fr' };"
        "globalThis.localStorage = { getItem: () => null, setItem: () => {} };"
        "globalThis.navigator = { language: 'en-CA' };"
        "globalThis.document = { querySelectorAll: () => [], documentElement: {} };"
        "globalThis.CustomEvent = class { constructor(n, o) { this.detail = o.detail; } };"
        "globalThis.dispatchEvent = () => true;"
    )
    source = page + "\n".join(
        (STATIC / name).read_text("utf-8") for name in ("i18n.js", "lang/server.js")
    )
    done = subprocess.run(
        [node, "-e", source + f"\nconsole.log(JSON.stringify({script}));"],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    return json.loads(done.stdout)


def test_a_french_page_writes_the_servers_risk_reasons_and_refusals_in_french() -> None:
    # The Coutts night: -27 °C, a 6 m/s wind, a group of 12 with children, before dawn.
    model = RiskModel(FixedConditions(Conditions(temperature_c=-27.0, wind_ms=6.0)))
    risk = model.assess(
        lat=49.0,
        lon=-111.96,
        time=datetime(2025, 2, 3, 11, 0, tzinfo=UTC),
        kind=Kind.PERSON,
        group_size=12,
        children=5,
    ).to_json()
    with pytest.raises(InputError) as refused:
        parse_field_report(
            {
                "time": "2025-02-03T13:27:00Z",
                "lat": 49.0,
                "lon": -111.9,
                "unit_id": "RCMP-K-IBET",
                "people": [{"apparent_age": 150}],
            },
            incident_id="INC-1",
            reported_by="RCMP (k1)",
        )
    err = refused.value
    detail = {
        "loc": ["body", err.field],
        "msg": err.reason,
        "type": "value_error",
        "ctx": err.wire(),
    }
    old_detail = {"loc": ["body", "x"], "msg": "an English reason", "type": "value_error"}
    said = _node(
        f"[{json.dumps(risk['reasons'])}.map((r) => BWServerText.risk(r)),"
        f" BWServerText.refusal({json.dumps(detail)}),"
        f" BWServerText.refusal({json.dumps(old_detail)}),"
        " BWServerText.refusal({loc: ['body', 'reason'], msg: 'Field required', type: 'missing'}),"
        " BWServerText.risk({code: 'new_code', text: 'a new reason', points: 1})]"
    )
    reasons, refusal, unknown, missing, new = said
    cold = risk["reasons"][0]
    chill = cold["params"]["wind_chill_c"]
    assert cold["text"] == f"extreme cold: -27 °C (wind chill {chill})"  # the English stays
    assert reasons[0] == f"froid extrême : -27 °C (refroidissement éolien {chill})", reasons
    assert "enfants dans le groupe : 5" in reasons, reasons
    assert "groupe d’environ 12 personnes" in reasons, reasons
    assert any(r.startswith("obscurité (soleil à ") for r in reasons), reasons
    assert refusal == "de 0 à 120 ans, ou vide"
    assert (unknown, missing, new) == ("an English reason", "obligatoire", "a new reason")


def test_french_numbers_follow_the_canadian_locale() -> None:
    # A thousands separator is a no-break space in fr-CA (as domain/lang.py writes it).
    detail = {
        "loc": ["body", "belongings"],
        "msg": "a text of at most 1500 characters",
        "type": "value_error",
        "ctx": {"code": "belongings_max", "params": {"max": 1500}},
    }
    assert (
        _node(f"BWServerText.refusal({json.dumps(detail)})")
        == "un texte d’au plus 1\u00a0500 caractères"
    )
