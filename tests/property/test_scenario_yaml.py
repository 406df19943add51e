"""Scenario YAML and its field readers (sim/loader.py, adapters/sources/yaml_fields.py), for
any bytes, any YAML value and any mutation of the bundled scenarios: a Scenario or an
InputError naming the field."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from borderwatch.adapters.sources.yaml_fields import Node, as_time, load_yaml, position, shown
from borderwatch.sim.loader import bundled_scenario_path, parse_scenario, parse_scenario_file
from tests.property.strategies import PROPERTY, YAML_VALUES, mutated, parsed_or_refused

SCENARIOS = {
    name: yaml.safe_load(bundled_scenario_path(name).read_text("utf-8"))
    for name in ("coutts", "emerson")
}
BASE = bundled_scenario_path("coutts").parent

# YAML that PyYAML builds into something awkward: deep nesting (recursion in the composer),
# integers past CPython's 4300-digit text limit, year 0, aliases (shared and recursive
# structures), tags, timestamps with offsets at the calendar's ends.
NASTY_YAML = st.sampled_from(
    [
        "[" * 5000,
        "a: " + "[" * 400 + "]" * 400,
        "seed: " + "9" * 5000,
        "seed: 0x" + "f" * 5000,
        "start: 0000-01-01T00:00:00Z",
        "start: 9999-12-31T23:59:59-01:00",
        "start: 0001-01-01T00:00:00+01:00",
        "a: &a [*a]",
        "a: &a {b: *a}",
        "? [1, 2]\n: x",
        "!!python/object:os.system {}",
        "!!binary AAAA",
        "!!set {a, b}",
        "%YAML 1.1\n---\na: 1",
        "a: 1\n---\nb: 2",
        "\ufeffname: x",
        "\x00",
        "\t",
    ]
)


def _scenario_file(data: bytes) -> Any:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "scenario.yaml"
        path.write_bytes(data)
        return parsed_or_refused(parse_scenario_file, path)


@PROPERTY
@given(st.binary(max_size=300) | st.text(max_size=300).map(str.encode) | NASTY_YAML.map(str.encode))
def test_any_file_is_a_scenario_or_refused(data: bytes) -> None:
    _scenario_file(data)


@PROPERTY
@given(st.sampled_from(sorted(SCENARIOS)).flatmap(lambda n: mutated(SCENARIOS[n], YAML_VALUES)))
def test_a_mutated_scenario_is_a_scenario_or_refused(raw: Any) -> None:
    scenario = parsed_or_refused(parse_scenario, raw, base_dir=BASE)
    if scenario is not None:
        assert scenario.start < scenario.end
        assert all(g.members for g in scenario.groups)


# A whole scenario is read, checked and built for each example (about 0.1 s each), so
# this one tries fewer examples to keep the directory within its minute.
@settings(PROPERTY, max_examples=max(PROPERTY.max_examples // 4, 40))
@given(
    st.sampled_from(sorted(SCENARIOS)),
    st.data(),
)
def test_a_scenario_with_a_line_replaced_is_a_scenario_or_refused(
    name: str, data: st.DataObject
) -> None:
    """Text-level mutation: one line of the file replaced by nasty YAML or any text."""
    lines = bundled_scenario_path(name).read_text("utf-8").splitlines()
    i = data.draw(st.integers(0, len(lines) - 1))
    indent = lines[i][: len(lines[i]) - len(lines[i].lstrip())]
    key = lines[i].strip().split(":", 1)[0] if ":" in lines[i] else ""
    value = data.draw(NASTY_YAML | st.text(max_size=40) | YAML_VALUES.map(lambda v: shown(v)))
    lines[i] = f"{indent}{key}: {value}" if key else f"{indent}{value}"
    _scenario_file("\n".join(lines).encode())


@PROPERTY
@given(
    YAML_VALUES,
    st.sampled_from(
        [
            "text",
            "number",
            "integer",
            "boolean",
            "time",
            "choice",
            "position",
            "child",
            "nodes",
            "items",
        ]
    ),
)
def test_every_field_reader_returns_or_refuses(value: Any, reader: str) -> None:
    node = Node({"f": value}, "top")
    call = {
        "text": lambda: node.text("f"),
        "number": lambda: node.number("f", low=-90, high=90),
        "integer": lambda: node.integer("f", low=1, high=100),
        "boolean": lambda: node.boolean("f"),
        "time": lambda: node.time("f"),
        "choice": lambda: node.choice("f", ["a", "b"]),
        "position": lambda: node.position("f"),
        "child": lambda: node.child("f").finish(),
        "nodes": lambda: node.nodes("f"),
        "items": lambda: node.items("f"),
    }[reader]
    parsed_or_refused(call)
    parsed_or_refused(Node, value, "top")
    parsed_or_refused(position, value, "p")
    parsed_or_refused(as_time, value, "t")
    # Bounded whatever the value: four items a level, two levels, 60 characters a leaf
    # (yaml_fields._Shown), so an error message never quotes a whole document.
    assert len(shown(value)) < 2_500


def test_a_huge_aliased_value_is_refused_quickly() -> None:
    """Nine levels of nine aliases stand for 387 million strings; the error quotes a few."""
    levels = ["l0: &l0 [x, x, x, x, x, x, x, x, x]"]
    for n in range(1, 9):
        levels.append(f"l{n}: &l{n} [" + ", ".join([f"*l{n - 1}"] * 9) + "]")
    text = "x:\n" + "\n".join("  " + level for level in levels) + "\ntimezone: *l8\n"
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "s.yaml"
        path.write_text(text)
        raw = load_yaml(path, what="scenario file")
    assert isinstance(raw, dict)
    node = Node(raw, "")
    try:
        node.text("timezone")
    except Exception as err:
        assert "timezone" in str(err) and len(str(err)) < 400
    else:
        raise AssertionError("a list is not a time zone")
