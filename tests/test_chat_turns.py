"""Whole conversations through the real team, driven by scripted models, against local servers."""

from __future__ import annotations

import threading

import pytest

from chat.messages import STATUS_DONE, STATUS_PENDING
from chat.session import Session
from standins.scripted_model import ScriptedModel, Slow, call, code, final
from tests.harness import by_id, final_text, local_stack, run_turn

pytestmark = pytest.mark.slow  # its tests take seconds in total (servers, subprocesses, workers): out of the fast loop

NEWS_PAGE = "<html><body><h1>Nvidia shares</h1><p>Nvidia rose 5% this month on data-center demand.</p></body></html>"


def team(manager, web=(), trader=()):
    """A model factory: each new team gets fresh scripted models."""
    return lambda: {"manager": ScriptedModel(list(manager)), "web_agent": ScriptedModel(list(web)),
                    "trader": ScriptedModel(list(trader))}


def test_turn_streams_manager_and_member_steps_nested_in_order(stack):
    page = stack.web.add_page("/nvda-news", NEWS_PAGE)
    chat = stack.chat(team(
        manager=[code('news = web_agent(task="NVDA news this month")\nprint(news)', "Ask the web agent."),
                 code('q = trader(task="Quote for NVDA")\nprint(q)', "Ask the trader."),
                 final("NVDA rose 5% this month.")],
        web=[call("web_search", query="NVDA news this month"), call("read_page", url=page),
             call("final_answer", answer="Nvidia rose 5% this month (source: nvda-news).")],
        trader=[code('print(stock_quote(symbol="AAPL"))', "Fetch the quote."), final("AAPL quote fetched.")],
    ))
    snapshots = run_turn(chat, Session(id="s-nested"), "How did NVDA do this month, and what does the news say?")
    last = snapshots[-1]
    items = by_id(last)

    # Order and nesting: manager steps are top level; delegations under the step that made them;
    # member steps under their delegation; the final answer last, then its figures badge.
    order = [item.id for item in last]
    assert order[0] == "mgr-1" and order[-2:] == ["final", "figures"]
    assert items["final"].extra["figures"][0]["source"]["step"] == "web_agent · step 2"  # the page it read
    web = next(i for i in last if i.kind == "delegation" and "web_agent" in i.title)
    trader = next(i for i in last if i.kind == "delegation" and "trader" in i.title)
    assert web.parent_id == "mgr-1" and trader.parent_id == "mgr-2"
    web_steps = [i for i in last if i.parent_id == web.id]
    trader_steps = [i for i in last if i.parent_id == trader.id]
    assert [s.title for s in web_steps] == ["web_agent · step 1", "web_agent · step 2", "web_agent · step 3"]
    assert "web_search" in web_steps[0].content and "GitHub" in web_steps[0].content  # the real DDG page, parsed
    assert "read_page" in web_steps[1].content and "data-center demand" in web_steps[1].content
    assert "stock_quote" in trader_steps[0].content and "AAPL" in trader_steps[0].content
    assert order.index(web.id) < order.index(web_steps[0].id) < order.index("mgr-2") < order.index(trader.id)

    # Statuses: everything done at the end, with durations and token counts; pending while running.
    assert all(i.status == STATUS_DONE for i in last if i.kind != "final")
    assert items["mgr-1"].duration is not None and "tokens" in items["mgr-1"].log
    assert any(i.id == "mgr-1" and i.status == STATUS_PENDING for snap in snapshots for i in snap)
    assert any(i.kind == "member_step" and i.status == STATUS_PENDING for snap in snapshots for i in snap)
    assert final_text(last) == "NVDA rose 5% this month."

    # The web report reached the manager labelled as untrusted content.
    assert "<untrusted_web_content" in items["mgr-1"].content


def test_follow_up_sees_the_conversation_so_far(stack):
    models = {}

    def factory():
        models["manager"] = ScriptedModel([final("AAPL closed at 245."), final("MSFT closed at 410.")])
        return {"manager": models["manager"], "web_agent": ScriptedModel(), "trader": ScriptedModel()}

    chat = stack.chat(factory)
    session = Session(id="s-follow")
    assert final_text(run_turn(chat, session, "How is AAPL?")[-1]) == "AAPL closed at 245."
    assert final_text(run_turn(chat, session, "and MSFT?")[-1]) == "MSFT closed at 410."
    second_call = models["manager"].calls[-1]
    seen = "\n".join(str(m.content) for m in second_call)
    assert "How is AAPL?" in seen and "AAPL closed at 245." in seen and "and MSFT?" in seen


def test_two_concurrent_sessions_never_see_each_other(stack):
    made = []

    def factory():
        model = ScriptedModel([Slow(0.2, final("noted")), final("done")])
        made.append(model)
        return {"manager": model, "web_agent": ScriptedModel(), "trader": ScriptedModel()}

    chat = stack.chat(factory)
    alice, bob = Session(id="alice"), Session(id="bob")
    results = {}

    def talk(session, secret):
        run_turn(chat, session, f"My code word is {secret}.")
        results[session.id] = run_turn(chat, session, "What is my code word?")[-1]

    threads = [threading.Thread(target=talk, args=(alice, "PELICAN")),
               threading.Thread(target=talk, args=(bob, "WALRUS"))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert set(results) == {"alice", "bob"}
    assert alice.team is not bob.team and alice.team.manager.memory is not bob.team.manager.memory
    alice_seen = alice.team.manager.model.seen_text()
    bob_seen = bob.team.manager.model.seen_text()
    assert "PELICAN" in alice_seen and "WALRUS" not in alice_seen
    assert "WALRUS" in bob_seen and "PELICAN" not in bob_seen


def test_stop_interrupts_a_long_run_and_the_next_message_works(stack):
    looping = [code(f'print("working {i}")') for i in range(50)]
    chat = stack.chat(lambda: {"manager": ScriptedModel([Slow(0.05, step) for step in looping]),
                               "web_agent": ScriptedModel(), "trader": ScriptedModel()})
    session = Session(id="s-stop")
    snapshots = []
    for snapshot in chat.respond(session, "Do something long"):
        snapshots.append(snapshot)
        if sum(1 for i in snapshot if i.kind == "step" and i.status == STATUS_DONE) >= 2:
            assert chat.stop(session) is True
    last = snapshots[-1]
    assert last[-1].id == "stopped" and "Stopped" in last[-1].content
    assert not any(i.status == STATUS_PENDING for i in last)
    assert session.running is None
    done_steps = sum(1 for i in last if i.kind == "step")
    assert done_steps < 50
    assert session.last_run.finished.wait(5)

    # The next message works, on the same conversation.
    session.team.manager.model.script = [final("Back again.")]
    session.team.manager.model._index = 0
    assert final_text(run_turn(chat, session, "Hello again")[-1]) == "Back again."


def test_stop_during_a_slow_model_call_returns_at_once_and_keeps_memory(stack):
    first = ScriptedModel([final("first answer"), Slow(3, final("too late"))])
    second = ScriptedModel([final("fresh team answer")])
    factories = iter([first, second])
    chat = stack.chat(lambda: {"manager": next(factories), "web_agent": ScriptedModel(), "trader": ScriptedModel()})
    session = Session(id="s-slow")
    run_turn(chat, session, "first question")
    stream = chat.respond(session, "slow question")
    next(stream)  # the turn is running, stuck in the model call
    chat.stop(session)
    rest = list(stream)
    assert rest[-1][-1].id == "stopped"
    # The old thread is still sleeping in the model; the next turn gets a new team with the same memory.
    last = run_turn(chat, session, "third question")[-1]
    assert final_text(last) == "fresh team answer"
    assert "first question" in second.seen_text() and "first answer" in second.seen_text()


def test_broken_code_is_shown_as_an_error_and_the_agent_recovers(stack):
    chat = stack.chat(team(manager=[code("x = (1 +"), code("print(undefined_name)"), final("Recovered.")]))
    last = run_turn(chat, Session(id="s-broken"), "Try something")[-1]
    errors = [i for i in last if i.kind == "step_error"]
    assert len(errors) == 2
    assert "SyntaxError" in errors[0].content or "syntax" in errors[0].content.lower()
    assert "undefined_name" in errors[1].content
    assert final_text(last) == "Recovered."


def test_model_service_failure_is_a_clear_message_and_the_chat_continues(stack):
    model = ScriptedModel([RuntimeError("503 Service Unavailable from provider"), final("Working again.")])
    chat = stack.chat(lambda: {"manager": model, "web_agent": ScriptedModel(), "trader": ScriptedModel()})
    session = Session(id="s-fail")
    last = run_turn(chat, session, "Hello")[-1]
    assert last[-1].kind == "error"
    assert "language model service failed" in last[-1].content and "503" in last[-1].content
    assert not any(i.status == STATUS_PENDING for i in last)
    assert final_text(run_turn(chat, session, "Hello again")[-1]) == "Working again."


def test_a_turn_that_takes_too_long_is_stopped_with_a_message(tmp_path):
    with local_stack(tmp_path, TURN_TIMEOUT_S=1) as stack:
        chat = stack.chat(lambda: {"manager": ScriptedModel([Slow(4, final("late"))]),
                                   "web_agent": ScriptedModel(), "trader": ScriptedModel()})
        last = run_turn(chat, Session(id="s-timeout"), "Hello")[-1]
    assert last[-1].id == "stopped" and "longer than 1 s" in last[-1].content


def test_max_steps_gives_the_best_answer_with_a_notice(tmp_path):
    with local_stack(tmp_path, MANAGER_MAX_STEPS=2) as stack:
        chat = stack.chat(team(manager=[code('print("a")'), code('print("b")'), "Best effort: AAPL looks flat."]))
        last = run_turn(chat, Session(id="s-max"), "Loop forever")[-1]
    assert any(i.kind == "notice" and "step limit" in i.content for i in last)
    assert final_text(last) == "Best effort: AAPL looks flat."


def test_model_code_cannot_reach_tool_or_member_internals(stack):
    chat = stack.chat(team(
        manager=[code("print(web_agent.model)"), code("print(trader.tools)"), final("ok")],
    ))
    last = run_turn(chat, Session(id="s-sealed"), "poke around")[-1]
    errors = [i.content for i in last if i.kind == "step_error"]
    assert len(errors) == 2
    assert all("has no attribute" in e or "Forbidden" in e or "AttributeError" in e for e in errors), errors
