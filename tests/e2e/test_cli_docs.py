"""Keep the CLI help and the docs honest: every command teaches, every command is in
docs/commands.md, and the README's set-up commands exist in the Makefile."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from borderwatch.app.cli.main import app

ROOT = Path(__file__).resolve().parents[2]
COMMANDS = sorted(c.name or c.callback.__name__ for c in app.registered_commands)  # type: ignore[union-attr]


def test_there_are_commands() -> None:
    assert {"demo", "simulate", "run", "evaluate"} <= set(COMMANDS)


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help_that_explains_it(command: str) -> None:
    result = CliRunner().invoke(app, [command, "--help"])
    assert result.exit_code == 0
    assert len(result.output.split()) > 30, result.output


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_is_in_the_commands_page(command: str) -> None:
    assert f"borderwatch {command}" in (ROOT / "docs" / "commands.md").read_text()


def test_readme_starts_with_the_two_commands_and_make_has_them() -> None:
    readme = (ROOT / "README.md").read_text()
    head = "\n".join(readme.splitlines()[:20])
    assert "make demo" in head and "make test" in head and "make watch" in head
    makefile = (ROOT / "Makefile").read_text()
    for target in ("demo", "test", "watch"):
        assert re.search(rf"^{target}:", makefile, re.M), target
    assert "make test" in (ROOT / ".ci/run").read_text()
