"""The screening officers' endpoints: the facts of a case's people, the engine's proposal
and the questions still to ask, the decision per person, the return to the US, the
decision record (HTML or PDF), and the partner's handoff notices (runtime/officers.py does
the work).

Who sees what: everything about a case's people is for screening officers of the agency
that owns the case (``Action.READ_CASE``; deciding and recording a return need
``Action.DECIDE``); another agency's case is answered as a missing one (404), and every
answer holding personal data is written to the disclosure log (who, what, when). A field
role (operator) has neither action, so it never gets an identifier. A partner reads only
the handoff notices addressed to its agency, as the sharing policy releases them (each
release logged). Bad input is a 422 naming the field."""

# No `from __future__ import annotations`: FastAPI reads the annotations at run time.
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from fastapi import APIRouter, Body, Depends, HTTPException, Query, Response

from borderwatch.app.http.roles import may_screen, owns
from borderwatch.app.runtime.officers import RECORD_MEDIA, OfficerDesk, screening_json
from borderwatch.app.runtime.service import Service
from borderwatch.cases import CaseNotFound
from borderwatch.domain import Case, InputError
from borderwatch.domain.access import Principal
from borderwatch.domain.time import format_time, parse_time
from borderwatch.geo import Boundary, Places
from borderwatch.screening.decisions import DecisionConflict
from borderwatch.screening.explain import summary
from borderwatch.screening.returns import ReturnConflict

Lang = Literal["en", "fr"]


def case_country(places: Places, boundary: Boundary, case: Case) -> str:
    """The country where the case's people were met: the intercepting unit's own (a unit
    acts on its side; a point placed on or a metre past the line must not move a case
    the RCMP opened out of Canada); for a unit the service does not know, the side of
    the line, and on the line the side the people were going to."""
    i = case.interception
    unit = places.unit(i.unit_id)
    if unit is not None:
        return unit.country
    return boundary.country_at(i.lat, i.lon, case.from_country) or ""


def may_read_case(service: Service, who: Principal, case: Case) -> bool:
    """The agency that intercepted (or its unit), or an agency that screens claims in the
    country where the people were met (roles.py ``may_screen``: CBSA in Canada)."""
    unit = service.places.unit(case.interception.unit_id)
    return owns(who.agency, case.interception.unit_id, unit.agency if unit else None) or may_screen(
        who.agency, case_country(service.places, service.boundary, case)
    )


def officer_routes(service: Service, case_reader: Any, decider: Any, reader: Any) -> APIRouter:
    """The routes, with the app's dependencies: a reader of cases (``READ_CASE``), a
    decider (``DECIDE``) and a reader of the picture (``READ``, for notices)."""
    router = APIRouter(tags=["officers"])
    CaseReader = Annotated[Principal, Depends(case_reader)]
    Decider = Annotated[Principal, Depends(decider)]
    Reader = Annotated[Principal, Depends(reader)]

    def desk() -> OfficerDesk:
        if service.officers is None:
            raise HTTPException(404, "no officers' desk in this service")
        return service.officers

    def owned(case_id: str, who: Principal, kind: str, fields: list[str]) -> Case:
        """The case if ``who`` is of the agency that owns it (else 404, as if missing),
        with the view logged: who, what (``kind``, ``fields``), when."""
        try:
            case = desk().case(case_id)
        except CaseNotFound:
            case = None
        if case is None or not may_read_case(service, who, case):
            raise HTTPException(404, "no such case")
        service.alerts.disclosures.record(
            {
                "time": format_time(datetime.now(UTC)),
                "kind": kind,
                "case_id": case_id,
                "alert_id": f"{kind.replace('_', '-')}:{case_id}",
                "recipient": who.agency,
                "agency": who.agency,
                "key_id": who.key_id,
                "role": who.role.value,
                "channel": "api",
                "fields": fields,
                "basis": "screening officer of an agency that owns or screens the case",
                "simulated": case.simulated,
            }
        )
        return case

    def officer_id(who: Principal, officer: str | None) -> str:
        """The officer as recorded: the name given, and always the key that acted."""
        name = (officer or "").strip()
        return f"{name} ({who.key_id})" if name else f"{who.agency} ({who.key_id})"

    @router.get("/v1/cases/{case_id}/facts")
    def facts(case_id: str, who: CaseReader) -> dict[str, Any]:
        """The facts in force for the case's people (the latest entered, else the case as
        opened): the screening input, null meaning unknown, assumptions marked."""
        owned(case_id, who, "facts_read", ["people", "relations"])
        return desk().facts(case_id)

    @router.put("/v1/cases/{case_id}/facts")
    def enter_facts(
        case_id: str,
        who: Decider,
        facts: Annotated[dict[str, Any], Body(embed=True)],
        officer: Annotated[str | None, Body(embed=True)] = None,
        lang: Annotated[Lang, Query()] = "en",
    ) -> dict[str, Any]:
        """Enter the facts of every person of the case (``facts``: the screening input,
        ``case.json``'s format; ``assumptions`` mark what is assumed); answers the
        engine's proposal and the questions still to ask, as ``/proposal``."""
        owned(case_id, who, "facts_entered", ["people", "relations"])
        with _unprocessable("facts"):
            desk().enter_facts(case_id, facts, officer_id(who, officer))
        return proposal_of(case_id, lang)

    def proposal_of(case_id: str, lang: str) -> dict[str, Any]:
        with _unprocessable("case"):
            screened = desk().screening(case_id)
            answer = screening_json(screened)
            asked = {p["id"]: p["questions"] for p in desk().questions(case_id, lang)["people"]}
        said = {p.person_id: summary(p, lang) for p in screened.people}
        for person in answer["people"]:
            person["questions"] = asked[person["id"]]
            person["summary"] = said[person["id"]]  # the explanation's first line, in lang
        answer["lang"] = lang
        return answer

    @router.get("/v1/cases/{case_id}/proposal")
    def proposal(
        case_id: str, who: CaseReader, lang: Annotated[Lang, Query()] = "en"
    ) -> dict[str, Any]:
        """The engine's proposal per person on the facts in force, with its citations, and
        ``questions``: the facts still to establish, each a plain question (``lang``: en
        or fr) with the citations of the rules that need it. Decision support only."""
        owned(case_id, who, "screening_read", ["people"])
        return proposal_of(case_id, lang)

    @router.post("/v1/cases/{case_id}/people/{person_id}/decision")
    def decide(
        case_id: str,
        person_id: str,
        who: Decider,
        action: Annotated[Literal["confirm", "override"], Body(embed=True)],
        reason: Annotated[str, Body(embed=True, max_length=4000)] = "",
        outcome: Annotated[str | None, Body(embed=True)] = None,
        replaces: Annotated[str | None, Body(embed=True)] = None,
        officer: Annotated[str | None, Body(embed=True)] = None,
    ) -> dict[str, Any]:
        """Confirm the engine's outcome for the person, or ``override`` it with an
        ``outcome`` and a written ``reason``. A revision names the decision in force
        (``replaces``); 409 when it does not (someone decided since)."""
        owned(case_id, who, "decision_made", ["people"])
        with _unprocessable("body"):
            try:
                made = desk().decide(
                    case_id,
                    person_id,
                    action=action,
                    reason=reason,
                    outcome=outcome,
                    replaces=replaces,
                    officer_id=officer_id(who, officer),
                )
            except DecisionConflict as err:
                raise HTTPException(409, str(err)) from None
        return made.to_json()

    @router.get("/v1/cases/{case_id}/decisions")
    def decisions(case_id: str, who: CaseReader) -> dict[str, Any]:
        """The decision in force per person (null: not decided) and every record."""
        owned(case_id, who, "decisions_read", ["people"])
        return desk().decisions(case_id)

    @router.post("/v1/cases/{case_id}/returns")
    def record_return(
        case_id: str,
        who: Decider,
        port_of_entry: Annotated[str, Body(embed=True, max_length=200)],
        receiving_agency: Annotated[str, Body(embed=True, max_length=16)],
        people: Annotated[list[str], Body(embed=True, max_length=500)],
        time: Annotated[str | None, Body(embed=True)] = None,
        officer: Annotated[str | None, Body(embed=True)] = None,
    ) -> dict[str, Any]:
        """Record the return of ``people`` to the US under the Agreement (each with a
        decision in force of ``ineligible``), at ``port_of_entry``, ``time`` (RFC 3339;
        default now) to ``receiving_agency``. Answers the record and the handoff notice as
        released to that agency (the disclosure is logged)."""
        owned(case_id, who, "return_recorded", ["people"])
        with _unprocessable("body"):
            at = parse_time(time, "time") if time is not None else desk().clock()
            try:
                record, notice = desk().record_return(
                    case_id,
                    port_of_entry=port_of_entry,
                    time=at,
                    receiving_agency=receiving_agency,
                    people=people,
                    officer_id=officer_id(who, officer),
                )
            except ReturnConflict as err:
                raise HTTPException(409, str(err)) from None
        return {"return": record.to_json(), "notice": notice}

    @router.get("/v1/cases/{case_id}/returns")
    def returns(case_id: str, who: CaseReader) -> dict[str, Any]:
        """The case's returns, in the order recorded."""
        case = owned(case_id, who, "returns_read", ["people"])
        return {"case_id": case_id, "returns": desk().returns(case_id), "simulated": case.simulated}

    @router.get(
        "/v1/cases/{case_id}/people/{person_id}/record",
        responses={200: {"content": {"text/html": {}, "application/pdf": {}}}},
    )
    def record(
        case_id: str,
        person_id: str,
        who: CaseReader,
        lang: Annotated[Lang, Query()] = "en",
        format: Annotated[Literal["html", "pdf"], Query()] = "html",
        tz: Annotated[str, Query(max_length=64)] = "UTC",
    ) -> Response:
        """The person's printable decision record (``format`` html or pdf, ``lang`` en or
        fr, times in the IANA zone ``tz``): the person, the proposal with its citations,
        the decision and reason, the rule set, earlier records, removal deferrals."""
        owned(case_id, who, "record_read", ["people"])
        try:
            ZoneInfo(tz)
        except (ValueError, ZoneInfoNotFoundError):
            raise HTTPException(
                422,
                [
                    {
                        "loc": ["query", "tz"],
                        "type": "value_error",
                        "msg": f"field tz: not a time zone: {tz!r}",
                    }
                ],
            ) from None
        with _unprocessable("path"):
            body = desk().record(case_id, person_id, lang=lang, form=format, tz=tz)
        name = f"{case_id}-{person_id}-{lang}.{format}"
        return Response(
            body,
            media_type=RECORD_MEDIA[format],
            headers={"Content-Disposition": f'inline; filename="{name}"'},
        )

    @router.get("/v1/stats/decisions", tags=["statistics"])
    def decision_stats(who: Reader) -> dict[str, Any]:
        """People by the officer's decision in force and by exception, people returned to
        the US, per local month, the people and children of all cases, and the time from
        detection to interception: exact for
        the deployment's agency, publishable figures (0-5 suppressed, others to the
        nearest 5) for any other."""
        return desk().statistics(publishable=service.viewer.restricted(who))

    @router.get("/v1/notices")
    def notices(who: Reader) -> dict[str, Any]:
        """The handoff notices addressed to the key's agency, each as the sharing policy
        releases it (only the fields its rule names; the release is logged)."""
        found = desk().notices_for(who.sharing_agency, "api")
        return {"notices": found, "simulated": any(n["simulated"] for n in found)}

    return router


@contextmanager
def _unprocessable(where: str) -> Iterator[None]:
    """An ``InputError`` as a 422 in the shape FastAPI documents (HTTPValidationError),
    the field named in ``loc`` and in the message."""
    try:
        yield
    except InputError as err:
        loc = [where, *(err.field.split(".") if err.field else [])]
        # ctx: the reason's code and values, for the page to say it in its language.
        raise HTTPException(422, [{"loc": loc, "msg": str(err), "type": "value_error",
                                   "ctx": err.wire()}]) from None
