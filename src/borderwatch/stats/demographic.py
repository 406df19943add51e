"""CBP's demographic categories, derived from a case's people and the relations between them.

CBP assigns ``Single Adults``, ``FMUA``, ``Accompanied Minors`` and ``UC / Single Minors``
from its own records; Borderwatch has only the case (who, their ages, their recorded
relations), so this module is the written rule that turns those into a category, person
by person: a minor is under 18, an unknown age counts as an adult, and a category resting
on an assumed relation is reported as assumed. The rule in full: docs/statistics.md.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum
from typing import Final

from borderwatch.domain import Person, Relation

ADULT_AGE: Final = 18
PARENT_RELATIONS: Final = frozenset({"mother", "father", "legal_guardian"})
"""``X is <relation> of Y`` makes X a parent of Y."""
CHILD_RELATION: Final = "child"
"""``X is child of Y`` makes Y a parent of X."""


class Demographic(StrEnum):
    """CBP's ``Demographic`` vocabulary, exactly as spelled in the public CSV."""

    SINGLE_ADULTS = "Single Adults"
    FMUA = "FMUA"
    ACCOMPANIED_MINORS = "Accompanied Minors"
    UC_SINGLE_MINORS = "UC / Single Minors"


def is_minor(person: Person) -> bool:
    """Under 18 with a known age (rule 1).

    >>> [is_minor(Person(i, age, ())) for i, age in (("a", 17), ("b", 18), ("c", None))]
    [True, False, False]
    """
    return person.age is not None and person.age < ADULT_AGE


def parents_of(relations: Iterable[Relation]) -> dict[str, set[str]]:
    """For each person id, the ids of their parents or legal guardians in the case (rule 2)."""
    parents: dict[str, set[str]] = {}
    for r in relations:
        if r.is_ in PARENT_RELATIONS:
            parents.setdefault(r.of, set()).add(r.person)
        elif r.is_ == CHILD_RELATION:
            parents.setdefault(r.person, set()).add(r.of)
    return parents


def demographics(people: Iterable[Person], relations: Iterable[Relation]) -> dict[str, Demographic]:
    """Each person's demographic by the module's rule, keyed by person id.

    >>> kids = [Person("m", 34, ()), Person("a", 7, ()), Person("b", 5, ()), Person("x", 40, ())]
    >>> out = demographics(kids, [Relation("m", "mother", "a")])
    >>> [str(out[p]) for p in "maxb"]
    ['FMUA', 'FMUA', 'Single Adults', 'UC / Single Minors']
    """
    people = list(people)
    relations = list(relations)
    minors = {p.person_id for p in people if is_minor(p)}
    adults = {p.person_id for p in people} - minors
    parents = parents_of(relations)
    relatives: dict[str, set[str]] = {}
    for r in relations:
        relatives.setdefault(r.person, set()).add(r.of)
        relatives.setdefault(r.of, set()).add(r.person)
    parent_of_a_minor = {parent for child in minors for parent in parents.get(child, ())}
    result: dict[str, Demographic] = {}
    for p in people:
        pid = p.person_id
        if pid in parent_of_a_minor or (pid in minors and parents.get(pid)):
            result[pid] = Demographic.FMUA
        elif pid in minors:
            accompanied = relatives.get(pid, set()) & adults
            result[pid] = (
                Demographic.ACCOMPANIED_MINORS if accompanied else Demographic.UC_SINGLE_MINORS
            )
        else:
            result[pid] = Demographic.SINGLE_ADULTS
    return result
