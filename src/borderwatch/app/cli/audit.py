"""`borderwatch audit init-key|verify|checkpoint`: the screening audit log's keys and its
check (docs/security/audit.md says what is and is not detected)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from borderwatch.adapters.audit.checkpoints import CheckpointFile
from borderwatch.adapters.audit.keys import (
    CHECKPOINTS,
    KEYS_ENV,
    init_key_dir,
    load_check,
    load_seal,
)
from borderwatch.domain import InputError
from borderwatch.screening.audit_proof import CANNOT, Verdict, verify_log

audit_app = typer.Typer(
    help="The append-only screening audit log: signed records (Ed25519) and signed "
    "checkpoints of its head kept outside the database (docs/security/audit.md).",
    no_args_is_help=True,
)
console = Console()
err_console = Console(stderr=True)

KeysOption = Annotated[
    Path | None,
    typer.Option("--keys", envvar=KEYS_ENV, file_okay=False,
                 help="Key directory (`audit init-key`); default: $" + KEYS_ENV + "."),
]


@audit_app.command("init-key")
def init_key(
    directory: Annotated[Path, typer.Argument(file_okay=False,
                                              help="New key directory (created, mode 0700).")],
) -> None:
    """Create a key directory: audit.key (Ed25519 private key, mode 0600), audit.pub
    (give it to whoever verifies) and, once records are written, checkpoints.jsonl. Keep
    it off the database's disk and out of its backups. Never overwrites a key."""
    try:
        key_id = init_key_dir(directory)
    except InputError as err:
        err_console.print(f"[bold red]error:[/] {escape(str(err))}")
        raise typer.Exit(2) from None
    console.print(f"audit key {key_id} created in {escape(str(directory))}")
    console.print(f"writers: export {KEYS_ENV}={escape(str(directory))}")


@audit_app.command("verify")
def verify(
    db: Annotated[Path, typer.Option("--db", exists=True, dir_okay=False,
                                     help="SQLite file holding the audit log (read only).")],
    keys: KeysOption = None,
    checkpoints: Annotated[
        Path | None,
        typer.Option("--checkpoints", dir_okay=False,
                     help="Checkpoint file; default: checkpoints.jsonl in --keys."),
    ] = None,
) -> None:
    """Check the audit log without changing the file: the hash chain, each record's
    signature and every checkpoint. Exit 0: intact; 1: problems (each listed: an edited,
    re-hashed, reordered or deleted record, records deleted from the end, the table
    dropped); 2: cannot verify (not an audit log, unkeyed, no key given)."""
    from borderwatch.adapters.sqlite.audit import read_audit_file

    try:
        rows = read_audit_file(db)
        check = load_check(keys) if keys is not None else None
    except InputError as err:
        verdict = Verdict(CANNOT, reasons=[str(err)])
    else:
        where = checkpoints or (keys / CHECKPOINTS if keys is not None else None)
        lines = CheckpointFile(where).lines() if where is not None else None
        verdict = verify_log(rows, check=check, checkpoints=lines)
        if check is not None:
            console.print(f"public key {check.key_id}; checkpoints "
                          f"{escape(str(where)) if lines is not None else '(none)'}")
    report(verdict)
    raise typer.Exit(verdict.exit_code)


def report(verdict: Verdict) -> None:
    """Print a verdict: problems and reasons on stderr, the summary on stdout."""
    for problem in verdict.problems:
        err_console.print(f"[red]{escape(problem)}[/]")
    for reason in verdict.reasons:
        err_console.print(f"[yellow]cannot verify: {escape(reason)}[/]")
    for note in verdict.notes:
        console.print(f"note: {escape(note)}")
    if verdict.status == "intact":
        console.print(f"audit log intact ({verdict.records} records, signed and checkpointed)")
    elif verdict.problems:
        console.print(f"{len(verdict.problems)} problem(s)")
    elif verdict.status == "unkeyed":
        console.print("audit log unkeyed: integrity cannot be proven")
    else:
        console.print("audit log not verified")


@audit_app.command("checkpoint")
def checkpoint(
    db: Annotated[Path, typer.Option("--db", exists=True, dir_okay=False,
                                     help="SQLite file holding the audit log.")],
    keys: KeysOption = None,
) -> None:
    """Write a signed checkpoint of the log's head now. On a log written before keys, its
    first checkpoint seals the history as it stands (it cannot prove what came before)."""
    from borderwatch.adapters.sqlite.audit import AuditLog, read_audit_file

    try:
        if keys is None:
            raise InputError("--keys", f"give the key directory (or set {KEYS_ENV})")
        if read_audit_file(db) is None:
            raise InputError(None, "not an audit log: no screening_audit table",
                             source=str(db))
        log = AuditLog(db, seal=load_seal(keys))
        try:
            log.check_anchor()
            written = log.checkpoint()
        finally:
            log.db.close()
    except InputError as err:
        err_console.print(f"[bold red]error:[/] {escape(str(err))}")
        raise typer.Exit(2) from None
    console.print("checkpoint written" if written else "the log is empty: nothing to checkpoint")
