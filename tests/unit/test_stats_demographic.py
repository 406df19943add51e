"""The demographic derivation rule (stats/demographic.py), case by case."""

from __future__ import annotations

import pytest

from borderwatch.domain import Person, Relation
from borderwatch.stats.demographic import Demographic, demographics

FMUA = Demographic.FMUA
AM = Demographic.ACCOMPANIED_MINORS
UC = Demographic.UC_SINGLE_MINORS
SA = Demographic.SINGLE_ADULTS


def _people(**ages: int | None) -> list[Person]:
    return [Person(pid, age, ()) for pid, age in ages.items()]


def test_the_vocabulary_is_cbps_spelling() -> None:
    assert [d.value for d in Demographic] == [
        "Single Adults",
        "FMUA",
        "Accompanied Minors",
        "UC / Single Minors",
    ]


def test_coutts_with_the_demos_assumed_relations() -> None:
    # Four adults, five children; the demo assumes p1 is the mother of the three youngest
    # Venezuelans and records nothing for the two Colombian children.
    people = _people(p1=34, p2=38, p3=29, p4=45, p5=13, p6=10, p7=7, p8=7, p9=5)
    relations = [Relation("p1", "mother", c) for c in ("p5", "p6", "p7")]
    got = demographics(people, relations)
    assert {p: got[p] for p in ("p1", "p5", "p6", "p7")} == dict.fromkeys(
        ("p1", "p5", "p6", "p7"), FMUA
    )
    assert [got[p] for p in ("p2", "p3", "p4")] == [SA, SA, SA]
    assert [got[p] for p in ("p8", "p9")] == [UC, UC]


@pytest.mark.parametrize("relation", ["mother", "father", "legal_guardian"])
def test_parent_relations_make_a_family_unit(relation: str) -> None:
    got = demographics(_people(a=40, k=6), [Relation("a", relation, "k")])
    assert got == {"a": FMUA, "k": FMUA}


def test_child_relation_points_the_other_way() -> None:
    got = demographics(_people(a=40, k=6), [Relation("k", "child", "a")])
    assert got == {"a": FMUA, "k": FMUA}


def test_minor_with_an_adult_relative_who_is_not_a_parent_is_accompanied() -> None:
    got = demographics(_people(g=66, k=9), [Relation("g", "grandmother", "k")])
    assert got == {"g": SA, "k": AM}
    # the relation may be recorded from the child's side too
    got = demographics(_people(u=30, k=9), [Relation("k", "nephew", "u")])
    assert got == {"u": SA, "k": AM}


def test_minor_related_only_to_other_minors_is_unaccompanied() -> None:
    got = demographics(_people(a=16, b=12), [Relation("a", "brother", "b")])
    assert got == {"a": UC, "b": UC}


def test_age_18_is_an_adult_and_17_a_minor() -> None:
    got = demographics(_people(a=18, b=17), [])
    assert got == {"a": SA, "b": UC}


def test_unknown_age_counts_as_an_adult() -> None:
    assert demographics(_people(x=None), []) == {"x": SA}
    # and so is never the child of a family unit
    got = demographics(_people(m=40, x=None), [Relation("m", "mother", "x")])
    assert got == {"m": SA, "x": SA}


def test_a_teenage_parent_and_her_baby_are_a_family_unit() -> None:
    got = demographics(_people(m=16, b=1), [Relation("m", "mother", "b")])
    assert got == {"m": FMUA, "b": FMUA}


def test_parent_of_an_adult_child_is_a_single_adult() -> None:
    got = demographics(_people(m=60, s=30), [Relation("m", "mother", "s")])
    assert got == {"m": SA, "s": SA}


def test_spouse_of_a_parent_is_not_in_the_family_unit_unless_recorded_as_parent() -> None:
    people = _people(m=35, f=37, k=4)
    got = demographics(people, [Relation("m", "mother", "k"), Relation("f", "spouse", "m")])
    assert got == {"m": FMUA, "k": FMUA, "f": SA}
