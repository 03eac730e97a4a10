"""What a team does with its models' steps beyond smolagents' own handling.

- `bound_failed_step`: a failed step keeps the error and the first and last lines of the model's output in memory,
  not all of it (a parse error repeats the whole output, and a looping model would fill the context in a few steps).
- `FormatStrikes`: a model that fails the code format `strikes` times in a row is told the format once more in plain
  words (that step's error says it); failing again ends the turn with "this model could not follow the team's
  format" instead of its noise.
- `stream_final_answer`: the answer smolagents asks for after the step limit (`provide_final_answer`, a whole
  response) streams like any step.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from smolagents.memory import ActionStep
from smolagents.models import ChatMessage, ChatMessageStreamDelta, agglomerate_stream_deltas
from smolagents.utils import AgentParsingError

from agents.context_budget import ends
from agents.model_errors import ModelFormatError

FAILED_OUTPUT_CHARS = 800  # what a failed step's model output keeps in memory
FAILED_ERROR_CHARS = 600  # and its error message


def _with_message(error: Exception, message: str) -> Exception:
    bounded = type(error).__new__(type(error))  # not copy.copy: smolagents' errors need a logger to be made
    bounded.__dict__.update(error.__dict__)
    bounded.args = (message,)
    if hasattr(bounded, "message"):
        bounded.message = message
    return bounded


def bound_failed_step(step: Any) -> None:
    if not isinstance(step, ActionStep) or step.error is None:
        return
    if step.model_output and len(step.model_output) > FAILED_OUTPUT_CHARS:
        step.model_output = ends(step.model_output, FAILED_OUTPUT_CHARS)
    text = str(step.error)
    if len(text) > FAILED_ERROR_CHARS:
        step.error = _with_message(step.error, ends(text, FAILED_ERROR_CHARS))


def format_reminder(agent: Any) -> str:
    tags = getattr(agent, "code_block_tags", None)
    if tags:
        opening, closing = (tags[0].replace("(?:python|py)", "py"), tags[1].replace("\\n", "")) \
            if isinstance(tags, tuple) else ("```py", "```")
        return ("Your reply could not be used. Reply in exactly this form and nothing else: one short sentence "
                f"saying what you will do, then Python code between {opening} and {closing}, for example\n"
                f"{opening}\nfinal_answer(\"your answer in plain words\")\n{closing}")
    return ("Your reply could not be used. Reply only by calling one of your tools, or the tool final_answer "
            "with your answer in plain words.")


class FormatStrikes:
    """Counts one agent's code-format failures in a row (a step callback)."""

    def __init__(self, name: str, strikes: int, model_label: str, gave_up: Callable[[str, str], None]):
        self.name, self.strikes, self.model_label, self.gave_up = name, strikes, model_label, gave_up
        self.in_a_row = 0

    def __call__(self, step: Any, agent: Any = None) -> None:
        if not isinstance(step, ActionStep):
            return
        if step.step_number == 1:
            self.in_a_row = 0
        if not isinstance(step.error, AgentParsingError):
            self.in_a_row = 0
            bound_failed_step(step)
            return
        self.in_a_row += 1
        bound_failed_step(step)
        if self.in_a_row == self.strikes:
            step.error = _with_message(step.error, format_reminder(agent))
        elif self.in_a_row > self.strikes:
            message = (f"🧩 This model ({self.model_label}) could not follow the team's format: its last "
                       f"{self.in_a_row} replies were not in the form the team needs, even after being told it in "
                       "plain words. A larger model follows it; your conversation is kept.")
            self.gave_up(self.name, message)
            raise ModelFormatError(message)


class _StreamingGenerate:
    """A model whose `generate` streams (to `on_delta`), for smolagents' `provide_final_answer`."""

    def __init__(self, model: Any, on_delta: Callable[[ChatMessageStreamDelta], None]):
        self._model, self._on_delta = model, on_delta

    def generate(self, messages, *args, **kwargs) -> ChatMessage:
        deltas = []
        for delta in self._model.generate_stream(messages, *args, **kwargs):
            self._on_delta(delta)
            deltas.append(delta)
        return agglomerate_stream_deltas(deltas)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._model, name)


def stream_final_answer(agent: Any, on_delta: Callable[[ChatMessageStreamDelta], None]) -> None:
    """Make `agent`'s answer after the step limit stream its words to `on_delta` (when its model streams)."""
    original = agent.provide_final_answer

    def provide_final_answer(task: str) -> ChatMessage:
        model = agent.model
        if not callable(getattr(model, "generate_stream", None)):
            return original(task)
        agent.model = _StreamingGenerate(model, on_delta)
        try:
            return original(task)
        finally:
            agent.model = model

    agent.provide_final_answer = provide_final_answer
