"""Docstrings, comments and the docs name files and modules that exist.

A path or module named in prose goes stale silently when code moves (issue #15): this test
finds every ``src/borderwatch/...``, ``docs/...``, ``tests/...``, ``bench/...`` and
``scripts/...`` path, every path written from the package's root (``alerts/outbox.py``),
and every dotted ``borderwatch.x.y`` name in the package's docstrings and comments, in
``docs/*.md``, ``README.md`` and ``bench/README.md``, and checks that it exists. A dotted
name may end in an attribute of a module (``borderwatch.domain.Detection``), which must
then be defined or imported at the module's top level. Relative links in the docs must
resolve, and the classes and functions docs/architecture.md names must exist.
"""

from __future__ import annotations

import ast
import io
import re
import tokenize
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "src" / "borderwatch"
DOCS = [*sorted((ROOT / "docs").glob("*.md")), ROOT / "README.md", ROOT / "bench" / "README.md"]

PATH = re.compile(r"(?<![\w./-])((?:src/borderwatch|docs|tests|bench|scripts)(?:/[\w.*-]+)*/?)")
SUBPACKAGES = (
    "domain|geo|sources|tracking|watch|cases|alerts|screening|stats|respond|pipeline|ports|adapters"
    "|sim|app"
)
REMOVED = "store|service"
"""Packages of the old tree (issue #15): a path into them is stale by definition."""
PACKAGE_PATH = re.compile(rf"(?<![\w./-])((?:{SUBPACKAGES}|{REMOVED})/[\w.*-]+(?:/[\w.*-]+)*/?)")
"""A path inside the package written from its root (``adapters/sqlite/outbox.py``)."""
DOTTED = re.compile(r"(?<![\w./-])(borderwatch(?:\.[A-Za-z_]\w*)+)(?![\w/-])")
FILE_SUFFIXES = frozenset({"db", "json", "jsonl", "yaml", "yml", "csv", "txt", "html", "xml"})
"""``borderwatch.db`` is a file name, not a module."""


def prose_of_module(path: Path) -> Iterator[tuple[int, str]]:
    """(line, text) of every docstring and comment of a module: strings that stand alone as
    statements (module, class, function and attribute docstrings) and ``#`` comments."""
    source = path.read_text("utf-8")
    for node in ast.walk(ast.parse(source)):
        if (
            isinstance(node, ast.Expr)
            and isinstance(node.value, ast.Constant)
            and isinstance(node.value.value, str)
        ):
            for offset, line in enumerate(node.value.value.splitlines()):
                yield node.lineno + offset, line
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type == tokenize.COMMENT:
            yield token.start[0], token.string


def prose() -> Iterator[tuple[str, int, str]]:
    for path in sorted(PACKAGE.rglob("*.py")):
        for line, text in prose_of_module(path):
            yield str(path.relative_to(ROOT)), line, text
    for path in DOCS:
        for line, text in enumerate(path.read_text("utf-8").splitlines(), start=1):
            yield str(path.relative_to(ROOT)), line, text


@cache
def ignored_roots() -> tuple[str, ...]:
    """The git-ignored output folders (``/bench/out/``): named in docs, made by a run."""
    lines = (ROOT / ".gitignore").read_text("utf-8").splitlines()
    return tuple(line.strip("/") + "/" for line in lines if line.startswith("/"))


def path_exists(name: str) -> bool:
    """Whether a repository path exists; a glob (``*``) must match something."""
    name = name.rstrip(".,;:)")
    if (name.rstrip("/") + "/").startswith(ignored_roots()):
        return True
    if "*" in name:
        return any(ROOT.glob(name))
    return (ROOT / name).exists()


@cache
def top_level_names(module: Path) -> frozenset[str]:
    """Names a module defines or imports at its top level (and those its ``__all__`` lists)."""
    tree = ast.parse(module.read_text("utf-8"))
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names.update((a.asname or a.name).split(".")[0] for a in node.names)
        elif isinstance(node, ast.Assign):
            names.update(t.id for t in node.targets if isinstance(t, ast.Name))
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.add(node.target.id)
        elif isinstance(node, ast.If):  # e.g. `if TYPE_CHECKING:` imports
            for inner in node.body:
                if isinstance(inner, (ast.Import, ast.ImportFrom)):
                    names.update((a.asname or a.name).split(".")[0] for a in inner.names)
    return frozenset(names)


def dotted_exists(name: str) -> bool:
    """``borderwatch.a.b``: a module or package, or a module's top-level name after it."""
    parts = name.split(".")[1:]
    if parts[-1] in FILE_SUFFIXES:
        return True
    here = PACKAGE
    for n, part in enumerate(parts):
        if (here / part).is_dir() and (here / part / "__init__.py").is_file():
            here = here / part
            continue
        if (here / f"{part}.py").is_file():
            if n == len(parts) - 1:
                return True
            return parts[n + 1] in top_level_names(here / f"{part}.py")
        init = here / "__init__.py"
        return here != PACKAGE and part in top_level_names(init)
    return True


def stale_names() -> list[str]:
    found = []
    for where, line, text in prose():
        for match in PATH.finditer(text):
            if not path_exists(match.group(1)):
                found.append(f"{where}:{line}: {match.group(1)}")
        for match in PACKAGE_PATH.finditer(text):
            name = match.group(1).rstrip(".,;:)")
            if "." not in name.rsplit("/", 1)[-1] and not name.endswith("/"):
                continue  # "alerts/s" is a rate; a path names a file or ends in "/"
            if not path_exists(f"src/borderwatch/{name}"):
                found.append(f"{where}:{line}: {match.group(1)}")
        for match in DOTTED.finditer(text):
            name = match.group(1).rstrip(".")
            if not dotted_exists(name):
                found.append(f"{where}:{line}: {name}")
    return found


def test_every_path_and_module_named_in_prose_exists() -> None:
    assert stale_names() == []


@pytest.mark.parametrize(
    ("name", "exists"),
    [
        ("borderwatch.pipeline", True),
        ("borderwatch.domain.Detection", True),
        ("borderwatch.adapters.sqlite.outbox", True),
        ("borderwatch.watch.incident_to_wire", True),
        ("borderwatch.service", False),
        ("borderwatch.alerts.sqlite", False),
        ("borderwatch.tracking.classify.LOG_LIKELIHOOD_TABLE", False),
        ("borderwatch.db", True),
    ],
)
def test_a_dotted_name_is_checked_down_to_its_attribute(name: str, exists: bool) -> None:
    assert dotted_exists(name) is exists


def test_a_moved_module_in_a_docstring_is_caught() -> None:
    text = '"""Read by ``src/borderwatch/service/app.py`` and ``borderwatch.store``."""\n'
    names = [m.group(1) for line in text.splitlines() for m in PATH.finditer(line)]
    assert [n for n in names if not path_exists(n)] == ["src/borderwatch/service/app.py"]
    assert not dotted_exists("borderwatch.store")


LINK = re.compile(r"\]\(([^)#\s]+)(?:#[^)]*)?\)")


def test_every_relative_link_in_the_docs_resolves() -> None:
    broken = [
        f"{doc.relative_to(ROOT)}: {target}"
        for doc in DOCS
        for target in LINK.findall(doc.read_text("utf-8"))
        if "://" not in target and not (doc.parent / target).exists()
    ]
    assert broken == []


@cache
def defined_names() -> tuple[dict[str, frozenset[str]], frozenset[str]]:
    """Every class of the package with its members (its bases' too), and every function
    and assigned name."""
    classes: dict[str, set[str]] = {}
    bases: dict[str, set[str]] = {}
    names: set[str] = set()
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if isinstance(node, ast.ClassDef):
                members = classes.setdefault(node.name, set())
                bases.setdefault(node.name, set()).update(
                    b.id for b in node.bases if isinstance(b, ast.Name)
                )
                for item in node.body:
                    if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                        members.add(item.name)
                        members.update(  # attributes set on self in a method
                            t.attr
                            for n in ast.walk(item)
                            if isinstance(n, (ast.Assign, ast.AnnAssign))
                            for t in (n.targets if isinstance(n, ast.Assign) else [n.target])
                            if isinstance(t, ast.Attribute)
                            and isinstance(t.value, ast.Name)
                            and t.value.id == "self"
                        )
                    elif isinstance(item, ast.Assign):
                        members.update(t.id for t in item.targets if isinstance(t, ast.Name))
                    elif isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name):
                        members.add(item.target.id)
                names.add(node.name)
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                names.add(node.name)
            elif isinstance(node, ast.Assign):
                names.update(t.id for t in node.targets if isinstance(t, ast.Name))

    def members_of(cls: str, seen: frozenset[str] = frozenset()) -> set[str]:
        inherited = [members_of(b, seen | {cls}) for b in bases.get(cls, ()) if b not in seen]
        return classes.get(cls, set()).union(*inherited)

    return {k: frozenset(members_of(k)) for k in classes}, frozenset(names)


def test_the_classes_and_functions_architecture_md_names_exist() -> None:
    """The path of a detection names classes (``LiveOps.submit``) and functions
    (``ingest_batch``): a rename in the code must be a rename in the drawing too."""
    classes, names = defined_names()
    missing = []
    for token in re.findall(r"`([^`\s]+)`", (ROOT / "docs" / "architecture.md").read_text()):
        if match := re.fullmatch(r"([A-Z][a-z]\w*)(?:\.(\w+))?", token):
            cls, member = match.groups()
            if cls not in classes or (member is not None and member not in classes[cls]):
                missing.append(token)
        elif re.fullmatch(r"[a-z]\w*_\w*", token) and token not in names:
            missing.append(token)
    assert missing == []
