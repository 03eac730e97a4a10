"""Loading extra tools from the Hub by setting (HUB_TOOLS), only when HUB_TOOLS_TRUSTED is on.

Tool Spaces are put on the 127.0.0.1 Hub stand-in with the `tool.py` that
smolagents itself generates; the loader runs in a child process with
HF_ENDPOINT pointing at the stand-in.
"""

from __future__ import annotations

import json

import pytest

from core.settings import load_settings
from hub.remote_tools import HubToolSource, active_tools_markdown, load_remote_tools, parse_entry
from standins.hub import FAKE_TOKEN, HubServer, hub_env, run_python
from tests.test_hub_publish import MovingAverageTool

LOADER = (
    "import json\n"
    "from core.settings import load_settings\n"
    "from hub.remote_tools import load_remote_tools\n"
    "tools, report = load_remote_tools(load_settings(dotenv_path=None), reserved_names={'web_search'})\n"
    "calls = {t.name: t(prices='1,2,3', window=2) for ts in tools.values() for t in ts "
    "if t.name.startswith('moving')}\n"
    "print(json.dumps({'tools': {a: [t.name for t in ts] for a, ts in tools.items()}, 'report': report, "
    "'calls': calls}))\n"
)

pytestmark = pytest.mark.slow  # loads Hub tools in fresh Python processes


def tool_space(name: str = "moving_average") -> dict[str, bytes]:
    """A tool Space's files: smolagents' generated tool.py for MovingAverageTool, renamed to `name`."""
    code = MovingAverageTool().to_dict()["code"].replace('name = "moving_average"', f'name = "{name}"')
    assert f'name = "{name}"' in code
    return {"README.md": b"---\nsdk: gradio\ntags: [smolagents, tool]\n---\n", "tool.py": code.encode()}


def run_loader(endpoint: str, tmp_path, hub_tools: str, trusted: str = "true", token: str | None = FAKE_TOKEN) -> dict:
    env = hub_env(endpoint, str(tmp_path), token=token, HUB_TOOLS=hub_tools, HUB_TOOLS_TRUSTED=trusted)
    proc = run_python(["-c", LOADER], env)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("entry, expected", [
    ("alice/ma", HubToolSource("trader", "space", "alice/ma")),
    ("trader:alice/ma", HubToolSource("trader", "space", "alice/ma")),
    (" WEB:alice/news-tool ", HubToolSource("web", "space", "alice/news-tool")),
    ("collection:alice/tools-65f0c0ffee", HubToolSource("trader", "collection", "alice/tools-65f0c0ffee")),
    ("web:collection:alice/tools-65f0c0ffee", HubToolSource("web", "collection", "alice/tools-65f0c0ffee")),
])
def test_entry_syntax(entry, expected):
    assert parse_entry(entry) == expected


@pytest.mark.parametrize("entry", ["alice", "manager:alice/ma", "trader:", "alice/ma/extra", "web:collection:",
                                   "https://huggingface.co/spaces/alice/ma"])
def test_malformed_entries_are_explained(entry):
    with pytest.raises(ValueError, match="not a valid HUB_TOOLS entry"):
        parse_entry(entry)


def test_nothing_configured_means_nothing_loaded_and_nothing_said():
    assert load_remote_tools(load_settings({})) == ({"trader": [], "web": []}, [])


def test_untrusted_setting_loads_nothing_and_says_why():
    with HubServer() as hub:
        settings = load_settings({"HUB_TOOLS": "trader:alice/ma, web:alice/other"})
        tools, report = load_remote_tools(settings)
        assert hub.state.received == []  # nothing was even downloaded
    assert tools == {"trader": [], "web": []}
    assert len(report) == 1 and "HUB_TOOLS_TRUSTED is off" in report[0] and "2 source(s)" in report[0]


def test_trusted_tools_load_per_agent_and_failures_are_reported(tmp_path):
    with HubServer() as hub:
        hub.state.add_repo("space", "alice/ma", tool_space(), sdk="gradio")
        hub.state.add_repo("space", "alice/ma-two", tool_space("moving_average_two"), sdk="gradio")
        hub.state.add_repo("space", "alice/broken", {"tool.py": b"def oops(:\n"}, sdk="gradio")
        hub.state.add_repo("space", "alice/clash", tool_space("web_search"), sdk="gradio")
        hub.state.add_repo("space", "alice/no-tool", {"README.md": b"---\nsdk: gradio\n---\n"}, sdk="gradio")
        slug = hub.state.add_collection("alice", "My tools",
                                        [("alice/ma-two", "space"), ("alice/some-model", "model")])
        entries = ",".join(["trader:alice/ma", f"web:collection:{slug}", "trader:alice/broken", "trader:alice/clash",
                            "alice/no-tool", "alice/missing", "not an entry", "trader:alice/ma"])
        out = run_loader(hub.url, tmp_path, entries)

    assert out["tools"] == {"trader": ["moving_average"], "web": ["moving_average_two"]}
    assert out["calls"] == {"moving_average": "[1.5, 2.5]", "moving_average_two": "[1.5, 2.5]"}
    report = out["report"]
    assert report[0] == "✓ trader: `moving_average` from alice/ma"
    assert report[1] == "✓ web: `moving_average_two` from alice/ma-two"
    assert report[2].startswith("✗ trader: alice/broken did not load: SyntaxError")
    assert report[3] == "✗ trader: alice/clash skipped: a tool named `web_search` is already active."
    assert report[4].startswith("✗ trader: alice/no-tool did not load:") and "404" in report[4]
    assert report[5].startswith("✗ trader: alice/missing did not load: the repository was not found")
    assert report[6].startswith("✗ 'not an entry' is not a valid HUB_TOOLS entry")
    assert report[7] == "✗ trader: alice/ma skipped: a tool named `moving_average` is already active."
    assert len(report) == 8
    assert all(FAKE_TOKEN not in line for line in report)


def test_hub_down_is_reported_and_does_not_stop_the_app(tmp_path):
    endpoint = HubServer.down()
    out = run_loader(endpoint, tmp_path, "trader:alice/ma,web:collection:alice/tools-65f0c0ffee,web:alice/x")
    assert out["tools"] == {"trader": [], "web": []}
    reason = f"the Hugging Face Hub at {endpoint} cannot be reached (network down?). Retry when online."
    assert out["report"] == [
        f"✗ trader: alice/ma did not load: {reason}",
        f"✗ web:collection:alice/tools-65f0c0ffee: skipped, {reason}",
        f"✗ web:alice/x: skipped, {reason}",
    ]


def test_rejected_token_is_reported_without_the_token(tmp_path):
    with HubServer(mode="401") as hub:
        hub.state.add_repo("space", "alice/ma", tool_space(), sdk="gradio")
        out = run_loader(hub.url, tmp_path, "alice/ma")
    assert out["tools"]["trader"] == []
    [line] = out["report"]
    assert "401" in line and FAKE_TOKEN not in line


def test_markdown_lists_active_tools_and_problems():
    tools = {"trader": [MovingAverageTool()], "web": []}
    text = active_tools_markdown(tools, ["✓ trader: `moving_average` from alice/ma", "✗ alice/x did not load: 404"])
    assert "- **trader**: `moving_average`" in text and "web" not in text.split("\n\n")[1]
    assert "- ✗ alice/x did not load: 404" in text
    assert "None active." in active_tools_markdown({"trader": [], "web": []}, [])


def test_the_app_reserves_every_name_its_team_uses(tmp_path):
    """app.py passes `local_tool_names()` as `reserved_names`: it covers every tool the real team has."""
    from agents.team import build_team
    from agents.toolsets import local_tool_names
    from chat.service import trader_kit
    from chat.session import Session
    from standins.scripted_model import ScriptedModel
    from tests.harness import local_stack

    with local_stack(tmp_path) as stack:
        team = build_team(trader_kit(stack.runtime, Session(id="names")), ScriptedModel([]))
        used = {name for agent in team.members.values() for name in agent.tools}
        team.close()
    assert used <= local_tool_names() and "final_answer" in used
