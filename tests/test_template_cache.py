"""The prompt-template compile cache renders exactly what smolagents renders."""

from __future__ import annotations

import pytest
import smolagents.agents

from agents import template_cache
from chat.session import Session
from standins.scripted_model import ScriptedModel
from tests.harness import local_stack

pytestmark = pytest.mark.slow  # its tests take seconds in total (servers, subprocesses, workers): out of the fast loop


def test_cached_rendering_is_identical_to_smolagents(tmp_path, monkeypatch):
    with local_stack(tmp_path) as stack:  # build_runtime() installs the cache
        assert smolagents.agents.populate_template is template_cache.populate_template
        chat = stack.chat(lambda: {"manager": ScriptedModel(), "web_agent": ScriptedModel(),
                                   "trader": ScriptedModel()})
        team = chat.team_for(Session(id="a"))
        agents = [("manager", team.manager), *team.members.items()]
        cached_prompts = {name: agent.initialize_system_prompt() for name, agent in agents}
        # smolagents' own implementation, on the very same agents
        monkeypatch.setattr(smolagents.agents, "populate_template", _smolagents_original())
        for name, agent in agents:
            assert agent.initialize_system_prompt() == cached_prompts[name]
    assert "web_agent" in cached_prompts["manager"] and "stock_quote" in cached_prompts["trader"]


def test_errors_read_like_smolagents():
    import pytest

    with pytest.raises(Exception, match="Error during jinja template rendering: UndefinedError"):
        template_cache.populate_template("{{ missing }}", {})


def _smolagents_original():
    from jinja2 import StrictUndefined, Template

    def populate_template(template, variables):  # smolagents 1.26.0's body, verbatim
        compiled_template = Template(template, undefined=StrictUndefined)
        try:
            return compiled_template.render(**variables)
        except Exception as e:
            raise Exception(f"Error during jinja template rendering: {type(e).__name__}: {e}")  # noqa: B904

    return populate_template


def test_a_second_team_reuses_the_rendered_prompts_and_a_changed_tool_is_rendered_anew(tmp_path):
    with local_stack(tmp_path) as stack:
        chat = stack.chat(lambda: {"manager": ScriptedModel(), "web_agent": ScriptedModel(),
                                   "trader": ScriptedModel()})
        first, second = chat.team_for(Session(id="a")), chat.team_for(Session(id="b"))
        assert first.members["trader"] is not second.members["trader"]
        assert first.members["trader"].system_prompt == second.members["trader"].system_prompt
        trader = second.members["trader"]
        tool = trader.tools["stock_quote"]
        tool.description = "A changed description for this one instance."
        assert "A changed description for this one instance." in trader.initialize_system_prompt()
        assert "A changed description" not in first.members["trader"].initialize_system_prompt()


def test_tool_validation_still_refuses_a_bad_tool_after_a_good_one():
    import pytest
    from smolagents import Tool

    template_cache.install()
    assert hasattr(Tool.validate_arguments, "smol_original")

    class Good(Tool):
        name = "good"
        description = "fine"
        inputs = {"x": {"type": "string", "description": "x"}}
        output_type = "string"

        def forward(self, x: str) -> str:
            return x

    Good(), Good()  # validated once, then remembered
    bad = Good.__new__(Good)
    bad.name, bad.description, bad.inputs, bad.output_type = "not valid!", "fine", Good.inputs, "string"
    with pytest.raises(Exception, match="Invalid Tool name"):
        bad.validate_arguments()
