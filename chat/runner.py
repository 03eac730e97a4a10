"""Running one chat turn in its own thread and streaming its chat items out through a queue.

Iterating `agent.run(stream=True)` from Gradio's worker threads would split one
turn across threads (and traces); here the whole turn, sub-agents included, runs
in one dedicated thread, and the UI side only reads the queue.
"""

from __future__ import annotations

import contextlib
import queue
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator
from typing import Any

from smolagents.memory import ActionStep, FinalAnswerStep, PlanningStep
from smolagents.utils import AgentError, AgentGenerationError, AgentMaxStepsError

from agents.events import (
    DelegationEnded,
    DelegationStarted,
    FigureShown,
    ManagerDelta,
    MemberDelta,
    MemberStep,
    ModelGaveUp,
    TeamEvent,
    TicketShown,
)
from agents.model_errors import ModelCallError, describe
from agents.team import Team
from chat.evidence import Evidence
from chat.messages import STATUS_DONE, STATUS_PENDING, ChatItem, chart
from chat.rendering import StepRenderer, shorten
from chat.trading_items import ticket_item
from core.text import KNOWN_SECRETS, scrub

PLACEHOLDERS = ("Thinking…", "Working…")


class _NoTrace:
    trace_id = None
    url = None

    def set_output(self, text: str) -> None:
        pass

    def set_attributes(self, attributes: dict) -> None:
        pass


def trace_turn(tracing: Any, session_id: str, user_id: str | None, message: str, kind: str):
    """The tracing context for a turn, or a no-op one when tracing is absent."""
    if tracing is None:
        return contextlib.nullcontext(_NoTrace())
    return tracing.turn(session_id, user_id, message, kind=kind)


class TurnRun:
    """One turn of one session: start(), then iterate updates(); stop() from any thread."""

    def __init__(self, team: Team | Callable[[], Team], task: str, *, session_id: str, user_id: str | None = None,
                 tracing: Any = None, secrets: list[str] | None = None, timeout_s: float = 600.0, metrics: Any = None,
                 meter: Callable[[int], str | None] | None = None, answer_max_chars: int | None = None,
                 max_figures: int | None = None):
        # `team` may be a Team or a zero-argument callable building one: then it is built in the turn's
        # thread, after the first "Thinking…" message is already on its way to the person.
        self._team_factory: Callable[[], Team] | None = None if isinstance(team, Team) else team
        self.team: Team | None = team if isinstance(team, Team) else None
        self.task = task
        self.session_id = session_id
        self.user_id = user_id
        self.tracing = tracing
        self.secrets = [s for s in (secrets or []) if s]
        self.timeout_s = timeout_s
        self.metrics = metrics  # telemetry.metrics.Metrics: step latency and model tokens
        self.renderer = StepRenderer(self._emit, answer_max_chars=answer_max_chars)
        # every finished step's observations, to trace the answer's figures
        self.evidence = Evidence(task, max_figures=max_figures)
        self.trace_id: str | None = None
        self.trace_url: str | None = None
        self.stop_reason: str | None = None
        self.stop_message: str | None = None
        self.meter = meter  # fed each step's real token usage; returns why the turn must stop (limits), or None
        self._metered: set[int] = set()
        self.finished = threading.Event()
        self._stopped = threading.Event()
        self._queue: queue.Queue = queue.Queue()
        self._thread = threading.Thread(target=self._work, name="turn", daemon=True)

    # -- the turn's thread -----------------------------------------------------------
    def start(self) -> TurnRun:
        if self.team is not None:
            self.team.sink.target = self
        self._thread.start()
        return self

    def _emit(self, op: str, payload: Any) -> None:
        if self._stopped.is_set():
            return
        if op == "upsert":
            secrets = [*self.secrets, *KNOWN_SECRETS.values()]
            content = payload.content
            payload = payload.with_(
                content=scrub(content, secrets) if isinstance(content, str) else content,
                log=scrub(payload.log, secrets) if payload.log else payload.log,
                title=scrub(payload.title, secrets) if payload.title else payload.title,
            )
        self._queue.put((op, payload))

    def on_event(self, event: TeamEvent) -> None:
        """Events from the team's sink (agents/events.py): sub-agent steps and words, delegations, charts, tickets."""
        if self._stopped.is_set():
            return
        match event:
            case DelegationStarted(member, task):
                self.renderer.delegation_start(member, task)
            case DelegationEnded(member, error):
                self.renderer.delegation_end(member, error)
            case MemberStep(member, step):
                if self.metrics is not None:
                    self.metrics.observe_step(member, step)
                self._count(step)
                self.renderer.member_step(member, step)
                self.evidence.add_step(member, step)
            case MemberDelta(member, delta):
                self.renderer.member_delta(member, delta)
            case ManagerDelta(delta):
                self.renderer.manager_event(delta)
            case ModelGaveUp(_, message):
                self.stop("format", message)
            case FigureShown(figure, title):
                self.renderer.show(chart(figure, title=None, extra={"caption": title} if title else {}))
            case TicketShown(card):
                self.renderer.show(ticket_item(card))

    def _work(self) -> None:
        try:
            with trace_turn(self.tracing, self.session_id, self.user_id, self.task, "chat") as trace:
                self.trace_id, self.trace_url = trace.trace_id, trace.url
                self.renderer.start()
                if self.team is None:
                    self.team = self._team_factory()
                    self.team.sink.target = self
                if self._stopped.is_set():
                    return
                for event in self.team.manager.run(self.task, stream=True, reset=False):
                    if self._stopped.is_set():
                        continue  # drain: smolagents ends the run at the next step (interrupt switch)
                    self._count(event)
                    if isinstance(event, FinalAnswerStep) and self._hit_max_steps():
                        self.renderer.hit_max_steps = True
                    if self.metrics is not None and isinstance(event, (ActionStep, PlanningStep)):
                        self.metrics.observe_step("manager", event)
                    self.renderer.manager_event(event)
                    if isinstance(event, ActionStep):
                        self.evidence.add_step("manager", event)
                if self.renderer.final_answer is not None and not self._stopped.is_set():
                    for item in self.evidence.answer_items(self.renderer.final_answer):
                        self.renderer.show(item)
                    trace.set_attributes(self.evidence.span_attributes())
                trace.set_output(self.renderer.final_answer or "")
        except AgentError as exc:
            if not self._stopped.is_set():
                self._fail(exc)
        except ModelCallError as exc:  # ours, already told (a format give-up stops the turn with its message)
            if not self._stopped.is_set():
                self._fail(exc)
        except Exception as exc:  # our bug or a library's: the person still gets a message
            self._fail(exc)
        finally:
            if self.team is not None and self.team.sink.target is self:
                self.team.sink.target = None
            self._queue.put(("done", None))
            self.finished.set()

    def _count(self, step: Any) -> None:
        """Feed a finished step's token usage to the meter (once per step); stop the turn when it says so."""
        usage = getattr(step, "token_usage", None)
        if self.meter is None or usage is None or not isinstance(step, (ActionStep, PlanningStep)) \
                or id(step) in self._metered:
            return
        self._metered.add(id(step))
        reason = self.meter(usage.input_tokens + usage.output_tokens)
        if reason and not getattr(step, "is_final_answer", False):  # an answer already paid for is shown
            self.stop("budget", reason)

    def _hit_max_steps(self) -> bool:  # only called once the team exists
        steps = self.team.manager.memory.steps
        return bool(steps) and isinstance(getattr(steps[-1], "error", None), AgentMaxStepsError)

    def _fail(self, exc: BaseException) -> None:
        self.renderer.close_pending("stopped by an error")
        if isinstance(exc, (AgentGenerationError, ModelCallError)):
            model = getattr(self.team.manager, "model", None) if self.team is not None else None
            text = describe(exc, getattr(model, "model_label", None) or "the model")
        else:
            text = (f"💥 Something went wrong: {type(exc).__name__}: {shorten(str(exc), 300)}\n\n"
                    "Nothing was lost: your conversation is kept. Try again or rephrase.")
        self.renderer.show(ChatItem(content=text, kind="error"))

    # -- any thread ----------------------------------------------------------------------
    def stop(self, reason: str = "stopped", message: str | None = None) -> None:
        if self._stopped.is_set():
            return
        self.stop_reason, self.stop_message = reason, message
        self._stopped.set()
        team = self.team
        if team is not None:
            team.interrupt()

    @property
    def stopped(self) -> bool:
        return self._stopped.is_set()

    # -- the UI side ------------------------------------------------------------------------
    def updates(self, poll_s: float = 0.05, min_interval_s: float = 0.05) -> Iterator[list[ChatItem]]:
        """The turn's chat items, as a growing list, until the turn ends or is stopped.

        Coalesced: at most one snapshot per `min_interval_s` (20 a second), however fast the model streams; the first
        change after a quiet spell, an item's first words and the end of the turn are yielded at once.
        """
        items: OrderedDict[str, ChatItem] = OrderedDict()
        deadline = time.monotonic() + self.timeout_s
        next_yield = 0.0  # monotonic time before which changes are held back
        dirty = False  # changes not yet yielded
        while True:
            wait = max(0.0, next_yield - time.monotonic()) if dirty else poll_s
            try:
                op, payload = self._queue.get(timeout=wait) if wait > 0 else self._queue.get_nowait()
            except queue.Empty:
                if dirty:
                    dirty, next_yield = False, time.monotonic() + min_interval_s
                    yield list(items.values())
                    continue
                if self._stopped.is_set():
                    yield self._closed(items)
                    return
                if time.monotonic() > deadline:
                    self.stop("timeout")
                continue
            done = urgent = False
            while True:  # apply everything already queued
                if op == "done":
                    done = True
                    break
                if op == "upsert":
                    before = items.get(payload.id)
                    if payload.content and payload.content not in PLACEHOLDERS and \
                            (before is None or not before.content or before.content in PLACEHOLDERS):
                        urgent = True  # an item's first words are shown at once, not at the next 50 ms tick
                    items[payload.id] = payload
                elif op == "remove":
                    items.pop(payload, None)
                try:
                    op, payload = self._queue.get_nowait()
                except queue.Empty:
                    break
            if done:
                yield self._closed(items) if self._stopped.is_set() else list(items.values())
                return
            dirty = True
            if urgent or time.monotonic() >= next_yield:
                dirty, next_yield = False, time.monotonic() + min_interval_s
                yield list(items.values())

    def _closed(self, items: OrderedDict[str, ChatItem]) -> list[ChatItem]:
        """The items after a stop: nothing left spinning, and a note saying what happened."""
        out = []
        for item in items.values():
            if item.status == STATUS_PENDING:
                if item.content in PLACEHOLDERS:
                    continue
                item = item.with_(status=STATUS_DONE, log="stopped")
            out.append(item)
        if self.stop_message:
            note = self.stop_message
        elif self.stop_reason == "timeout":
            note = f"⏱️ This turn took longer than {self.timeout_s:g} s and was stopped. Your conversation is kept."
        else:
            note = "⏹️ Stopped. Your conversation is kept; ask again whenever you like."
        out.append(ChatItem(content=note, kind="notice", id="stopped"))
        return out
