"""What the turn's tools returned and its code printed, indexed by value for fast look-ups.

Every number in every observation is kept (absolute value, scaled by its suffix, and where it is
written) in one sorted list, so matching a figure is a binary search. Lines keep the as-of time
they state ("as of …", "data time …", an `as_of` field, a table row's date), or the nearest one
stated in the same observation. The days a number's line or record carries (or else its whole
observation) are what a date written next to a figure is checked against.
"""

from __future__ import annotations

import bisect
import operator
import re
from dataclasses import dataclass, field

from provenance.dates import Span, days_in
from provenance.numbers import SUFFIX_PATTERN, scale_of

# Not inside words, paths or URLs ("v2", "/05-codegen", "?p=2025").
_NUMBER = re.compile(rf"(?m)^[ \t]*(?:[-*][ \t]+)?\d{{1,3}}[.)][ \t]|"
                     rf"(?<![\w./=?&#])(\d{{1,3}}(?:,\d{{3}})+(?:\.\d+)?|\d+(?:\.\d+)?)"
                     rf"(?:[ \t]?({SUFFIX_PATTERN}))?(?![\w/]|-[A-Za-z]|\.\d)")
_STAMP = (r"\d{4}-\d{2}-\d{2}(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?"
          r"(?:\s?(?:UTC|Z|ET)|[+-]\d{2}:?\d{2}(?!\d))?)?")
# "as of …", "data time: …", and the `as_of` field structured tools print: {'as_of': '…'}, "asOf": "…", as_of=….
AS_OF = re.compile(
    rf"(?:\bas\s(?:of|at)|\bdata\s?time|\bquote\s?time|\blast\s?updated|\bupdated|\bobserved"
    rf"|\b(?:[a-z0-9]+_)*as_?of['\"]?\s*[:=])\s*:?\s*['\"]?({_STAMP})", re.I)
ANY_STAMP = re.compile(_STAMP)
_DAY = re.compile(r"\d{4}-\d\d-\d\d")


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
DAYS_OF_RECORD = 2  # where the days a number is written with come from: its line (or record) ...
DAYS_OF_OBSERVATION = 1  # ... else its whole observation


@dataclass
class Observation:
    text: str
    step: str  # e.g. "manager · step 2", "trader · step 1"
    tool: str  # the tools the step called, or "python" for code that only computed
    as_of: list[tuple[int, str]] = field(default_factory=list)  # (line number, as-of) stated in this text
    from_message: bool = False  # the person's own message, not a tool's output
    days: Span | None = None  # the first and last day this text writes, None when it writes no date
    day_keys: frozenset[str] = frozenset()  # the ISO days it writes, their months and days of the year
    # ("2025-02-14", "2025-02", "-02-14")

    def line_bounds(self, offset: int) -> tuple[int, int]:
        end = self.text.find("\n", offset)
        return self.text.rfind("\n", 0, offset) + 1, len(self.text) if end < 0 else end

    def record_bounds(self, offset: int, start: int, end: int) -> tuple[int, int] | None:
        """The innermost {…} around `offset` within text[start:end] (one bar of a printed price history, one
        quote), or None when the number is not inside braces there."""
        text = self.text
        if text.find("{", start, offset) < 0:
            return None
        depth, at = 0, offset  # back to the "{" that opens the record
        while True:
            at = max(text.rfind("{", start, at), text.rfind("}", start, at))
            if at < 0:
                return None
            if text[at] == "}":
                depth += 1
            elif depth:
                depth -= 1
            else:
                break
        opened, depth, at = at, 0, offset  # on to the "}" that closes it
        while True:
            opening, closing = text.find("{", at, end), text.find("}", at, end)
            if closing < 0:
                return opened, end
            if 0 <= opening < closing:
                depth, at = depth + 1, opening + 1
            elif depth:
                depth, at = depth - 1, closing + 1
            else:
                return opened, closing + 1

    def days_around(self, offset: int) -> tuple[Span, int] | None:
        """The days a number at `offset` is written with, and where they come from: its record or line
        (`DAYS_OF_RECORD`), else the whole observation (`DAYS_OF_OBSERVATION`); None when it writes no date."""
        if self.days is None:
            return None
        start, end = self.line_bounds(offset)
        record = self.record_bounds(offset, start, end)
        if record is not None:
            days = days_in(self.text, *record, all_formats=record[1] - record[0] <= 2000)
            if days is not None:
                return days, DAYS_OF_RECORD
        days = days_in(self.text, start, end, all_formats=end - start <= 2000)
        if days is not None:
            return days, DAYS_OF_RECORD
        return self.days, DAYS_OF_OBSERVATION

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
        # values the absolute numbers (plain floats, so bisect runs in C), refs (observation, offset, as written).
        self._runs: list[tuple[list[float], list[tuple[int, int, str]]]] = []

    def __len__(self) -> int:
        return len(self.observations)

    @property
    def size(self) -> int:
        return sum(len(values) for values, _ in self._runs)

    def add(self, text: str, *, step: str, tool: str, from_message: bool = False) -> None:
        if not text or not text.strip():
            return
        number = len(self.observations)
        days = set(_DAY.findall(text))
        span = (min(days), max(days)) if days else days_in(text, all_formats=len(text) <= 20_000)
        day_keys = frozenset(days | {day[:7] for day in days} | {day[4:] for day in days})
        self.observations.append(Observation(text, step, tool, stated_times(text), from_message, span, day_keys))
        found = []
        for match in _NUMBER.finditer(text):
            digits = match.group(1)
            if not digits:
                continue  # a list marker: "5. Drivine - …"
            value = float(digits.replace(",", "")) if "," in digits else float(digits)
            if match.group(2):
                value *= scale_of(match.group(2))
            found.append((value, number, match.start(1), digits))
        found.sort(key=_value)
        runs = self._runs
        runs.append(([f[0] for f in found], [f[1:] for f in found]))
        while len(runs) > 1 and len(runs[-2][0]) <= 2 * len(runs[-1][0]):
            top, below = runs.pop(), runs.pop()
            merged = sorted(zip(below[0] + top[0], below[1] + top[1]), key=_value)  # two runs: a linear merge
            runs.append(([m[0] for m in merged], [m[1] for m in merged]))

    def within(self, target: float, tolerance: float, limit: int = 256) -> list[tuple[float, int, int, str]]:
        """Numbers within `tolerance` of `target` (up to `limit` per sorted run, the closest), in no order:
        (value, observation, offset in its text, as written)."""
        return self._around(target, tolerance, limit, limit // 2)

    def near(self, target: float, tolerance: float, limit: int = 8) -> list[tuple[float, int, int, str]]:
        """Up to `limit` numbers within `tolerance` of `target`, closest first:
        (value, observation, offset in its text, as written)."""
        found = self._around(target, tolerance, limit, limit)
        found.sort(key=lambda item: abs(item[0] - target))
        return found[:limit]

    def _around(self, target: float, tolerance: float, limit: int, half: int) -> list[tuple[float, int, int, str]]:
        """From each sorted run, its numbers within `tolerance` of `target`; when more than `limit`, only the `half`
        on each side of the target's position (the closest)."""
        found = []
        for values, refs in self._runs:
            lo = bisect.bisect_left(values, target - tolerance)
            hi = bisect.bisect_right(values, target + tolerance, lo)
            if hi - lo > limit:
                middle = bisect.bisect_left(values, target, lo, hi)
                lo, hi = max(lo, middle - half), min(hi, middle + half)
            found.extend((values[i], *refs[i]) for i in range(lo, hi))
        return found
