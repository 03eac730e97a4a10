"""Figure provenance: which figures of an answer came from tool output, and from where.

Pure code (stdlib only): `extract_figures(answer)` finds the figures an answer
states; `ObservationIndex` holds what the turn's tools returned and its code
printed, line by line with as-of times; `check_answer(answer, index)` gives each
figure a verdict: traced (to a step, tool, line and as-of time), from the person's
own message, or untraced (none found, or found only with another date or sign than
the answer gives it: "date differs", "sign differs").
"""

from provenance.check import FigureVerdict, ProvenanceReport, Source, check_answer
from provenance.figures import Figure, extract_figures
from provenance.observations import ObservationIndex

__all__ = ["Figure", "FigureVerdict", "ObservationIndex", "ProvenanceReport", "Source", "check_answer",
           "extract_figures"]
