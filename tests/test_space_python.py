"""The Space builds: its Python admits every pinned requirement, and its Gradio is the pinned one.

Offline: the installed distributions are exactly the pins (CI installs requirements-test.txt, which includes
requirements.txt), so their `Requires-Python` metadata is what the Space's pip will see.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from huggingface_hub.repocard import metadata_load

from hub.client import HubCommandError
from hub.publish import pinned_requirements, shareable_tools, tool_card
from hub.space_python import SPACE_PYTHON, check_requirements, ensure_space_python, pins

pytestmark = pytest.mark.slow  # its tests take seconds in total (servers, subprocesses, workers): out of the fast loop

ROOT = Path(__file__).resolve().parent.parent
REQUIREMENTS = (ROOT / "requirements.txt").read_text()


def front_matter() -> dict:
    return metadata_load(ROOT / "README.md") or {}


def test_the_readme_names_the_python_the_space_builds_with():
    assert str(front_matter().get("python_version")) == SPACE_PYTHON


@pytest.mark.parametrize("name, version", pins(REQUIREMENTS))
def test_every_pin_admits_the_space_python(name, version):
    [check] = check_requirements(f"{name}=={version}\n", str(front_matter()["python_version"]))
    assert check.ok, check.describe() + (f": {check.note}" if check.note else "")


def test_the_sdk_version_is_the_pinned_gradio():
    assert str(front_matter()["sdk_version"]) == dict(pins(REQUIREMENTS))["gradio"]


def test_spaces_default_python_would_fail_and_the_message_names_the_packages():
    with pytest.raises(HubCommandError) as caught:
        ensure_space_python(REQUIREMENTS, None)  # no python_version: Spaces builds with 3.10
    message = caught.value.args[0]
    assert "Python 3.10" in message and "pandas==3.1.1 (Requires-Python >=3.11)" in message
    assert "gradio==" not in message  # gradio admits 3.10: only failing pins are named


def test_pins_are_read_with_extras_and_comments():
    text = "# c\n-r other.txt\nsmolagents[litellm,openai]==1.26.0  # x\nplotly==7.1.0\nloose>=1\n"
    assert pins(text) == [("smolagents", "1.26.0"), ("plotly", "7.1.0")]


def test_a_pin_that_is_not_installed_cannot_be_vouched_for():
    [check] = check_requirements("surely-not-installed-dist==1.0\n", SPACE_PYTHON)
    assert not check.ok and "not installed" in check.note


@pytest.mark.parametrize("tool", shareable_tools(), ids=lambda t: t.name)
def test_every_published_tool_space_builds(tool):
    requirements = pinned_requirements(tool)
    assert ensure_space_python(requirements, SPACE_PYTHON).startswith(f"Python {SPACE_PYTHON}: all")
    card = tool_card(tool, f"alice/{tool.name}", "---\ntitle: x\n---\n")
    assert str(card.data.python_version) == SPACE_PYTHON
    assert str(card.data.sdk_version) == dict(pins(REQUIREMENTS))["gradio"]


def test_an_unpinned_requirement_is_refused_by_name():
    with pytest.raises(HubCommandError, match="somepackage: not pinned with =="):
        ensure_space_python("pandas==3.1.1\nsomepackage\n", SPACE_PYTHON)
    assert "all 1 pins" in ensure_space_python("pandas==3.1.1\n-r other.txt\n# a comment\n", SPACE_PYTHON)


def test_publish_dry_run_reports_each_tool_space_and_uploads_nothing(capsys, monkeypatch):
    from hub import publish

    monkeypatch.setenv("HF_ENDPOINT", "http://127.0.0.1:9")  # nothing listens there: any upload attempt would fail
    assert publish.main(["--namespace", "alice", "--only", "stock_quote", "technical_indicators", "--dry-run"]) == 0
    tools = {tool.name: tool for tool in shareable_tools()}
    expected = [f"alice/smol-trader-{name.replace('_', '-')}: Python {SPACE_PYTHON}: all "
                f"{len(pins(pinned_requirements(tools[name])))} pins in the {name} Space's requirements.txt admit it."
                for name in ("stock_quote", "technical_indicators")]
    assert capsys.readouterr().out.strip().splitlines() == expected


def test_publish_refuses_before_uploading_when_the_space_python_is_too_old(capsys, monkeypatch):
    from hub import publish

    monkeypatch.setattr(publish, "SPACE_PYTHON", "3.10")
    assert publish.main(["--namespace", "alice", "--only", "stock_quote", "--dry-run"]) == 1
    err = capsys.readouterr().err
    assert "would build with Python 3.10" in err and "Requires-Python >=3.11" in err and "pandas==" in err
