"""What the turn's tools returned and its code printed, indexed by value for fast look-ups.

Every number in every observation is kept (absolute value, scaled by its suffix) in one sorted
list, so matching a figure is a binary search. Lines keep the as-of time they state ("as of …",
"data time …", a table row's date), or the nearest one stated in the same observation.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field

from provenance.numbers import SCALES, SUFFIX_PATTERN

# Not inside words, paths or URLs ("v2", "/05-codegen", "?p=2025").
_NUMBER = re.compile(rf"(?m)^[ \t]*(?:[-*][ \t]+)?\d{{1,3}}[.)][ \t]|(?<![\w./=?&#])(\d{{1,3}}(?:,\d{{3}})+(?:\.\d+)?|\d+(?:\.\d+)?)"
                     rf"(?:[ \t]?({SUFFIX_PATTERN}))?(?![\w/]|-[A-Za-z]|\.\d)")
_STAMP = r"\d{4}-\d{2}-\d{2}(?:[ T]\d{1,2}:\d{2}(?::\d{2})?(?:\s?(?:UTC|Z|ET))?)?"
AS_OF = re.compile(
    rf"(?:\bas\s(?:of|at)|\bdata\s?time|\bquote\s?time|\blast\s?updated|\bupdated|\bobserved|\bfrom\s{_STAMP}\sto)"
    rf"\s*:?\s*({_STAMP})|^\s*({_STAMP})\s*\|", re.I | re.M)


@dataclass
class Observation:
    text: str
    step: str  # e.g. "manager · step 2", "trader · step 1"
    tool: str  # the tools the step called, or "python" for code that only computed
    as_of: list[tuple[int, str]] = field(default_factory=list)  # (line number, as-of) stated in this text

    def line_at(self, offset: int) -> tuple[int, str]:
        number = self.text.count("\n", 0, offset) + 1
        start = self.text.rfind("\n", 0, offset) + 1
        end = self.text.find("\n", offset)
        return number, self.text[start:end if end >= 0 else len(self.text)].strip()

    def as_of_near(self, line: int) -> str | None:
        """The as-of time stated on this line, else the nearest one stated in this observation."""
        best = None
        for stated_line, stamp in self.as_of:
            distance = abs(stated_line - line) * 2 + (1 if stated_line < line else 0)  # ties: the line after
            if best is None or distance < best[0]:
                best = (distance, stamp)
        return best[1] if best else None


class ObservationIndex:
    """Numbers of every observation of a turn, sorted by absolute value."""

    def __init__(self) -> None:
        self.observations: list[Observation] = []
        self._values: list[float] = []
        self._refs: list[tuple[int, int]] = []  # (observation index, offset), parallel to _values
        self._pending: list[tuple[float, int, int]] = []

    def __len__(self) -> int:
        return len(self.observations)

    def add(self, text: str, *, step: str, tool: str) -> None:
        if not text or not text.strip():
            return
        stamps = [(text.count("\n", 0, m.start()) + 1, m.group(1) or m.group(2)) for m in AS_OF.finditer(text)]
        number = len(self.observations)
        self.observations.append(Observation(text, step, tool, stamps))
        pending = self._pending
        for match in _NUMBER.finditer(text):
            digits, suffix = match.groups()
            if digits is None:
                continue  # a list marker: "5. Drivine - …"
            value = float(digits.replace(",", "")) if "," in digits else float(digits)
            if suffix:
                value *= SCALES.get(suffix, SCALES.get(suffix.lower(), 1.0))
            pending.append((value, number, match.start()))

    def _settle(self) -> None:
        if not self._pending:
            return
        merged = sorted([*zip(self._values, self._refs), *(((v, (o, s))) for v, o, s in self._pending)],
                        key=lambda pair: pair[0])
        self._values = [value for value, _ in merged]
        self._refs = [ref for _, ref in merged]
        self._pending = []

    def near(self, target: float, tolerance: float, limit: int = 64) -> list[tuple[float, int, int]]:
        """Numbers within `tolerance` of `target` (absolute values): (value, observation, offset), closest first."""
        self._settle()
        lo = bisect.bisect_left(self._values, target - tolerance)
        hi = bisect.bisect_right(self._values, target + tolerance, lo)
        found = [(self._values[i], *self._refs[i]) for i in range(lo, min(hi, lo + limit))]
        found.sort(key=lambda item: abs(item[0] - target))
        return found
