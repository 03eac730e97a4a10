"""What the turn's tools returned and its code printed, indexed by value for fast look-ups.

Every number in every observation is kept (absolute value, scaled by its suffix) in one sorted
list, so matching a figure is a binary search. Lines keep the as-of time they state ("as of …",
"data time …", a table row's date), or the nearest one stated in the same observation.
"""

from __future__ import annotations

import bisect
import operator
import re
from dataclasses import dataclass, field

from provenance.numbers import SUFFIX_PATTERN, scale_of

# Not inside words, paths or URLs ("v2", "/05-codegen", "?p=2025").
_NUMBER = re.compile(rf"(?m)^[ \t]*(?:[-*][ \t]+)?\d{{1,3}}[.)][ \t]|"
                     rf"(?<![\w./=?&#])(\d{{1,3}}(?:,\d{{3}})+(?:\.\d+)?|\d+(?:\.\d+)?)"
                     rf"(?:[ \t]?({SUFFIX_PATTERN}))?(?![\w/]|-[A-Za-z]|\.\d)")
_STAMP = r"\d{4}-\d{2}-\d{2}(?:[ T]\d{1,2}:\d{2}(?::\d{2})?(?:\s?(?:UTC|Z|ET))?)?"
AS_OF = re.compile(
    rf"(?:\bas\s(?:of|at)|\bdata\s?time|\bquote\s?time|\blast\s?updated|\bupdated|\bobserved)\s*:?\s*({_STAMP})", re.I)
ANY_STAMP = re.compile(_STAMP)


def stated_times(text: str) -> list[tuple[int, str]]:
    """(line number, as-of) for each line stating a time: "as of …", "data time …" first, else its last date
    (a table row's date, the end of "from … to …")."""
    by_line: dict[int, str] = {}
    if not ANY_STAMP.search(text):
        return []
    for number, line in enumerate(text.split("\n"), 1):
        if "-" not in line:
            continue
        stated = AS_OF.search(line)
        if stated:
            by_line[number] = stated.group(1)
        else:
            dates = ANY_STAMP.findall(line)
            if dates:
                by_line[number] = dates[-1]
    return sorted(by_line.items())


_value = operator.itemgetter(0)


@dataclass
class Observation:
    text: str
    step: str  # e.g. "manager · step 2", "trader · step 1"
    tool: str  # the tools the step called, or "python" for code that only computed
    as_of: list[tuple[int, str]] = field(default_factory=list)  # (line number, as-of) stated in this text

    def line_of(self, written: str, date: str | None = None) -> tuple[int, str]:
        """The first line writing this number (and `date`, when one does; else any line writing it)."""
        if date:
            at = self.text.find(date)
            while at >= 0:
                number, line = self.line_at(at)
                if written in line:
                    return number, line
                at = self.text.find(date, at + len(date))
        offset = self.text.find(written)
        return self.line_at(max(offset, 0))

    def line_at(self, offset: int) -> tuple[int, str]:
        number = self.text.count("\n", 0, offset) + 1
        start = self.text.rfind("\n", 0, offset) + 1
        end = self.text.find("\n", offset)
        return number, self.text[start:end if end >= 0 else len(self.text)].strip()

    def as_of_near(self, line: int) -> str | None:
        """The as-of time stated on this line, else the nearest one stated in this observation (ties: after)."""
        stated = self.as_of  # sorted by line
        if not stated:
            return None
        at = bisect.bisect_left(stated, (line, ""))
        after = stated[at] if at < len(stated) else None
        before = stated[at - 1] if at > 0 else None
        if after is None or (before is not None and line - before[0] < after[0] - line):
            return before[1]
        return after[1]


class ObservationIndex:
    """Numbers of every observation of a turn, sorted by absolute value.

    `add()` does the parsing and sorting, step by step while the turn runs (timsort merges the new
    sorted run in linear time), so checking the final answer is only binary searches.
    """

    def __init__(self) -> None:
        self.observations: list[Observation] = []
        # Sorted runs, merged like a binary counter (O(log n) runs): each is (values, refs) in parallel lists,
        # values the absolute numbers (plain floats, so bisect runs in C), refs (observation, as written).
        self._runs: list[tuple[list[float], list[tuple[int, str]]]] = []

    def __len__(self) -> int:
        return len(self.observations)

    @property
    def size(self) -> int:
        return sum(len(values) for values, _ in self._runs)

    def add(self, text: str, *, step: str, tool: str) -> None:
        if not text or not text.strip():
            return
        number = len(self.observations)
        self.observations.append(Observation(text, step, tool, stated_times(text)))
        found = []
        for digits, suffix in _NUMBER.findall(text):
            if not digits:
                continue  # a list marker: "5. Drivine - …"
            value = float(digits.replace(",", "")) if "," in digits else float(digits)
            if suffix:
                value *= scale_of(suffix)
            found.append((value, number, digits))
        found.sort(key=_value)
        runs = self._runs
        runs.append(([f[0] for f in found], [(f[1], f[2]) for f in found]))
        while len(runs) > 1 and len(runs[-2][0]) <= 2 * len(runs[-1][0]):
            top, below = runs.pop(), runs.pop()
            merged = sorted(zip(below[0] + top[0], below[1] + top[1]), key=_value)  # two runs: a linear merge
            runs.append(([m[0] for m in merged], [m[1] for m in merged]))

    def near(self, target: float, tolerance: float, limit: int = 8) -> list[tuple[float, int, str]]:
        """Up to `limit` numbers within `tolerance` of `target`: (value, observation, as written), closest first."""
        found = []
        for values, refs in self._runs:
            lo = bisect.bisect_left(values, target - tolerance)
            hi = bisect.bisect_right(values, target + tolerance, lo)
            if hi - lo > limit:  # keep the closest: start from the target's position and widen
                middle = bisect.bisect_left(values, target, lo, hi)
                lo, hi = max(lo, middle - limit), min(hi, middle + limit)
            found.extend((values[i], *refs[i]) for i in range(lo, hi))
        found.sort(key=lambda item: abs(item[0] - target))
        return found[:limit]
