"""Amplification has bounds (issue 22, item 11), each reproduced as the attack that found it:

- a 2 MB final answer became a 7.3 MB figures item and a 55 s turn: the answer is cut at FINAL_ANSWER_MAX_CHARS
  with a note, and provenance checks at most PROVENANCE_MAX_FIGURES figures of it, saying how many it left;
- 300 `propose_order` calls in one step made 300 tickets: at most TICKETS_MAX_PENDING wait per workspace, the
  next proposal is a clear `UserError` (also when proposals race);
- the workspace size cap was checked only when a turn started: it holds as the turn is saved, with a clear
  message, and nothing saved before is lost.
"""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta

import pytest

from chat.conversation_log import ConversationLog
from chat.session import Session
from core.errors import UserError
from core.settings import load_settings
from provenance.figures import extract_figures
from tests.harness import local_stack, run_turn
from tests.scripted_model import ScriptedModel, code, final
from trading.desk import build_desk
from workspace.db import Database
from workspace.store import WorkspaceLimitError, WorkspaceStore

pytestmark = pytest.mark.slow  # its tests take seconds in total (servers, subprocesses, workers): out of the fast loop

NOW = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)


def test_a_2_mb_final_answer_is_cut_and_its_figures_checked_up_to_the_limit(tmp_path):
    huge = 'final_answer("AAPL rose 1.5% today. " * 100_000)'  # 2.2 MB, ~100,000 figures
    with local_stack(tmp_path, FINAL_ANSWER_MAX_CHARS=20_000, PROVENANCE_MAX_FIGURES=200) as stack:
        chat = stack.chat(lambda: {"manager": ScriptedModel([code(huge)]), "web_agent": ScriptedModel(),
                                   "trader": ScriptedModel()})
        last = run_turn(chat, Session(id="s-huge"), "Tell me everything.")[-1]
    answer = next(item for item in last if item.kind == "final")
    assert len(answer.content) <= 20_000 + 5 and answer.content.startswith("AAPL rose 1.5% today.")
    [note] = [item for item in last if item.id == "answer-cut"]
    assert "The answer was cut here: 2,180,000 more characters were over the limit of 20,000" in note.content
    badge = next(item for item in last if item.kind == "figures")
    summary = answer.extra["figures_summary"]
    stated = len(extract_figures(answer.content))  # ~909 in the 20,000 characters kept
    assert stated > 800 and summary["total"] == 200 and summary["unchecked"] == stated - 200
    assert f"{stated - 200:,} more not checked (the first 200 of an answer are)" in badge.title
    assert len(answer.extra["figures"]) == 200
    assert len(badge.content) < 60_000 and len(json.dumps(answer.to_json())) < 200_000  # not 7.3 MB


def test_300_proposals_in_one_step_file_only_the_pending_limit(tmp_path):
    loop = ("made, refused = 0, ''\n"
            "for i in range(300):\n"
            "    try:\n"
            "        propose_order(symbol='AAPL', side='buy', qty=1, order_type='limit', limit_price=1000)\n"
            "        made += 1\n"
            "    except Exception as exc:\n"
            "        refused = str(exc)\n"
            "print(made, refused)")
    with local_stack(tmp_path, TICKETS_MAX_PENDING=10) as stack:
        chat = stack.chat(lambda: {
            "manager": ScriptedModel([code('print(trader(task="file 300 tickets"))'), final("Done.")]),
            "web_agent": ScriptedModel(), "trader": ScriptedModel([code(loop), final("filed")])})
        session = Session(id="s-flood")
        last = run_turn(chat, session, "Buy AAPL 300 times.")[-1]
        pending = stack.runtime.desks.for_workspace(session.workspace_id, session.user).pending_tickets()
    assert len(pending) == 10
    assert sum(1 for item in last if item.kind == "ticket") == 10
    steps = " ".join(str(item.content) for item in last if item.kind == "member_step")
    assert "10 order tickets are already awaiting your decision, the most one workspace may hold is 10" in steps


def flood_desk(tmp_path, clock, **env):
    settings = load_settings({"PAPER_LEDGER_PATH": str(tmp_path / "ledger.sqlite3"), "TICKET_TTL_S": "60", **env},
                             dotenv_path=None)
    return build_desk(settings, session_id="tab", user=None, now=clock,
                      price_of=lambda s: 100.0, workspace_id="ws_a")


def test_racing_proposals_cannot_pass_the_limit_together_and_decided_or_expired_tickets_free_room(tmp_path):
    now = [NOW]
    desk = flood_desk(tmp_path, lambda: now[0], TICKETS_MAX_PENDING="3")
    errors: list[str] = []

    def propose():
        try:
            desk.propose("AAPL", "buy", qty=1, order_type="limit", limit_price=1000)
        except UserError as exc:
            errors.append(exc.user_message)

    threads = [threading.Thread(target=propose) for _ in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(desk.pending_tickets()) == 3 and len(errors) == 9
    assert all("no new ticket was filed" in e for e in errors)
    first = desk.pending_tickets()[0]
    desk.reject(first.id, None)  # a decision frees room for one more
    desk.propose("AAPL", "buy", qty=1, order_type="limit", limit_price=1000)
    with pytest.raises(UserError):
        desk.propose("AAPL", "buy", qty=1, order_type="limit", limit_price=1000)
    now[0] = NOW + timedelta(seconds=61)  # expired tickets wait for nobody
    desk.propose("AAPL", "buy", qty=1, order_type="limit", limit_price=1000)
    assert len(desk.pending_tickets()) == 1


def test_the_size_cap_holds_while_a_turn_is_saved_and_keeps_what_was_saved(tmp_path):
    store = WorkspaceStore(Database(tmp_path / "ws.sqlite3"), max_bytes=15_000)
    log = ConversationLog(store)
    answer = "AAPL " + "is a company. " * 1_300  # ~18 kB: over the cap on its own
    with local_stack(tmp_path) as stack:
        chat = stack.chat(lambda: {"manager": ScriptedModel([code("print('looked it up')"), final(answer)]),
                                   "web_agent": ScriptedModel(), "trader": ScriptedModel()})
        chat.conversations = log
        workspace_id, _ = store.new_anonymous()
        session = Session(id="tab", workspace=workspace_id)
        first = run_turn(chat, Session(id="tab-0", workspace=workspace_id), "/help")[-1]  # a turn saved before
        kept = store.records(workspace_id, store.conversations(workspace_id)[0].id)
        snapshots = run_turn(chat, session, "Tell me about AAPL")
    last = snapshots[-1]
    full = [item for item in last if item.id == "workspace-full"]
    assert full and "Your workspace is full" in full[0].content and "not saved" in full[0].content
    assert any(item.kind == "final" for item in last)  # the person still sees the answer
    assert store.stored_bytes(workspace_id) <= 15_000  # nothing was written past the cap
    conversations = store.conversations(workspace_id)
    older = next(c for c in conversations if c.id != session.conversation)
    assert store.records(workspace_id, older.id) == kept and first  # the earlier turn is intact
    saved = log.items(workspace_id, session.conversation)
    assert saved[0].content == "Tell me about AAPL"  # the turn's start stays saved
    assert all(item.kind != "final" for item in saved)


def test_store_refuses_a_write_past_the_cap_and_leaves_the_row_as_it_was(tmp_path):
    store = WorkspaceStore(Database(tmp_path / "ws.sqlite3"), max_bytes=1_000)
    workspace_id, _ = store.new_anonymous()
    conversation = store.create_conversation(workspace_id, "hi").id
    store.save(workspace_id, conversation, [(0, "x" * 600)])
    with pytest.raises(WorkspaceLimitError, match="the limit is 0.001 MB"):
        store.save(workspace_id, conversation, [(0, "y" * 1_200)])
    assert store.records(workspace_id, conversation) == ["x" * 600]
    store.save(workspace_id, conversation, [(0, "z" * 100)])  # shrinking is always allowed
    assert store.stored_bytes(workspace_id) == 100
