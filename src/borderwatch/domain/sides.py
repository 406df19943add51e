"""Sides of a boundary and directions of crossing.

Direction is relative to the boundary's declared sides (north side = Canada on the
Canada-US line), not a compass heading: a line that runs north-south somewhere still has a
"north" (Canadian) side in this sense.
"""

from __future__ import annotations

from enum import StrEnum


class Side(StrEnum):
    NORTH = "north"
    SOUTH = "south"
    ON_LINE = "on_line"
    """Exactly on the line (distance 0 m). It is on neither side; see geo.boundary."""


class Direction(StrEnum):
    """Which way a crossing or approach goes, named by the side it is heading for."""

    NORTHBOUND = "northbound"
    """From the south side to the north side (into Canada on the Canada-US line)."""
    SOUTHBOUND = "southbound"

    @staticmethod
    def between(before: Side, after: Side) -> Direction:
        """The direction of a move from one side to the other.

        >>> Direction.between(Side.SOUTH, Side.NORTH)
        <Direction.NORTHBOUND: 'northbound'>
        >>> Direction.between(Side.NORTH, Side.NORTH)
        Traceback (most recent call last):
        ...
        ValueError: no crossing from north to north
        """
        if before is Side.SOUTH and after is Side.NORTH:
            return Direction.NORTHBOUND
        if before is Side.NORTH and after is Side.SOUTH:
            return Direction.SOUTHBOUND
        raise ValueError(f"no crossing from {before} to {after}")

    @property
    def destination(self) -> Side:
        return Side.NORTH if self is Direction.NORTHBOUND else Side.SOUTH

    @property
    def origin(self) -> Side:
        return Side.SOUTH if self is Direction.NORTHBOUND else Side.NORTH
