"""Disclosure control for published figures (the publication option).

Primary suppression: a count from 1 to 4 is shown as "<5".

Secondary suppression: figures tied by a sum (the cells of a table column and
its total) must not let a reader work a hidden figure out, by subtraction or
from the bounds the marks give (a "<5" is 1 to 4, an "x" at least 5). While
some hidden figure of a group could be worked out, one more figure of that
group is hidden as "x": the smallest non-zero cell still shown, or else the
total. When a table's total is itself below 5, every
figure of it is shown as "<5", zeros included (otherwise four cells of "<5"
under a total of "<5" would each have to be 1).

Two figures may also be known to be ordered (the new consultations of a
channel are at most all its consultations): a figure shown on one side
bounds a hidden figure on the other: the check counts that too, and a
figure that such a pair would pin down is not the one chosen to hide.

The functions work on plain dictionaries, so they are tested on their own
(tests with random tables in reports/tests/test_disclosure.py).
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass

SMALL = "<5"  # a count from 1 to 4 (or any figure of a table whose total is)
HIDDEN = "x"  # hidden so that no small count can be worked out


@dataclass(frozen=True)
class Group:
    """Figures tied by one sum: the members add up to the total."""

    members: tuple[Hashable, ...]
    total: Hashable


def is_small(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= 4


def suppress(
    values: Mapping[Hashable, int],
    groups: Sequence[Group] = (),
    at_most: Iterable[tuple[Hashable, Hashable]] = (),
) -> dict[Hashable, str]:
    """The mark ("<5" or "x") of every figure to hide. ``values`` holds every
    count; ``at_most`` holds pairs (a, b) known to satisfy a <= b."""
    return _Suppression(values, groups, at_most).run()


class _Suppression:
    def __init__(self, values, groups, at_most):
        self.values = values
        self.groups = list(groups)
        self.at_most = list(at_most)
        self.marks: dict[Hashable, str] = {
            k: SMALL for k, v in values.items() if is_small(v)
        }
        self.maybe_zero: set[Hashable] = set()

    def run(self) -> dict[Hashable, str]:
        for group in self.groups:
            if self.marks.get(group.total) == SMALL:
                for member in group.members:
                    self.marks[member] = SMALL
                    self.maybe_zero.add(member)
        changed = True
        while changed:
            changed = False
            for group in self.groups:
                if self.recoverable(group):
                    key = self.next_to_hide(group)
                    if key is not None:
                        self.marks[key] = HIDDEN
                        changed = True
        return self.marks

    def shown(self, key) -> bool:
        return key not in self.marks

    def bounds(self, key, mark=None) -> tuple[float, float]:
        """What a reader knows of a hidden figure (or of a shown one, were it
        hidden with ``mark``) from its mark and the ordered pairs."""
        if (mark or self.marks[key]) == SMALL:
            low, high = (0 if key in self.maybe_zero else 1), 4
        else:
            low, high = 5, math.inf
        for smaller, larger in self.at_most:
            if larger == key and self.shown(smaller):
                low = max(low, self.values[smaller])
            if smaller == key and self.shown(larger):
                high = min(high, self.values[larger])
        return low, high

    def recoverable(self, group: Group) -> bool:
        """Whether one hidden figure of the group has a single possible value
        (sum of the members minus the total is 0)."""
        terms = [(1, m) for m in group.members] + [(-1, group.total)]
        hidden = [(c, k, self.bounds(k)) for c, k in terms if not self.shown(k)]
        if not hidden:
            return False
        known = -sum(c * self.values[k] for c, k in terms if self.shown(k))
        for i, (coef, _key, (low, high)) in enumerate(hidden):
            others = hidden[:i] + hidden[i + 1 :]
            rest_min = sum(min(c * lo, c * hi) for c, _k, (lo, hi) in others)
            rest_max = sum(max(c * lo, c * hi) for c, _k, (lo, hi) in others)
            # coef * figure = known - rest
            if coef == 1:
                can_low, can_high = known - rest_max, known - rest_min
            else:
                can_low, can_high = rest_min - known, rest_max - known
            if max(low, can_low) >= min(high, can_high):
                return True
        return False

    def next_to_hide(self, group: Group):
        """The smallest non-zero member still shown, else the total; never
        one that a shown figure of an ordered pair would pin down."""
        candidates = [
            m
            for m in group.members
            if self.shown(m) and self.values[m] > 0 and self.can_hide(m)
        ]
        if candidates:
            return min(candidates, key=lambda m: self.values[m])
        total = group.total
        if self.shown(total) and self.values[total] > 0 and self.can_hide(total):
            return total
        return None

    def can_hide(self, key) -> bool:
        low, high = self.bounds(key, HIDDEN)
        return low < high
