"""Collecting a turn's evidence (every finished step's observations) and checking its final answer.

`TurnRun` feeds each finished step here, the manager's and every sub-agent's, with the agent's name.
At the final answer, `answer_items()` gives the final chat item (marked figures for the browser,
`extra.figures` for API clients) and the badge under it; `span_attributes()` the counts for the trace.

What counts as evidence: what tools returned and what code printed. Not evidence: model-written text,
so a member's final report is removed from the manager's observations (the manager printed it), and
a final step's own answer is removed from that step's observations.
"""

from __future__ import annotations

import html
import re
import threading
from typing import Any

from smolagents.memory import ActionStep

from chat.messages import STATUS_DONE, ChatItem
from provenance import FigureVerdict, ObservationIndex, ProvenanceReport, check_answer
from provenance.check import DATE_DIFFERS, FROM_MESSAGE, SIGN_DIFFERS, TRACED

_CALL = re.compile(r"\b([A-Za-z_]\w*)\s*\(")
_NOT_TOOLS = frozenset({
    "print", "round", "len", "float", "int", "str", "max", "min", "sum", "abs", "sorted", "list", "dict", "set",
    "tuple", "range", "enumerate", "zip", "format", "final_answer", "isinstance", "any", "all", "map", "filter",
    "bool", "reversed", "type", "getattr", "hasattr", "append", "join", "split", "strip", "get", "items", "keys",
    "values", "mean", "std", "sqrt", "log", "exp", "pct_change", "upper", "lower", "replace", "startswith", "endswith",
})
_LAST_OUTPUT = "Last output from code snippet:"
UNTRACED_NOTE = "Untraced: no tool output or printed result of this turn states this figure."
MESSAGE_STEP = "your message"
_VERDICT_LABELS = {TRACED: "✅ traced", FROM_MESSAGE: "💬 from your message", DATE_DIFFERS: "⚠️ date differs",
                   SIGN_DIFFERS: "⚠️ sign differs"}


def tools_called(step: ActionStep, agent_names: frozenset[str] = frozenset()) -> str:
    """The tools a step called: tool calls of a tool-calling agent, or the functions its code called."""
    if step.code_action:
        names = [n for n in dict.fromkeys(_CALL.findall(step.code_action)) if n not in _NOT_TOOLS]
        defined = set(re.findall(r"\bdef\s+(\w+)", step.code_action))
        names = [n for n in names if n not in defined and not n[0].isupper()]
        return ", ".join(names) or "python"
    names = [c.name for c in step.tool_calls or [] if c.name != "final_answer"]
    return ", ".join(dict.fromkeys(names)) or "final_answer"


class Evidence:
    """One turn's observations, checked against its final answer. Fed from the turn's thread."""

    def __init__(self, message: str = "", max_figures: int | None = None) -> None:
        self.max_figures = max_figures  # figures of one answer checked (PROVENANCE_MAX_FIGURES); None: all
        self.index = ObservationIndex()
        # Figures the person gave are not invented, but not from a tool either: counted apart.
        self.index.add(message, step=MESSAGE_STEP, tool="you", from_message=True)
        self.report: ProvenanceReport | None = None
        self._member_reports: list[str] = []
        self._lock = threading.Lock()

    def add_step(self, agent: str, step: Any) -> None:
        if not isinstance(step, ActionStep):
            return
        text = step.observations or ""
        if step.is_final_answer:
            if step.action_output is not None:
                output = str(step.action_output)
            else:  # a tool-calling agent's final step: its observation is its answer
                output = "" if step.code_action else text.strip()
            text = text.split(_LAST_OUTPUT, 1)[0]
            if agent != "manager" and output:
                with self._lock:
                    self._member_reports.append(output)
            if not step.code_action:
                text = ""  # a tool-calling agent's final step observes only its own answer
        if agent == "manager":
            for report in self._member_reports:
                if len(report) > 3:
                    text = text.replace(report, "")
        step_label = f"{agent} · step {step.step_number}"
        with self._lock:
            self.index.add(text, step=step_label, tool=tools_called(step))

    def check(self, answer: str) -> ProvenanceReport:
        with self._lock:
            self.report = check_answer(answer, self.index, self.max_figures)
        return self.report

    # -- what the person and API clients see ------------------------------------------------
    def answer_items(self, answer: str) -> list[ChatItem]:
        """The final answer (figures marked, verdicts in `extra`) and the badge under it; nothing without figures."""
        report = self.check(answer)
        if not report.total and not report.unchecked:
            return []
        final = ChatItem(content=answer, id="final", kind="final", display=mark_answer(answer, report),
                         extra={"figures": report.to_json(), "figures_summary": report.summary()})
        return [final, badge(report)]

    def span_attributes(self) -> dict:
        report = self.report
        if report is None:
            return {}
        untraced = len(report.untraced)
        return {"smol_trader.figures.total": report.total, "smol_trader.figures.traced": report.traced,
                "smol_trader.figures.from_message": report.from_message,
                "smol_trader.figures.untraced": untraced, "langfuse.trace.metadata.figures_untraced": untraced}


def untraced_note(verdict: FigureVerdict) -> str:
    """The hover note of an untraced figure: none found, or found with another date or sign (and where)."""
    near = verdict.near
    if verdict.mismatch is None or near is None:
        return UNTRACED_NOTE
    where = f"{near.step} · {near.tool}"
    if verdict.mismatch == DATE_DIFFERS:
        return f"Untraced, date differs: {where} states this figure for {verdict.found}, not {verdict.figure.date}."
    return f"Untraced, sign differs: {where} states it as {verdict.found}."


def mark_answer(answer: str, report: ProvenanceReport) -> str:
    """The answer with each untraced figure wrapped in <abbr title=…> and a ⚠ mark; markdown untouched."""
    out, cursor = [], 0
    for verdict in report.untraced:
        figure = verdict.figure
        out.append(answer[cursor:figure.start])
        out.append(f'<abbr title="{html.escape(untraced_note(verdict))}">{figure.text}<sup>⚠</sup></abbr>')
        cursor = figure.end
    out.append(answer[cursor:])
    return "".join(out)


def badge(report: ProvenanceReport) -> ChatItem:
    """A collapsed item under the answer: "12 of 14 figures traced to tool output, 1 from your message",
    expanding to the list."""
    rows = ["| figure | verdict | source | as of |", "|---|---|---|---|"]
    for verdict in report.verdicts:
        source = verdict.source or verdict.near  # an untraced figure shows the source that disagrees, if any
        cell = "—" if source is None else f"{source.step} · `{source.tool}`: {_cell(source.line, 120)}"
        mark = _VERDICT_LABELS.get(verdict.mismatch or verdict.verdict, "⚠️ untraced")
        if verdict.mismatch:
            mark += f": {_cell(verdict.found or '')}"
        as_of = _cell(source.as_of or "—") if source else "—"
        rows.append(f"| {_cell(verdict.figure.text)} | {mark} | {cell} | {as_of} |")
    icon = "⚠️" if report.untraced else "🔎"
    noun = "figure" if report.total == 1 else "figures"
    title = f"{icon} {report.traced} of {report.total} {noun} traced to tool output"
    if report.from_message:
        title += f", {report.from_message} from your message"
    if report.unchecked:
        title += f"; {report.unchecked:,} more not checked (the first {report.limit:,} of an answer are)"
        rows.append(f"| … | {report.unchecked:,} more figures not checked | — | — |")
    return ChatItem(content="\n".join(rows), title=title, id="figures", status=STATUS_DONE, kind="figures",
                    extra={"figures_summary": report.summary()})


def _cell(text: str, limit: int = 200) -> str:
    text = " ".join(str(text).split())
    text = text if len(text) <= limit else text[:limit] + "…"
    return text.replace("|", "\\|").replace("`", "'")
