"""The demo's case, entered the way the people of the night enter one.

1. The field team's interception report opens it: how many people, adults or children,
   their apparent ages, nothing that identifies anyone. It goes through
   ``respond/field_report.py`` (parse, refuse identifiers, open the case), the code behind
   ``POST /v1/incidents/{id}/interception``.
2. The screening officer's interview gives each person's facts (nationality, sex, the
   relations within the group), entered through the officers' desk (``officers.py``) with
   each assumed fact marked.

Both are read from the scenario's account of the night (what was published, and the
demo's stated assumptions where nothing was), never from the simulator's truth: the team
reports the people in the account's order, so the report's ``p1``, ``p2``, ... are the
account's people in turn.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any

from borderwatch.cases import case_to_json
from borderwatch.domain import Case
from borderwatch.domain.case import Assumption, Interception, Person, Relation
from borderwatch.domain.time import format_time
from borderwatch.respond.field_report import case_from_report, parse_field_report
from borderwatch.sim.scenario import Group, Scenario

REPORTED_BY = "RCMP field team (demo)"
PLACE_ASSUMED = "The exact place was not published; placed where the simulated group was met."


def field_report_body(group: Group, interception: Interception) -> dict[str, Any]:
    """The report the team sends, as the endpoint's JSON body: one entry per person met, the
    apparent age as the account gives it (an estimate by eye at the scene)."""
    return {
        "time": format_time(interception.time),
        "lat": interception.lat,
        "lon": interception.lon,
        "unit_id": interception.unit_id,
        "people": [{"apparent_age": m.age, "child": m.is_child} for m in group.members],
        "belongings": "",
        "simulated": True,
    }


def open_case_from_field_report(body: dict[str, Any], *, incident_id: str, case_id: str,
                                interception_id: str, entry_kind: str, from_country: str,
                                entry_date: date) -> Case:
    """The case the report opens (``InputError`` names a bad field, as the endpoint would)."""
    report = parse_field_report(body, incident_id=incident_id, reported_by=REPORTED_BY,
                                simulated=True)
    case = case_from_report(report, case_id=case_id, interception_id=interception_id,
                            entry_kind=entry_kind, from_country=from_country,
                            entry_date=entry_date.isoformat())
    place = Assumption("interception.position",
                       f"{report.lat:.5f},{report.lon:.5f}", PLACE_ASSUMED)
    return replace(case, assumptions=(*case.assumptions, place))


def interview_facts(scenario: Scenario, group: Group, case: Case) -> dict[str, Any]:
    """The officer's facts for ``case`` (``case.json``'s format): each person's nationality,
    sex and age, and the relations within the group, from the account; whatever the
    account does not give is listed as an assumption with the scenario's reason."""
    if len(case.people) != len(group.members):
        raise ValueError(f"the case has {len(case.people)} people, the account "
                         f"{len(group.members)}: the interview cannot be matched")
    ids = {m.member_id: p.person_id for m, p in zip(group.members, case.people, strict=True)}
    people = tuple(Person(ids[m.member_id], m.age,
                          (m.nationality,) if m.nationality else (), sex=m.sex)
                   for m in group.members)
    relations = tuple(Relation(ids[p], rel, ids[of]) for p, rel, of in group.relations)
    reasons = {a.field: a.reason for a in scenario.assumptions}
    # The field team's apparent ages give way to the interview's; the rest stays.
    assumed = [a for a in case.assumptions if not a.field.endswith("].age")]
    assumed.append(Assumption("names", "none recorded", "No names were published."))
    for member in group.members:
        for name in member.assumed:
            if name == "member_id":
                continue
            value = getattr(member, name, None)
            reason = next((r for f, r in reasons.items()
                           if f.startswith("groups[0].members") and f.endswith(f".{name}")),
                          "not published; assumed for the demo")
            assumed.append(Assumption(f"people[{ids[member.member_id]}].{name}",
                                      "" if value is None else str(value), reason))
    if group.relations_assumed:
        assumed.append(Assumption(
            "relations",
            "; ".join(f"{ids[p]} is {rel} of {ids[of]}" for p, rel, of in group.relations)
            or "none",
            reasons.get("groups[0].relations", "relationships were not published")))
    return case_to_json(replace(case, people=people, relations=relations,
                                assumptions=tuple(assumed)))
