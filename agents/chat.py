"""One person's message in, a stream of chat items out.

`ChatService.respond()` is the single entry point used by the browser UI and the
API: it validates the message, answers slash commands directly (no model), and
otherwise runs a turn of the session's team.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterator
from typing import Any

from agents.conversation_log import seed_memory
from agents.messages import ChatItem
from agents.models import ModelChoice, build_model, check_window_in_background, choose_model
from agents.rendering import trace_item
from agents.runner import TurnRun, trace_turn
from agents.session import Session
from agents.team import Team, build_team
from agents.visitors import Visitors
from commands import CommandContext, dispatch, is_command
from core.errors import UserError
from telemetry.metrics import TurnTimer
from telemetry.scrub import scrub_log_records

log = logging.getLogger(__name__)

_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def clean_message(text: Any, max_chars: int) -> tuple[str, str | None]:
    """The message without control characters, and a problem to tell the person (or None)."""
    if not isinstance(text, str):
        text = "" if text is None else str(text.get("text", "")) if isinstance(text, dict) else str(text)
    text = _CONTROL_CHARS.sub("", text).strip()
    if not text:
        return "", "Your message is empty. Ask a question about the market, or type `/help` for the commands."
    if len(text) > max_chars:
        return "", (f"Your message is {len(text):,} characters long; the limit is {max_chars:,}. "
                    "Please shorten it (paste only the part that matters).")
    return text, None


class ChatService:
    def __init__(self, services: Any, model_factory: Callable[[], Any] | None = None,
                 extra_tools: dict[str, list] | None = None, visitors: Visitors | None = None,
                 conversations: Any = None):
        self.services = services
        self.conversations = conversations  # agents.conversation_log.ConversationLog, or None (nothing saved)
        self.settings = services.settings
        scrub_log_records(self.settings.secret_values())  # logs, chat and egress checks know every secret
        if model_factory is None:
            self.model_choice: ModelChoice = choose_model(self.settings)
            self.model_factory = (lambda: build_model(self.settings, self.model_choice)) \
                if self.model_choice.available else None
            check_window_in_background(self.settings, self.model_choice, log)
        else:
            self.model_choice = ModelChoice("custom", "custom")
            self.model_factory = model_factory
        self.extra_tools: dict[str, list] = extra_tools or {}  # Hub tools per member, never shadowing ours
        self.metrics = getattr(services, "metrics", None)  # telemetry.metrics.Metrics, or None
        self.visitors = visitors or Visitors(self.settings)  # limits and bring-your-own inference (issue 12)

    def warm_model(self) -> None:
        """Make one model now (start-up, before the server answers): its client library is imported and its shared
        client and connection pool made, so the first visitor's turn asks the model at once."""
        if self.model_factory is None:
            return
        try:
            self.model_factory()
        except Exception as exc:  # noqa: BLE001 - the first turn reports the problem to the person
            log.warning("The model could not be prepared at start-up: %s", exc)

    # -- the team -------------------------------------------------------------------------
    def team_for(self, session: Session, previous: TurnRun | None = None, hf_token: str | None = None) -> Team:
        """The session's team; `previous` is the session's last turn (a fresh team if its thread is still busy)."""
        with session.lock:
            if (session.team is not None and previous is not None and not previous.finished.is_set()) \
                    or self.visitors.needs_new_team(session, hf_token):  # also when the visitor signed in or out
                self.visitors.remember(session, hf_token)
                # The stopped turn's thread is still inside a slow call: continue with a fresh team
                # that keeps the conversation so far, and let the old thread finish unseen.
                old = session.team
                session.team = self._build(session)
                session.team.manager.memory.steps = list(old.manager.memory.steps)
            if session.team is None:
                self.visitors.remember(session, hf_token)
                session.team = self._build(session)
            return session.team

    def _build(self, session: Session) -> Team:
        team = build_team(self.services, session, self.visitors.model_for(session, self.model_factory),
                          self.extra_tools)
        seed_memory(team.manager.memory, session.earlier_turns)  # a saved conversation's turns, used once
        session.earlier_turns = []
        return team

    # -- a message ---------------------------------------------------------------------------
    def respond(self, session: Session, message: Any, *, hf_token: str | None = None,
                client: str | None = None) -> Iterator[list[ChatItem]]:
        """The reply's snapshots; saved item by item into the session's conversation when there is a store.

        `hf_token`: the visitor's own Hugging Face token (their turns run on it); `client`: their address.
        """
        replies = self._respond(session, message, hf_token=hf_token, client=client)
        text, problem = clean_message(message, self.settings.max_message_chars)
        if self.conversations is None or session.workspace is None or problem:  # nothing to save it in
            yield from replies
        else:
            yield from self.conversations.recorded(session, text, replies)

    def _respond(self, session: Session, message: Any, *, hf_token: str | None,
                 client: str | None) -> Iterator[list[ChatItem]]:
        session.touch()
        text, problem = clean_message(message, self.settings.max_message_chars)
        if problem:
            self._count("invalid")
            yield [ChatItem(content=problem, kind="error")]
            return
        if is_command(text):
            refused = self.visitors.admit_command(session, client)
            self._count("refused" if refused else "command")
            yield [refused] if refused else self.run_command(session, text)
            return
        if self.model_factory is None and not hf_token:
            self._count("no_model")
            yield [ChatItem(content=self.model_choice.problem, kind="notice")]
            return
        try:
            turn_pass = self.visitors.admit_turn(session, client, hf_token)  # limits (issue 12)
        except UserError as exc:
            self._count("refused")
            yield [ChatItem(content=exc.user_message, kind="notice", extra={"refused": True})]
            return
        with session.lock:
            if session.running is not None:
                self._count("busy")
                turn_pass.close()
                yield [ChatItem(content="The team is still working on your previous message. "
                                        "Press Stop first, or wait for the answer.", kind="notice")]
                return
            previous = session.last_run
            run = TurnRun(lambda: self.team_for(session, previous, hf_token), text, session_id=session.id,
                          user_id=session.user, tracing=self.services.tracing,
                          secrets=[*self.settings.secret_values(), *([hf_token] if hf_token else [])],
                          timeout_s=self.settings.turn_timeout_s, metrics=self.metrics, meter=turn_pass.meter,
                          answer_max_chars=self.settings.final_answer_max_chars,
                          max_figures=self.settings.provenance_max_figures)
            session.running = run
            session.last_run = run
        last: list[ChatItem] = []
        timer = TurnTimer(self.metrics)
        try:
            run.start()
            for last in run.updates():
                yield last
            trace = trace_item(run.trace_id, run.trace_url)
            if trace is not None and not run.stopped:
                yield [*last, trace]
        finally:
            if not run.finished.wait(timeout=0.2):
                run.stop("closed")  # the person left (or the API client disconnected) mid-turn
            with session.lock:
                if session.running is run:
                    session.running = None
            turn_pass.close()
            session.touch()
            timer.finish(run.stop_reason or ("error" if any(i.kind == "error" for i in last) else "done"))

    def _count(self, outcome: str) -> None:
        if self.metrics is not None:
            self.metrics.turns.labels(outcome=outcome).inc()
            if outcome == "refused":  # a visitor over a rate limit or token budget
                self.metrics.budget_refusals.labels(scope="chat").inc()

    def run_command(self, session: Session, text: str) -> list[ChatItem]:
        ctx = CommandContext(session=session, services=self.services)
        with trace_turn(self.services.tracing, session.id, session.user, text, "command") as trace:
            items = dispatch(text, ctx)
            trace.set_output("\n".join(str(i.content) for i in items if isinstance(i.content, str))[:2000])
        return items

    def stop(self, session: Session) -> bool:
        return session.stop()
