"""The house plan (docs/architecture.md) holds, and the checks that guard it can fail.

`make lint` runs import-linter with the contracts in pyproject.toml; here a copy of the
package is given a forbidden import and import-linter must refuse it. Import cycles are
found with grimp (import-linter's own graph), lazy imports inside functions included.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import grimp
import pytest

import borderwatch

PACKAGE = Path(borderwatch.__file__).parent
ROOT = PACKAGE.parent.parent
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")
MAX_MODULE_LINES = 600


def import_cycles(package: str = "borderwatch") -> list[list[str]]:
    """Every set of modules that import each other, directly or through others (Tarjan's
    strongly connected components over grimp's graph)."""
    graph = grimp.build_graph(package, cache_dir=None)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        on_stack.add(module)
        for imported in sorted(graph.find_modules_directly_imported_by(module)):
            if imported not in index:
                visit(imported)
                low[module] = min(low[module], low[imported])
            elif imported in on_stack:
                low[module] = min(low[module], index[imported])
        if low[module] == index[module]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == module:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for module in sorted(graph.modules):
        if module not in index:
            visit(module)
    return cycles


def test_no_import_cycle() -> None:
    assert import_cycles() == []


def test_the_package_root_holds_only_init_and_main() -> None:
    loose = sorted(p.name for p in PACKAGE.glob("*.py"))
    assert loose == ["__init__.py", "__main__.py"]


def test_no_module_grows_past_600_lines() -> None:
    long = {
        str(path.relative_to(PACKAGE)): n
        for path in PACKAGE.rglob("*.py")
        if (n := len(path.read_text("utf-8").splitlines())) > MAX_MODULE_LINES
    }
    assert long == {}


def _copy_with(tmp_path: Path, module: str, line: str) -> Path:
    """A copy of the package (and of pyproject.toml) with ``line`` added to ``module``."""
    shutil.copytree(PACKAGE, tmp_path / "borderwatch",
                    ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    target = tmp_path / "borderwatch" / module
    target.write_text(target.read_text("utf-8") + f"\n{line}\n", "utf-8")
    return tmp_path


def _lint_imports(where: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(where)}
    return subprocess.run([str(LINT_IMPORTS), "--no-cache"], cwd=where, env=env,
                          capture_output=True, text=True, timeout=300, check=False)


needs_lint_imports = pytest.mark.skipif(
    not LINT_IMPORTS.exists(), reason="import-linter is not installed (pip install -e '.[dev]')"
)


@needs_lint_imports
@pytest.mark.slow
@pytest.mark.parametrize(
    ("module", "line", "contract"),
    [
        ("tracking/kalman.py", "import sqlite3", "do no I/O of their own"),
        ("alerts/center.py", "import threading", "do no I/O of their own"),
        ("geo/boundary.py", "import borderwatch.app.bootstrap", "Rings"),
        ("domain/time.py", "import borderwatch.geo", "Rings"),
        ("tracking/gating.py", "import borderwatch.sim", "Rings"),
        ("app/runtime/live.py", "import fastapi", "Only app.http imports the web framework"),
    ],
)
def test_import_linter_refuses_a_forbidden_import(
    tmp_path: Path, module: str, line: str, contract: str
) -> None:
    result = _lint_imports(_copy_with(tmp_path, module, line))
    assert result.returncode != 0, result.stdout
    broken = result.stdout.split("Broken contracts", 1)[-1]
    assert contract in broken, result.stdout


@needs_lint_imports
@pytest.mark.slow
def test_the_contracts_hold_on_the_copy_as_it_is(tmp_path: Path) -> None:
    """The same check on an unmodified copy passes: the refusals above are the lines'."""
    result = _lint_imports(_copy_with(tmp_path, "geo/measure.py", "# nothing"))
    assert result.returncode == 0, result.stdout


def test_a_lazy_import_cycle_is_found(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An import inside a function counts: the cycle check is not fooled by laziness."""
    package = tmp_path / "cyclic"
    package.mkdir()
    (package / "__init__.py").write_text('"""A package with a hidden circle."""\n')
    (package / "a.py").write_text("from cyclic import b\n")
    (package / "b.py").write_text("def f() -> None:\n    from cyclic import a  # lazy\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    assert import_cycles("cyclic") == [["cyclic.a", "cyclic.b"]]
