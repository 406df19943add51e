"""CBP's demographic categories, derived from a case's people and the relations between them.

CBP publishes encounters in four demographics (docs/references.md): ``Single Adults``,
``FMUA`` (individuals in a family unit), ``Accompanied Minors`` and ``UC / Single Minors``.
CBP assigns them from its own processing records; Borderwatch only has the case: who was in
the group, their ages, and the relations recorded between them. This module is the rule that
turns those into a category, written down so a reader can check every count.

**The rule** (person by person, only people of the same case count):

1. A *minor* is under 18 (the boundary used by IRPR 159.5(e) and by the US definition of an
   unaccompanied alien child, 6 U.S.C. 279(g)(2)); 18 exactly is an adult. An unknown age
   counts as an adult: nobody is classed as a child without an age that says so.
2. A person is the *parent* of another when the case records them as ``mother``, ``father``
   or ``legal_guardian`` of that person, or records the other as their ``child``.
3. ``FMUA``: a minor with a parent in the case, or anyone who is the parent of a minor in
   the case (a 16-year-old mother with her baby is a family unit too). A family unit is a
   child with a parent or legal guardian, both counted.
4. ``Accompanied Minors``: a minor with no parent in the case but with an adult relative in
   it (any other recorded relation, in either direction: grandparent, aunt, adult sibling…).
5. ``UC / Single Minors``: a minor with no parent and no adult relative in the case.
6. ``Single Adults``: every other adult, including adults related only to other adults and
   the spouse of a parent who is not recorded as the child's parent.

Relations that the case marks as assumed give assumed demographics: the statistics stage
reports how many people's category rests on an assumption.
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
