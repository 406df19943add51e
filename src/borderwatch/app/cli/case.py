"""`borderwatch case record`: a person's decision record from the service's database, as
HTML or PDF, in English or French (docs/officers.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import typer
from rich.console import Console
from rich.markup import escape

from borderwatch.adapters.sqlite.storage import SqliteStorage
from borderwatch.alerts.gate import SharingGate
from borderwatch.alerts.sharing import SharingPolicy
from borderwatch.app.runtime.officers import RECORD_FORMS, OfficerDesk
from borderwatch.domain import InputError

case_app = typer.Typer(
    help="The screening officers' records of a case: the decision record per person "
    "(docs/officers.md).",
    no_args_is_help=True,
)
err_console = Console(stderr=True)


@case_app.command("record")
def record(
    case_id: Annotated[str, typer.Argument(help="The case id, e.g. AB-2025-0203-001.")],
    person: Annotated[str, typer.Option("--person", help="The person's id in the case, "
                                        "e.g. p1.")],
    db: Annotated[Path, typer.Option("--db", exists=True, dir_okay=False,
                                     help="The service's SQLite file (`serve --db`, or the "
                                          "demo's borderwatch.db).")],
    out: Annotated[Path, typer.Option("--out", dir_okay=False,
                                      help="Where to write the record.")],
    lang: Annotated[str, typer.Option("--lang", help="en or fr: the record's language, "
                                      "and how dates and numbers are written.")] = "en",
    form: Annotated[str, typer.Option("--format", help="html or pdf.")] = "pdf",
    tz: Annotated[str, typer.Option("--tz", help="IANA time zone the times are shown in, "
                                    "e.g. America/Edmonton.")] = "UTC",
) -> None:
    """Write the decision record of one person of a case, for the person's file.

    The record shows the person as a screening officer may see them, the engine's proposal
    as it stood when the officer decided (outcome, rule, citations, the facts still asked
    for), the officer's decision and written reason, the rule-set version, any earlier
    decisions it revised, and the removal deferrals beside it (they never change the
    outcome). A simulated case is marked SIMULATED on every page. Example:

        borderwatch case record AB-2025-0203-001 --person p1 --db out/demo/borderwatch.db
        --lang fr --format pdf --out p1-fr.pdf
    """
    if form not in RECORD_FORMS:
        raise InputError("--format", f"must be one of {', '.join(RECORD_FORMS)}, got {form!r}")
    try:
        ZoneInfo(tz)
    except (ValueError, ZoneInfoNotFoundError):
        raise InputError("--tz", f"not a time zone: {tz!r}") from None
    storage = SqliteStorage(db)
    try:
        desk = OfficerDesk(storage, SharingGate(SharingPolicy.bundled(), storage.disclosures))
        body = desk.record(case_id, person, lang=lang, form=form, tz=tz)
    finally:
        storage.close()
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(body)
    err_console.print(f"decision record of {escape(person)} ({escape(lang)}, "
                      f"{escape(form)}) written to {escape(str(out))}")
