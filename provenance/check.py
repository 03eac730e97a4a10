"""Verdicts: each figure of an answer traced to an observation line, given by the person, or untraced."""

from __future__ import annotations

import re
from dataclasses import dataclass

from provenance.dates import EARLIER_SESSION, EARLIER_SESSION_DAYS, agrees, quick_key, reaching_back, stated_days
from provenance.figures import Figure, extract_figures
from provenance.numbers import sign_in
from provenance.observations import DAYS_OF_OBSERVATION, DAYS_OF_RECORD, Observation, ObservationIndex

TRACED = "traced"
FROM_MESSAGE = "from_message"  # the person wrote it in their message: not invented, not from a tool either
UNTRACED = "untraced"
DATE_DIFFERS = "date differs"  # a source states the number, but with other days than the answer gives it
SIGN_DIFFERS = "sign differs"  # a source states the number, but with the other sign ("+3.4%" for "-3.40%")


@dataclass(frozen=True)
class Source:
    step: str
    tool: str
    line: str
    as_of: str | None
    line_number: int
    from_message: bool = False

    def to_json(self) -> dict:
        return {"step": self.step, "tool": self.tool, "line": self.line, "as_of": self.as_of}


@dataclass(frozen=True)
class FigureVerdict:
    figure: Figure
    source: Source | None
    mismatch: str | None = None  # untraced although a source states the number: DATE_DIFFERS or SIGN_DIFFERS
    near: Source | None = None  # that source
    found: str | None = None  # what it states instead: its days ("2025-02-14", "2020-12-01 to 2020-12-31") or
    # the number with its sign ("-3.40")

    @property
    def verdict(self) -> str:
        if self.source is None:
            return UNTRACED
        return FROM_MESSAGE if self.source.from_message else TRACED

    def to_json(self) -> dict:
        mismatch = ({"reason": self.mismatch, "found": self.found, "source": self.near.to_json()}
                    if self.mismatch and self.near else None)
        return {"text": self.figure.text, "value": self.figure.value, "verdict": self.verdict,
                "source": self.source.to_json() if self.source else None, "mismatch": mismatch}


@dataclass(frozen=True)
class ProvenanceReport:
    verdicts: tuple[FigureVerdict, ...]
    unchecked: int = 0  # figures past the limit of one answer, not checked
    limit: int | None = None  # that limit (PROVENANCE_MAX_FIGURES)

    @property
    def total(self) -> int:
        return len(self.verdicts)

    @property
    def traced(self) -> int:
        """Figures traced to tool output or printed results (not those only the person's message gave)."""
        return sum(1 for v in self.verdicts if v.verdict == TRACED)

    @property
    def from_message(self) -> int:
        return sum(1 for v in self.verdicts if v.verdict == FROM_MESSAGE)

    @property
    def untraced(self) -> list[FigureVerdict]:
        return [v for v in self.verdicts if v.source is None]

    def summary(self) -> dict:
        summary = {"traced": self.traced, "from_message": self.from_message, "total": self.total}
        if self.unchecked:
            summary["unchecked"] = self.unchecked
        return summary

    def to_json(self) -> list[dict]:
        return [v.to_json() for v in self.verdicts]


def candidates(figure: Figure) -> list[tuple[float, float]]:
    """(value, tolerance) pairs the figure may stand for: as written, and as a percentage or fraction."""
    value, unit = abs(figure.value), figure.unit
    # Rounded as written: within half a unit of its last digit; "about 245" may be cut rather than rounded.
    tolerance = unit * (1.0 if figure.approximate else 0.5) * (1 + 1e-9) + 1e-12
    out = [(value, tolerance)]
    if figure.kind == "percent":
        out.append((value / 100, tolerance / 100))
    elif figure.kind == "number" and value < 10 and unit < 1:
        out.append((value * 100, tolerance * 100))  # a fraction written for a percentage: 0.123 -> 12.3%
    return out


def _verdict(index: ObservationIndex, figure: Figure) -> FigureVerdict:
    """The closest number written the same way, a tool's before the person's message. When the answer gives the
    figure a date or a sign, the source must agree: its line (or record) carrying that day, else its observation
    writing that day among others (or no date at all); its sign the same or not written. A number that only
    disagrees makes the figure untraced, with what differs and where."""
    stated = stated_days(figure.date) if figure.date else None
    checked = stated is not None or figure.sign is not None
    written = _digits(figure.text)
    key = quick_key(stated) if stated is not None else None
    carrying = None
    if key is not None:  # a row or record carrying that very day, however far down the closest numbers it is
        carrying = _carrying(index, figure, key, written)
        if carrying is not None and not carrying[0]:
            return FigureVerdict(figure, _at(index, carrying[3], carrying[4]))
    found: dict[tuple[int, int], tuple] = {}
    for target, tolerance in candidates(figure):
        for value, number, offset, as_written in index.near(target, tolerance, limit=16 if checked else 4):
            rank = (index.observations[number].from_message, round(abs(value - target) / tolerance, 6),
                    as_written != written, number, offset, len(as_written))
            if found.get((number, offset), rank) >= rank:
                found[(number, offset)] = rank
    if not found and carrying is None:
        return FigureVerdict(figure, None)
    if not checked:
        ranked = sorted(found.values())
        return FigureVerdict(figure, _at(index, ranked[0][3], ranked[0][4]))
    if carrying is not None:  # the person's message carrying that day
        found[(carrying[3], carrying[4])] = carrying
    best, miss = None, None
    for from_message, distance, other_form, number, offset, length in sorted(found.values()):
        observation = index.observations[number]
        if figure.sign is not None and sign_in(observation.text, offset, offset + length) == -figure.sign:
            written_there = observation.text[offset:offset + length]
            miss = miss or (SIGN_DIFFERS, number, offset, ("-" if figure.sign > 0 else "+") + written_there)
            continue
        fit = DAYS_OF_RECORD + 1  # no date to check, or a line carrying the very day: the best fit
        if stated is not None and not (key and key in observation.day_keys and _carries(observation, offset, key)):
            around = observation.days_around(offset)
            if around is None:
                fit = 0  # the source writes no date at all: nothing to disagree with
            elif agrees(stated, around[0]) or (  # a quote's "previous close" is of the session before its date
                    around[1] == DAYS_OF_OBSERVATION
                    and EARLIER_SESSION.search(observation.text, max(0, offset - 24), offset) is not None
                    and agrees(stated, reaching_back(around[0], EARLIER_SESSION_DAYS))):
                fit = around[1]
            else:
                first, last = around[0]
                miss = miss or (DATE_DIFFERS, number, offset, first if first == last else f"{first} to {last}")
                continue
        rank = (from_message, -fit, distance, other_form)
        if best is None or rank < best[0]:
            best = (rank, number, offset)
        if not from_message and fit >= DAYS_OF_RECORD:
            break  # closest first: nothing after this one fits better
    if best is not None:
        return FigureVerdict(figure, _at(index, best[1], best[2]))
    reason, number, offset, found_there = miss
    return FigureVerdict(figure, None, reason, _at(index, number, offset), found_there)


def _carrying(index: ObservationIndex, figure: Figure, key: str, written: str) -> tuple | None:
    """The closest number within tolerance whose line (or record) writes `key` (an ISO day or month) and
    that does not disagree in sign: a tool's before the person's message."""
    best = None
    for target, tolerance in candidates(figure):
        for value, number, offset, as_written in index.within(target, tolerance):
            observation = index.observations[number]
            if key not in observation.day_keys or not _carries(observation, offset, key):
                continue
            if figure.sign is not None and sign_in(observation.text, offset,
                                                   offset + len(as_written)) == -figure.sign:
                continue
            rank = (observation.from_message, round(abs(value - target) / tolerance, 6), as_written != written,
                    number, offset, len(as_written))
            if best is None or rank < best:
                best = rank
    return best


def _carries(observation: Observation, offset: int, key: str) -> bool:
    """Whether the line (or record) of the number at `offset` writes `key`: an ISO day, month or day of the year."""
    start, end = observation.line_bounds(offset)
    record = observation.record_bounds(offset, start, end)
    if record is not None:
        start, end = record
    return observation.text.find(key, start, end) >= 0


def _at(index: ObservationIndex, number: int, offset: int) -> Source:
    observation = index.observations[number]
    line_number, line = observation.line_at(offset)
    return Source(observation.step, observation.tool, line[:300], observation.as_of_near(line_number), line_number,
                  observation.from_message)


def _digits(text: str) -> str:
    """The figure's number as written, without its sign and currency: "$1,234.50 million" -> "1,234.50"."""
    match = _WRITTEN.search(text)
    return match.group(0) if match else text


_WRITTEN = re.compile(r"\d[\d,]*(?:\.\d+)?")


def check_answer(answer: str, index: ObservationIndex, max_figures: int | None = None) -> ProvenanceReport:
    """Every figure `answer` states, with the observation line it came from (or none); past `max_figures`
    figures, the rest are counted as `unchecked` (one answer's checking work has a bound)."""
    figures = extract_figures(answer or "")
    unchecked = 0
    if max_figures is not None and len(figures) > max_figures:
        figures, unchecked = figures[:max_figures], len(figures) - max_figures
    return ProvenanceReport(tuple(_verdict(index, f) for f in figures), unchecked=unchecked, limit=max_figures)
