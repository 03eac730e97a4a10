"""Saving a conversation as it streams, and giving a rebuilt team its earlier turns.

`ConversationLog.recorded()` wraps a turn's stream of snapshots: the person's message
is saved first, then after every snapshot only the items that changed are upserted
(one small transaction), so a reload mid-turn shows the steps so far and a `kill -9`
loses at most the step in flight.

`seed_memory()` gives a freshly built manager the conversation's earlier questions and
final answers (one TaskStep + one ActionStep each: compact, not the whole step log), so
a follow-up after a reload or a restart has its context.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from smolagents.memory import ActionStep, TaskStep
from smolagents.monitoring import Timing

from chat.messages import ChatItem
from chat.session import Session
from core.db import IntegrityError
from core.errors import UserError
from workspace.store import WorkspaceLimitError, WorkspaceStore

MAX_ANSWER_CHARS = 4000


class TurnRecorder:
    """Upserts the changed items of each snapshot of one turn at positions `start`, `start + 1`, ..."""

    def __init__(self, store: WorkspaceStore, workspace_id: str, conversation_id: str, start: int):
        self.store, self.workspace_id, self.conversation_id, self.start = store, workspace_id, conversation_id, start
        self._saved: list[tuple[ChatItem, str]] = []
        self._figures: dict[int, tuple[Any, str]] = {}

    def _figure_json(self, figure) -> str:
        cached = self._figures.get(id(figure))
        if cached is None or cached[0] is not figure:
            cached = self._figures[id(figure)] = (figure, figure.to_json())
        return cached[1]

    def save(self, items: list[ChatItem]) -> None:
        changed = []
        for index, item in enumerate(items):
            previous = self._saved[index] if index < len(self._saved) else None
            if previous is not None and previous[0] is item:
                continue
            record = item.to_record(self._figure_json)
            if index < len(self._saved):
                self._saved[index] = (item, record)
                if previous[1] == record:
                    continue
            else:
                self._saved.append((item, record))
            changed.append((self.start + index, record))
        if len(items) < len(self._saved):
            del self._saved[len(items):]
            self.store.truncate(self.workspace_id, self.conversation_id, self.start + len(items))
        self.store.save(self.workspace_id, self.conversation_id, changed)


class ConversationLog:
    def __init__(self, store: WorkspaceStore):
        self.store = store

    def items(self, workspace_id: str, conversation_id: str) -> list[ChatItem]:
        return [ChatItem.from_record(r) for r in self.store.records(workspace_id, conversation_id)]

    def append(self, session: Session, items: list[ChatItem]) -> None:
        """Add items outside a turn (a ticket decision from a button) to the open conversation, if any."""
        if session.conversation is None or not items:
            return
        start = self.store.count(session.workspace_id, session.conversation)
        try:
            self.store.save(session.workspace_id, session.conversation,
                            [(start + i, item.to_record()) for i, item in enumerate(items)])
        except WorkspaceLimitError:  # the decision itself stands (the ticket book keeps it); only this copy is lost
            pass

    def recorded(self, session: Session, text: str, stream: Iterator[list[ChatItem]]) -> Iterator[list[ChatItem]]:
        """`stream`, saved into the session's conversation (created from this first message if needed)."""
        workspace_id = session.workspace_id
        try:
            if session.conversation is None or self.store.conversation(workspace_id, session.conversation) is None:
                session.conversation = self.store.create_conversation(workspace_id, text).id
                session.team = None  # a new conversation starts with a team without memory
            else:
                self.store.check_bytes(workspace_id)
        except (UserError, IntegrityError) as exc:  # a cap, or the workspace was deleted in another tab
            message = getattr(exc, "user_message", None) or ("This workspace no longer exists (deleted in another "
                                                             "tab?). Reload the page to start a new one.")
            stream.close()
            yield [ChatItem(content=message, kind="error")]
            return
        conversation_id = session.conversation
        records = self.store.records(workspace_id, conversation_id)
        if session.team is None:
            session.earlier_turns = earlier_turns(records)
        start = len(records)
        try:
            self.store.save(workspace_id, conversation_id, [(start, ChatItem(content=text, role="user").to_record())])
        except WorkspaceLimitError as exc:
            stream.close()
            yield [ChatItem(content=exc.user_message, kind="error")]
            return
        recorder = TurnRecorder(self.store, workspace_id, conversation_id, start + 1)
        full: ChatItem | None = None  # once the workspace is full, the turn goes on unsaved, saying so
        for items in stream:
            if full is None:
                try:
                    recorder.save(items)
                except WorkspaceLimitError as exc:
                    full = ChatItem(content=exc.user_message, kind="error", id="workspace-full")
            yield items if full is None else [*items, full]


def earlier_turns(records: list[str]) -> list[tuple[str, str]]:
    """(question, final answer) of each finished turn, oldest first."""
    turns, question = [], None
    for record in records:
        data = json.loads(record)
        if data.get("role") == "user":
            question = str(data.get("content", ""))
        elif data.get("kind") == "final" and question is not None:
            turns.append((question, str(data.get("content", ""))[:MAX_ANSWER_CHARS]))
            question = None
    return turns


def seed_memory(memory: Any, turns: list[tuple[str, str]]) -> None:
    """Put earlier questions and answers in front of a fresh manager's memory."""
    steps = []
    for number, (question, answer) in enumerate(turns, start=1):
        steps.append(TaskStep(task=question))
        steps.append(ActionStep(step_number=number, timing=Timing(start_time=0.0, end_time=0.0),
                                observations=f"Final answer given to the person (earlier turn):\n{answer}",
                                action_output=answer, is_final_answer=True))
    memory.steps[:0] = steps
