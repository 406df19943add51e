"""The decision record per person, in English and French, as HTML and PDF: the PDF is read
back with pypdf for its citations, its language and the SIMULATED mark; removal
deferrals are shown beside the outcome without changing it."""

from __future__ import annotations

import io

import pypdf
import pytest
from tests.case_helpers import coutts_case
from tests.unit.test_officer_desk import CASE, NOW, facts

from borderwatch.alerts.gate import SharingGate
from borderwatch.alerts.sharing import SharingPolicy
from borderwatch.app.runtime.officers import OfficerDesk
from borderwatch.domain import InputError
from borderwatch.ports.storage_fake import InMemoryStorage


@pytest.fixture(scope="module")
def desk() -> OfficerDesk:
    storage = InMemoryStorage()
    storage.cases.open_case(coutts_case())
    desk = OfficerDesk(storage, SharingGate(SharingPolicy.bundled(), storage.disclosures),
                       clock=lambda: NOW)
    desk.enter_facts(CASE, facts(), "officer-7")
    first = desk.decide(CASE, "p2", action="confirm", officer_id="officer-7")
    desk.decide(CASE, "p2", action="override", officer_id="officer-9", outcome="exception",
                reason="A Canadian visa <TRV> was found: Visa canadien trouvé",
                replaces=first.decision_id)
    return desk


def _pdf_text(body: bytes) -> tuple[str, object]:
    reader = pypdf.PdfReader(io.BytesIO(body))
    # Lines are joined: a wrapped line is one text.
    text = " ".join(" ".join(page.extract_text() for page in reader.pages).split())
    return text, reader.trailer["/Root"].get("/Lang")


@pytest.mark.parametrize(("lang", "words", "citation", "position", "date"), [
    ("en", "Decision record", "IRPR 159.4(1.1)", "49.0012, -111.9302", "February 3, 2025"),
    ("fr", "Relevé de décision", "RIPR 159.4(1.1)", "49,0012 ; -111,9302", "3 février 2025"),
])
def test_the_pdf_holds_the_citations_in_its_language(
    desk: OfficerDesk, lang: str, words: str, citation: str, position: str, date: str
) -> None:
    body = desk.record(CASE, "p2", lang=lang, form="pdf", tz="America/Edmonton")
    assert body.startswith(b"%PDF-")
    text, declared = _pdf_text(body)
    assert declared == lang
    assert words in text and citation in text and position in text and date in text
    assert ("SIMULATED" if lang == "en" else "SIMULÉ") in text
    assert "Visa canadien trouvé" in text  # the reason, as written
    assert "(VE)" in text and "ADR" in text  # the deferral, beside
    other = "Relevé de décision" if lang == "en" else "Decision record"
    assert other not in text


def test_the_html_is_escaped_and_shows_the_revision(desk: OfficerDesk) -> None:
    page = desk.record(CASE, "p2", lang="fr").decode()
    assert '<html lang="fr">' in page and "&lt;TRV&gt;" in page and "<TRV>" not in page
    assert "A infirmé la proposition" in page and "Relevés antérieurs" in page
    assert "RIPR 159.4(1.1)" in page and 'class="simulated"' in page
    english = desk.record(CASE, "p2", lang="en").decode()
    assert "Overrode the proposal" in english and "Ineligible" in english


def test_the_removal_deferral_never_changes_the_outcome(desk: OfficerDesk) -> None:
    desk.decide(CASE, "p1", action="confirm", officer_id="officer-7")
    page = desk.record(CASE, "p1", lang="en").decode()
    assert "Venezuela (VE): deferred" in page
    assert "Ineligible: the Agreement applies" in page


@pytest.mark.parametrize(("person", "kwargs", "field"), [
    ("p3", {}, "person_id"),
    ("p99", {}, "person_id"),
    ("p2", {"lang": "de"}, "lang"),
    ("p2", {"form": "docx"}, "format"),
])
def test_a_bad_request_names_the_field(desk: OfficerDesk, person: str, kwargs: dict,
                                       field: str) -> None:
    with pytest.raises(InputError) as err:
        desk.record(CASE, person, **kwargs)
    assert err.value.field == field
