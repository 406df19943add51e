"""Three-valued logic: every condition is True, False or Unknown, with the facts it needed.

Unknown is never read as false. ``all3`` is false as soon as one part is false (the unknown
parts then do not matter and are not asked for); ``any3`` is true as soon as one part is true.

>>> all3([Tri(False, ()), Tri(None, ("a",))])
Tri(status=False, missing=())
>>> any3([Tri(False, ()), Tri(None, ("a",))])
Tri(status=None, missing=('a',))
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Tri:
    """A three-valued truth: ``status`` None means unknown; ``missing`` says which facts."""

    status: bool | None
    missing: tuple[str, ...] = ()


def known(value: bool | None, path: str) -> Tri:
    """A fact as a truth value; unknown names its own path."""
    return Tri(value, () if value is not None else (path,))


def unique(paths: Iterable[str]) -> tuple[str, ...]:
    """Deduplicate, keeping first-seen order (outputs must be deterministic)."""
    return tuple(dict.fromkeys(paths))


def all3(parts: Iterable[Tri]) -> Tri:
    items = list(parts)
    if any(p.status is False for p in items):
        return Tri(False)
    unknown = [p for p in items if p.status is None]
    if unknown:
        return Tri(None, unique(m for p in unknown for m in p.missing))
    return Tri(True)


def any3(parts: Iterable[Tri]) -> Tri:
    items = list(parts)
    if any(p.status is True for p in items):
        return Tri(True)
    unknown = [p for p in items if p.status is None]
    if unknown:
        return Tri(None, unique(m for p in unknown for m in p.missing))
    return Tri(False)


def not3(part: Tri) -> Tri:
    return Tri(None if part.status is None else not part.status, part.missing)


@dataclass(frozen=True, slots=True, kw_only=True)
class Finding:
    """What one rule concluded for one person, and why (for the explanation)."""

    rule_id: str
    status: bool | None
    reason: str
    """Plain words: the facts used and why the rule held, failed or stays open."""
    missing: tuple[str, ...] = ()
    """Field paths that would settle an unknown status."""

    @property
    def label(self) -> str:
        return {True: "holds", False: "does not hold", None: "unknown"}[self.status]
