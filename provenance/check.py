"""Verdicts: each figure of an answer traced to an observation line, or untraced."""

from __future__ import annotations

import re
from dataclasses import dataclass

from provenance.figures import Figure, extract_figures
from provenance.observations import ObservationIndex

TRACED = "traced"
UNTRACED = "untraced"


@dataclass(frozen=True)
class Source:
    step: str
    tool: str
    line: str
    as_of: str | None
    line_number: int

    def to_json(self) -> dict:
        return {"step": self.step, "tool": self.tool, "line": self.line, "as_of": self.as_of}


@dataclass(frozen=True)
class FigureVerdict:
    figure: Figure
    source: Source | None

    @property
    def verdict(self) -> str:
        return TRACED if self.source else UNTRACED

    def to_json(self) -> dict:
        return {"text": self.figure.text, "value": self.figure.value, "verdict": self.verdict,
                "source": self.source.to_json() if self.source else None}


@dataclass(frozen=True)
class ProvenanceReport:
    verdicts: tuple[FigureVerdict, ...]

    @property
    def total(self) -> int:
        return len(self.verdicts)

    @property
    def traced(self) -> int:
        return sum(1 for v in self.verdicts if v.source)

    @property
    def untraced(self) -> list[FigureVerdict]:
        return [v for v in self.verdicts if not v.source]

    def summary(self) -> dict:
        return {"traced": self.traced, "total": self.total}

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


def _source(index: ObservationIndex, figure: Figure) -> Source | None:
    """The closest number written the same way; a line that also carries the figure's date comes first."""
    written = _digits(figure.text)
    found = []
    for target, tolerance in candidates(figure):
        for value, number, as_written in index.near(target, tolerance, limit=4):
            found.append((round(abs(value - target) / tolerance, 6), as_written != written, number, as_written))
    if not found:
        return None
    found.sort()
    chosen, line_number, line = found[0], None, ""
    for item in found if figure.date else ():
        observation = index.observations[item[2]]
        if figure.date in observation.text:
            number, text = observation.line_of(item[3], figure.date)
            if figure.date in text:
                chosen, line_number, line = item, number, text
                break
    observation = index.observations[chosen[2]]
    if line_number is None:
        line_number, line = observation.line_of(chosen[3])
    return Source(observation.step, observation.tool, line[:300], observation.as_of_near(line_number), line_number)


def _digits(text: str) -> str:
    """The figure's number as written, without its sign and currency: "$1,234.50 million" -> "1,234.50"."""
    match = _WRITTEN.search(text)
    return match.group(0) if match else text


_WRITTEN = re.compile(r"\d[\d,]*(?:\.\d+)?")


def check_answer(answer: str, index: ObservationIndex) -> ProvenanceReport:
    """Every figure `answer` states, with the observation line it came from (or none)."""
    return ProvenanceReport(tuple(FigureVerdict(f, _source(index, f)) for f in extract_figures(answer or "")))
