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

from agents.models import ModelChoice, check_window_in_background
from agents.team import Team, build_team
from agents.toolsets import TraderKit
from backtest.lab import lab_for
from chat.commands import CommandContext, dispatch, is_command
from chat.conversation_log import ConversationLog, seed_memory
from chat.messages import ChatItem
from chat.rendering import trace_item
from chat.runner import TurnRun, trace_turn
from chat.session import Session, SessionStore
from chat.ticket_decisions import decide_ticket
from chat.visitors import Visitors
from core.errors import UserError
from runtime import Runtime
from telemetry.metrics import TurnTimer
from telemetry.scrub import scrub_log_records
from trading.desk import TradingDesk

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


def trader_kit(runtime: Runtime, session: Session) -> TraderKit:
    """What the session's trader works on: its workspace's desk, lab and alerts, and the shared market data."""
    return TraderKit(settings=runtime.settings, market=runtime.market,
                     desk=runtime.desks.for_workspace(session.workspace_id, session.user),
                     lab=lab_for(session, runtime.workspaces.store), alerts=runtime.alerts,
                     workspace_of=lambda: session.workspace_id, metrics=runtime.metrics)


class ChatService:
    """The chat of one app: its sessions (browser tabs by Gradio session hash; API clients by workspace, kept apart
    so no session hash a client picks reaches one), the saved conversations, the visitors' limits, and turns."""

    def __init__(self, runtime: Runtime, model_factory: Callable[[], Any] | None = None,
                 extra_tools: dict[str, list] | None = None, visitors: Visitors | None = None,
                 conversations: ConversationLog | None = None):
        self.runtime = runtime
        self.settings = runtime.settings
        self.conversations = conversations  # the saved conversations, or None (nothing saved)
        scrub_log_records(self.settings.secret_values())  # logs, chat and egress checks know every secret
        if model_factory is None:  # the runtime's (the owner's) model
            self.model_choice: ModelChoice = runtime.model.choice
            self.model_factory = runtime.model.factory
            check_window_in_background(self.settings, self.model_choice, log)
        else:
            self.model_choice = ModelChoice("custom", "custom")
            self.model_factory = model_factory
        self.extra_tools: dict[str, list] = extra_tools or {}  # Hub tools per member, never shadowing ours
        self.metrics = runtime.metrics
        self.visitors = visitors or Visitors(self.settings, runtime.quota)  # limits, bring-your-own inference
        idle_s = self.settings.session_idle_minutes * 60
        self.sessions = SessionStore(idle_seconds=idle_s)  # browser tabs, by Gradio session hash
        self.api_sessions = SessionStore(idle_seconds=idle_s)  # runs-API clients, by workspace id (api.clients)

    def start(self) -> None:
        """The idle-session sweepers."""
        every = min(60.0, self.settings.session_idle_minutes * 60 / 2)
        self.sessions.start_sweeper(every)
        self.api_sessions.start_sweeper(every)

    def close(self) -> None:
        self.sessions.stop_sweeper()
        self.api_sessions.stop_sweeper()

    def desk_of(self, session: Session) -> TradingDesk:
        """The desk of the session's workspace (per signed-in name)."""
        return self.runtime.desks.for_workspace(session.workspace_id, session.user)

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
        team = build_team(trader_kit(self.runtime, session),
                          self.visitors.model_for(session, self.model_factory), self.extra_tools)
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
                          user_id=session.user, tracing=self.runtime.tracing,
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
        ctx = CommandContext(session=session, runtime=self.runtime)
        with trace_turn(self.runtime.tracing, session.id, session.user, text, "command") as trace:
            items = dispatch(text, ctx)
            trace.set_output("\n".join(str(i.content) for i in items if isinstance(i.content, str))[:2000])
        return items

    def decide_ticket(self, session: Session, decision: str, ticket_id: str, user: str | None) -> list[ChatItem]:
        """The person's Confirm / Reject of one ticket (buttons, the ticket card, the API); the decision and its
        outcome stay in the open conversation."""
        items = decide_ticket(self.runtime, session, decision, ticket_id, user)
        if self.conversations is not None:
            self.conversations.append(session, items)
        return items

    def stop(self, session: Session) -> bool:
        return session.stop()
