"""Conversations through the real chat service: saved as they stream, the team rebuilt with earlier answers,
caps as clear messages."""

from __future__ import annotations

import pytest

from chat.conversation_log import ConversationLog
from chat.session import Session
from standins.scripted_model import ScriptedModel, code, final
from tests.harness import local_stack, run_turn
from workspace.db import Database
from workspace.store import WorkspaceStore

pytestmark = pytest.mark.slow  # its tests take seconds in total (servers, subprocesses, workers): out of the fast loop


def team_factory(models: list):
    def make():
        manager = ScriptedModel([code("print('looked it up')"), final("AAPL closed at 190.")],
                                default=final("second answer"))
        models.append(manager)
        return {"manager": manager, "web_agent": ScriptedModel(), "trader": ScriptedModel()}
    return make


def test_turns_are_saved_per_snapshot_and_a_rebuilt_team_sees_earlier_answers(tmp_path):
    store = WorkspaceStore(Database(tmp_path / "ws.sqlite3"), max_conversations=1)
    log = ConversationLog(store)
    models: list = []
    with local_stack(tmp_path) as stack:
        chat = stack.chat(team_factory(models))
        chat.conversations = log
        workspace_id, _ = store.new_anonymous()
        session = Session(id="tab-1", workspace=workspace_id)
        saved_counts = []
        for snapshot in chat.respond(session, "What did AAPL close at?"):
            saved_counts.append(store.count(workspace_id, session.conversation))
            assert store.count(workspace_id, session.conversation) == 1 + len(snapshot)  # saved before it is shown
        assert len(set(saved_counts)) > 1  # it grew step by step
        items = log.items(workspace_id, session.conversation)
        finals = [item.content for item in items if item.kind == "final"]
        assert items[0].role == "user" and finals == ["AAPL closed at 190."]
        assert items[-1].kind == "figures"  # the provenance badge follows the answer and is saved too

        # a reload / restart: a new session on the same workspace and conversation, a new team
        again = Session(id="tab-2", workspace=workspace_id, conversation=session.conversation)
        run_turn(chat, again, "And the follow-up?")
        rebuilt = models[-1]
        rebuilt.calls = rebuilt.calls[:1]  # what the rebuilt manager was sent at its first step
        seen = rebuilt.seen_text()
        assert "What did AAPL close at?" in seen and "AAPL closed at 190." in seen
        assert "looked it up" not in seen  # compact: questions and answers, not the step log

        # the conversation cap: a clear message, nothing lost
        fresh = Session(id="tab-3", workspace=workspace_id)
        [[error]] = run_turn(chat, fresh, "/help")
        assert error.kind == "error" and "limit is 1" in error.content
        assert len(store.conversations(workspace_id)) == 1


def test_a_second_tab_continues_the_same_conversation(tmp_path):
    store = WorkspaceStore(Database(tmp_path / "ws.sqlite3"))
    log = ConversationLog(store)
    with local_stack(tmp_path) as stack:
        chat = stack.chat(team_factory([]))
        chat.conversations = log
        workspace_id, _ = store.new_anonymous()
        first = Session(id="tab-1", workspace=workspace_id)
        run_turn(chat, first, "/help")
        second = Session(id="tab-2", workspace=workspace_id, conversation=first.conversation)
        run_turn(chat, second, "/positions")
        run_turn(chat, first, "/orders")
        users = [i.content for i in log.items(workspace_id, first.conversation) if i.role == "user"]
        assert users == ["/help", "/positions", "/orders"]
