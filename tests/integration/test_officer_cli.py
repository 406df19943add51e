"""`borderwatch case record`: a person's decision record from a SQLite file, as a PDF in
French and as HTML; bad options are named."""

from __future__ import annotations

import io
from pathlib import Path

import pypdf
from tests.case_helpers import coutts_case
from tests.unit.test_officer_desk import CASE, NOW, facts
from typer.testing import CliRunner

from borderwatch.adapters.sqlite.storage import SqliteStorage
from borderwatch.alerts.gate import SharingGate
from borderwatch.alerts.sharing import SharingPolicy
from borderwatch.app.cli.main import app
from borderwatch.app.runtime.officers import OfficerDesk


def test_the_record_is_written_in_the_language_asked(tmp_path: Path) -> None:
    db = tmp_path / "b.db"
    storage = SqliteStorage(db)
    storage.cases.open_case(coutts_case())
    desk = OfficerDesk(storage, SharingGate(SharingPolicy.bundled(), storage.disclosures),
                       clock=lambda: NOW)
    desk.enter_facts(CASE, facts(), "officer-7")
    desk.decide(CASE, "p1", action="confirm", officer_id="officer-7")
    storage.close()
    runner = CliRunner()
    out = tmp_path / "p1.pdf"
    result = runner.invoke(app, ["case", "record", CASE, "--person", "p1", "--db", str(db),
                                 "--lang", "fr", "--tz", "America/Edmonton", "--out", str(out)])
    assert result.exit_code == 0, result.output
    text = " ".join(pypdf.PdfReader(io.BytesIO(out.read_bytes())).pages[0].extract_text().split())
    assert "Relevé de décision" in text and "RIPR 159.4(1.1)" in text and "HNR" in text
    html = tmp_path / "p1.html"
    result = runner.invoke(app, ["case", "record", CASE, "--person", "p1", "--db", str(db),
                                 "--format", "html", "--out", str(html)])
    assert result.exit_code == 0 and "IRPR 159.4(1.1)" in html.read_text()
    result = runner.invoke(app, ["case", "record", CASE, "--person", "p1", "--db", str(db),
                                 "--format", "docx", "--out", str(html)])
    assert result.exit_code != 0 and "--format" in str(result.exception)
    help_text = runner.invoke(app, ["case", "record", "--help"]).output
    assert "--lang" in help_text and "SIMULATED" in help_text
