"""The screening officers' endpoints on the real service: facts entered, proposal and
questions (en, fr), decisions (confirm, override with a reason, a stale revision 409),
the return and its notice; who may do what (the owning agency's screening officers only,
every view logged; a field role gets nothing; the partner only the released notice); bad
input a 422 naming the field."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import httpx
from tests.case_helpers import coutts_case, interception
from tests.service_helpers import running_service
from tests.unit.test_officer_desk import facts

from borderwatch.alerts import PERSONAL_FIELDS

CASE = "AB-2025-0203-001"


def _case():  # type: ignore[no-untyped-def]
    return coutts_case(CASE, replace(interception(), unit_id="RCMP-K-IBET"))


def test_the_officers_workflow_over_http(tmp_path: Path) -> None:
    with running_service(tmp_path / "s.db") as svc, httpx.Client(base_url=svc.url) as client:
        svc.service.cases.open_case(_case())
        officer = svc.key("RCMP-K", "screening_officer")
        other = svc.key("RCMP-D", "screening_officer")
        field = svc.key("RCMP-K", "operator")
        partner = svc.key("USBP", "partner")
        base = f"/v1/cases/{CASE}"

        entered = facts(documents=None)
        r = client.put(f"{base}/facts?lang=fr", headers=officer,
                       json={"facts": entered, "officer": "Cst. Tremblay"})
        assert r.status_code == 200, r.text
        person = r.json()["people"][0]
        assert person["outcome"] == "needs_information"
        assert person["questions"][0]["citations"] == ["RIPR 159.5f)"]
        # The explanation's first line in French; the English explanation stays on the wire.
        assert person["summary"]["text"].startswith("Droit applicable à la date du 2025-02-03")
        assert person["explanation"][0].startswith("Law date 2025-02-03")
        assert client.get(f"{base}/facts", headers=officer).json()["entered_by"].startswith(
            "Cst. Tremblay (key-")

        bad = dict(entered, people=entered["people"][:8])
        r = client.put(f"{base}/facts", headers=officer, json={"facts": bad})
        assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["facts", "people"]
        # A refused nationality carries its reason's code for the page to translate.
        bad = facts()
        bad["people"][0]["nationalities"] = ["Venezuela"]
        r = client.put(f"{base}/facts", headers=officer, json={"facts": bad})
        assert r.status_code == 422
        assert r.json()["detail"][0]["ctx"] == {"code": "country_code", "params": {}}

        client.put(f"{base}/facts", headers=officer, json={"facts": facts()})
        decided = []
        for n in range(1, 10):
            r = client.post(f"{base}/people/p{n}/decision", headers=officer,
                            json={"action": "confirm", "officer": "Cst. Tremblay"})
            assert r.status_code == 200, r.text
            decided.append(r.json())
        assert {d["outcome"] for d in decided} == {"ineligible"}
        r = client.post(f"{base}/people/p9/decision", headers=officer,
                        json={"action": "override", "outcome": "exception", "reason": " "})
        assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "reason"]
        stale = client.post(f"{base}/people/p9/decision", headers=officer,
                            json={"action": "override", "outcome": "exception",
                                  "reason": "a Canadian visa"})
        assert stale.status_code == 409
        r = client.post(f"{base}/people/p9/decision", headers=officer,
                        json={"action": "override", "outcome": "exception",
                              "reason": "a Canadian visa", "replaces": decided[8]["decision_id"]})
        assert r.status_code == 200 and r.json()["replaces"] == decided[8]["decision_id"]
        in_force = client.get(f"{base}/decisions", headers=officer).json()["in_force"]
        assert in_force["p9"]["outcome"] == "exception"

        r = client.post(f"{base}/returns", headers=officer,
                        json={"port_of_entry": "Coutts-Sweetgrass", "receiving_agency": "USBP",
                              "people": [f"p{n}" for n in range(1, 10)]})
        assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "people[8]"]
        r = client.post(f"{base}/returns", headers=officer,
                        json={"port_of_entry": "Coutts-Sweetgrass", "receiving_agency": "USBP",
                              "people": [f"p{n}" for n in range(1, 9)]})
        assert r.status_code == 200, r.text
        notice = r.json()["notice"]
        assert notice["people_count"] == 8 and "case_id" not in notice
        r = client.post(f"{base}/returns", headers=officer,
                        json={"port_of_entry": "Coutts", "receiving_agency": "USBP",
                              "people": ["p9"], "time": "2025-02-03T20:00:00"})
        assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "time"]

        r = client.get(f"{base}/people/p9/record?lang=fr&format=pdf&tz=America/Edmonton",
                       headers=officer)
        assert r.status_code == 200 and r.headers["content-type"] == "application/pdf"
        assert r.content.startswith(b"%PDF-")
        r = client.get(f"{base}/people/p9/record?tz=Mars/Olympus", headers=officer)
        assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["query", "tz"]
        r = client.get(f"{base}/people/p9/record?lang=de", headers=officer)
        assert r.status_code == 422
        assert "a Canadian visa" in client.get(f"{base}/people/p9/record",
                                               headers=officer).text

        # The partner: only the notice, only the released fields.
        r = client.get("/v1/notices", headers=partner)
        assert r.json()["notices"] == [notice]
        for who, status in ((partner, 403), (field, 403), (other, 404)):
            for path in (f"{base}/facts", f"{base}/proposal", f"{base}/decisions",
                         f"{base}/returns", f"{base}/people/p1/record"):
                r = client.get(path, headers=who)
                assert r.status_code == status, (path, r.text)
                assert not [f for f in PERSONAL_FIELDS if f'"{f}"' in r.text]
            r = client.post(f"{base}/people/p1/decision", headers=who,
                            json={"action": "confirm"})
            assert r.status_code == status
        assert client.get("/v1/notices", headers=field).json()["notices"] == []

        exact = client.get("/v1/stats/decisions", headers=field).json()
        assert exact["returned"]["total"] == 8 and not exact["publishable"]
        public = client.get("/v1/stats/decisions", headers=partner).json()
        assert public["publishable"] and public["returned"]["total"] == 10
        assert {c["count"] for c in public["by_outcome"]} <= {None, 5, 10}

        log = svc.service.alerts.disclosures.entries()
        kinds = [e.get("kind") for e in log if e.get("case_id") == CASE]
        assert {"facts_entered", "facts_read", "decision_made", "decisions_read",
                "return_recorded", "record_read"} <= set(kinds)
        assert all(e["key_id"] for e in log if e.get("case_id") == CASE)
        notices = [e for e in log if e.get("notice") == "stca_return"]
        assert [e["channel"] for e in notices] == ["handoff", "api"]
        assert "children" in notices[0]["withheld"]


def test_cbsa_screens_a_case_the_rcmp_opened_in_canada_and_not_one_met_in_the_us(
    tmp_path: Path,
) -> None:
    """In Canada a CBSA officer decides eligibility (IRPA 100(1)): the RCMP's case is
    CBSA's to screen. A case met on the US side is not (roles.py SCREENING_AGENCIES)."""
    us_case = coutts_case("MT-2025-0120-001", replace(
        interception("int-0002", "inc-0002"), unit_id="USBP-HVM", lat=48.995, lon=-111.5))
    with running_service(tmp_path / "s.db") as svc, httpx.Client(base_url=svc.url) as client:
        svc.service.cases.open_case(_case())
        svc.service.cases.open_case(us_case)
        cbsa = svc.key("CBSA", "screening_officer")
        usbp = svc.key("USBP-HVM", "screening_officer")
        assert client.get("/v1/cases", headers=cbsa).json()["cases"] == [CASE]
        assert client.get("/v1/cases", headers=usbp).json()["cases"] == ["MT-2025-0120-001"]
        r = client.put(f"/v1/cases/{CASE}/facts", headers=cbsa,
                       json={"facts": facts(), "officer": "BSO Roy"})
        assert r.status_code == 200, r.text
        assert client.get(f"/v1/cases/{CASE}", headers=cbsa).status_code == 200
        assert client.get("/v1/cases/MT-2025-0120-001", headers=cbsa).status_code == 404
        assert client.get("/v1/cases/MT-2025-0120-001/facts", headers=cbsa).status_code == 404
        logged = [e for e in svc.service.alerts.disclosures.entries()
                  if e.get("case_id") == CASE and e.get("agency") == "CBSA"]
        assert logged and all("screens" in e["basis"] for e in logged)
