"""One person's message in, a stream of chat items out.

`ChatService.respond()` is the single entry point used by the browser UI and the
API: it validates the message, answers slash commands directly (no model), and
otherwise runs a turn of the session's team.
"""

from __future__ import annotations

import re
from typing import Any, Callable, Iterator

from agents.conversation_log import EARLIER_TURNS_KEY, seed_memory
from agents.messages import ChatItem
from agents.models import ModelChoice, build_model, choose_model
from agents.runner import TurnRun, trace_turn
from agents.session import Session
from agents.team import Team, build_team
from commands import CommandContext, dispatch, is_command

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
                 extra_tools: dict[str, list] | None = None, conversations: Any = None):
        self.services = services
        self.conversations = conversations  # agents.conversation_log.ConversationLog, or None (nothing saved)
        self.settings = services.settings
        if model_factory is None:
            self.model_choice: ModelChoice = choose_model(self.settings)
            self.model_factory = (lambda: build_model(self.settings, self.model_choice)) \
                if self.model_choice.available else None
        else:
            self.model_choice = ModelChoice("custom", "custom")
            self.model_factory = model_factory
        self.extra_tools: dict[str, list] = extra_tools or {}  # Hub tools per member, never shadowing ours

    # -- the team -------------------------------------------------------------------------
    def team_for(self, session: Session, previous: TurnRun | None = None) -> Team:
        """The session's team; `previous` is the session's last turn (a fresh team if its thread is still busy)."""
        with session.lock:
            if session.team is not None and previous is not None and not previous.finished.is_set():
                # The stopped turn's thread is still inside a slow call: continue with a fresh team
                # that keeps the conversation so far, and let the old thread finish unseen.
                old = session.team
                session.team = self._build(session)
                session.team.manager.memory.steps = list(old.manager.memory.steps)
            if session.team is None:
                session.team = self._build(session)
            return session.team

    def _build(self, session: Session) -> Team:
        team = build_team(self.services, session, self.model_factory(), self.extra_tools)
        seed_memory(team.manager.memory, session.extras.pop(EARLIER_TURNS_KEY, []))  # a saved conversation's turns
        return team

    # -- a message ---------------------------------------------------------------------------
    def respond(self, session: Session, message: Any) -> Iterator[list[ChatItem]]:
        """The reply's snapshots; saved item by item into the session's conversation when there is a store."""
        text, problem = clean_message(message, self.settings.max_message_chars)
        if self.conversations is None or problem:
            yield from self._respond(session, message)
        else:
            yield from self.conversations.recorded(session, text, self._respond(session, message))

    def _respond(self, session: Session, message: Any) -> Iterator[list[ChatItem]]:
        session.touch()
        text, problem = clean_message(message, self.settings.max_message_chars)
        if problem:
            yield [ChatItem(content=problem, kind="error")]
            return
        if is_command(text):
            yield self.run_command(session, text)
            return
        if self.model_factory is None:
            yield [ChatItem(content=self.model_choice.problem, kind="notice")]
            return
        with session.lock:
            if session.running is not None:
                yield [ChatItem(content="The team is still working on your previous message. "
                                        "Press Stop first, or wait for the answer.", kind="notice")]
                return
            previous = session.extras.get("last_run")
            run = TurnRun(lambda: self.team_for(session, previous), text, session_id=session.id, user_id=session.user,
                          tracing=self.services.tracing, secrets=self.settings.secret_values(),
                          timeout_s=self.settings.turn_timeout_s)
            session.running = run
            session.extras["last_run"] = run
        try:
            run.start()
            last: list[ChatItem] = []
            for last in run.updates():
                yield last
            if run.trace_id and not run.stopped:
                link = f"[{run.trace_id}]({run.trace_url})" if run.trace_url else f"`{run.trace_id}`"
                yield [*last, ChatItem(content=f"trace {link}", kind="trace", id="trace",
                                       extra={"trace_id": run.trace_id, "trace_url": run.trace_url})]
        finally:
            if not run.finished.wait(timeout=0.2):
                run.stop("closed")  # the person left (or the API client disconnected) mid-turn
            with session.lock:
                if session.running is run:
                    session.running = None
            session.touch()

    def run_command(self, session: Session, text: str) -> list[ChatItem]:
        ctx = CommandContext(session=session, services=self.services)
        with trace_turn(self.services.tracing, session.id, session.user, text, "command") as trace:
            items = dispatch(text, ctx)
            trace.set_output("\n".join(str(i.content) for i in items if isinstance(i.content, str))[:2000])
        return items

    def stop(self, session: Session) -> bool:
        return session.stop()
