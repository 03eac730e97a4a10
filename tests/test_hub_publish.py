"""Publishing our tools to the Hub, against the 127.0.0.1 Hub stand-in.

Every Hub operation runs in a child process with HF_ENDPOINT pointing at the
stand-in (huggingface_hub reads it at import). The stand-in records what it
received, so the tests check the real wire traffic and the files stored.
"""

from __future__ import annotations

import json
import re

import pytest
import yaml
from smolagents import Tool

from hub.alpaca_order import AlpacaOrderTool
from standins.hub import FAKE_TOKEN, HubServer, hub_env, run_python


class MovingAverageTool(Tool):
    """A small self-contained tool used to check publish -> load back gives the same outputs."""

    name = "moving_average"
    description = "Simple moving average of a comma-separated list of prices over a window."
    inputs = {
        "prices": {"type": "string", "description": "Comma-separated prices, oldest first."},
        "window": {"type": "integer", "description": "Number of prices per average."},
    }
    output_type = "string"

    def forward(self, prices: str, window: int) -> str:
        import json

        values = [float(p) for p in prices.split(",") if p.strip()]
        window = int(window)  # a Space's gr.Number sends floats
        if window < 1 or window > len(values):
            return "window must be between 1 and the number of prices"
        averages = [round(sum(values[i - window:i]) / window, 4) for i in range(window, len(values) + 1)]
        return json.dumps(averages)


PUBLISH_TEST_TOOL = (
    "from hub.client import use_configured_endpoint; use_configured_endpoint();"
    "from hub.publish import publish_tools; from tests.test_hub_publish import MovingAverageTool;"
    "r = publish_tools('alice', [MovingAverageTool()]); print(r.tools[0].repo_id)"
)

pytestmark = pytest.mark.slow  # each Hub operation runs in a fresh Python process


def front_matter(readme: bytes) -> dict:
    match = re.match(r"^---\n(.*?)\n---\n", readme.decode("utf-8"), flags=re.DOTALL)
    assert match, "README has no front matter"
    return yaml.safe_load(match.group(1))


@pytest.fixture
def hub():
    with HubServer(user="alice") as server:
        yield server


def test_publish_command_creates_a_working_space_per_tool_and_a_collection(hub, tmp_path):
    proc = run_python(["-m", "hub.publish", "--namespace", "alice", "--only", "alpaca_place_order", "--json"],
                      hub_env(hub.url, str(tmp_path)))
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    repo_id = "alice/smol-trader-alpaca-place-order"
    assert result["tools"] == [{"name": "alpaca_place_order", "repo_id": repo_id,
                                "url": f"{hub.url}/spaces/{repo_id}"}]

    repo = hub.state.repo("space", repo_id)
    assert repo is not None and repo.sdk == "gradio"
    assert set(repo.files) == {".gitattributes", "README.md", "tool.py", "app.py", "requirements.txt"}
    assert "class AlpacaOrderTool(Tool)" in repo.files["tool.py"].decode()
    assert repo.files["app.py"].decode() == (
        "from smolagents import launch_gradio_demo\nfrom tool import AlpacaOrderTool\n\n"
        "tool = AlpacaOrderTool()\nlaunch_gradio_demo(tool)\n"
    )
    # pip distribution names, pinned (smolagents itself writes the import name `alpaca`)
    assert repo.files["requirements.txt"].decode().split() == ["alpaca-py==0.44.0", "smolagents==1.26.0"]

    meta = front_matter(repo.files["README.md"])
    assert meta["tags"] == ["smolagents", "tool"]
    assert meta["sdk"] == "gradio" and meta["app_file"] == "app.py"
    body = repo.files["README.md"].decode()
    for expected in ("Places a stock order on Alpaca", "## Inputs", "| `symbol` | string | yes |",
                     "## Output", "## Example", f'Tool.from_hub("{repo_id}", trust_remote_code=True)',
                     "ALPACA_API_KEY"):
        assert expected in body
    # every README that was committed went through the Hub's card validation first
    assert hub.state.validated_cards and all("tags:" in card for card in hub.state.validated_cards[-1:])

    [collection] = hub.state.collections.values()
    assert collection.namespace == "alice" and collection.title == "Smol Trader tools"
    assert [(i["id"], i["type"]) for i in collection.items] == [(repo_id, "space")]
    assert result["collection_slug"] == collection.slug

    writes = hub.state.requests("POST")
    assert writes and all(r.headers.get("authorization") == f"Bearer {FAKE_TOKEN}"
                          for r in writes if r.path != "/api/validate-yaml")
    commits = hub.state.requests("POST", "/commit/")
    assert commits and all(r.headers["content-type"] == "application/x-ndjson" for r in commits)
    assert FAKE_TOKEN not in proc.stdout + proc.stderr


def test_published_tool_loads_back_in_a_fresh_process_with_the_same_outputs(hub, tmp_path):
    env = hub_env(hub.url, str(tmp_path / "publisher"))
    published = run_python(["-c", PUBLISH_TEST_TOOL], env)
    assert published.returncode == 0, published.stderr
    repo_id = published.stdout.strip().splitlines()[-1]
    assert repo_id == "alice/smol-trader-moving-average"

    cases = [{"prices": "1,2,3,4,5", "window": 2}, {"prices": "10, 11.5, 9", "window": 3},
             {"prices": "1,2", "window": 5}]
    load = (
        "import json, sys; from smolagents import Tool;"
        f"tool = Tool.from_hub({repo_id!r}, trust_remote_code=True);"
        f"print(json.dumps([tool.name, tool.inputs, tool.output_type] + [tool(**c) for c in {cases!r}]))"
    )
    loaded = run_python(["-c", load], hub_env(hub.url, str(tmp_path / "consumer"), token=None))
    assert loaded.returncode == 0, loaded.stderr
    name, inputs, output_type, *outputs = json.loads(loaded.stdout.strip().splitlines()[-1])
    local = MovingAverageTool()
    assert (name, inputs, output_type) == (local.name, local.inputs, local.output_type)
    assert outputs == [local(**c) for c in cases]
    assert outputs[0] == "[1.5, 2.5, 3.5, 4.5]"
    assert hub.state.requests("HEAD", "/resolve/main/tool.py")


def test_alpaca_tool_from_the_hub_behaves_like_the_local_one(hub, tmp_path):
    assert run_python(["-m", "hub.publish", "--namespace", "alice", "--only", "alpaca_place_order"],
                      hub_env(hub.url, str(tmp_path / "p"))).returncode == 0
    cases = [{"symbol": "AAPL", "side": "buy", "qty": 1}, {"symbol": "AAPL", "side": "buy", "qty": 1, "live": True},
             {"symbol": "??", "side": "buy", "qty": 1}]
    load = (
        "import json; from smolagents import Tool;"
        "tool = Tool.from_hub('alice/smol-trader-alpaca-place-order', trust_remote_code=True);"
        f"print(json.dumps([tool(**c) for c in {cases!r}]))"
    )
    loaded = run_python(["-c", load], hub_env(hub.url, str(tmp_path / "c"), token=None))
    assert loaded.returncode == 0, loaded.stderr
    remote = json.loads(loaded.stdout.strip().splitlines()[-1])
    local = [AlpacaOrderTool()(**c) for c in cases]
    assert remote == local
    assert "set ALPACA_API_KEY" in remote[0] and "not enabled" in remote[1] and "not a valid ticker" in remote[2]


def test_publishing_again_needs_update_and_then_succeeds(hub, tmp_path):
    env = hub_env(hub.url, str(tmp_path))
    args = ["-m", "hub.publish", "--namespace", "alice", "--only", "alpaca_place_order"]
    assert run_python(args, env).returncode == 0
    again = run_python(args, env)
    assert again.returncode == 1
    assert again.stderr.strip() == ("Could not publish the tools: the Space alice/smol-trader-alpaca-place-order "
                                    "already exists (409). Pass --update to publish a new version over it.")
    updated = run_python(args + ["--update"], env)
    assert updated.returncode == 0, updated.stderr
    assert len(hub.state.collections) == 1
    [collection] = hub.state.collections.values()
    assert len(collection.items) == 1


def test_409_from_the_hub_is_a_clear_message(tmp_path):
    with HubServer(mode="409") as hub:
        proc = run_python(["-m", "hub.publish", "--namespace", "alice"], hub_env(hub.url, str(tmp_path)))
    assert proc.returncode == 1
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "already exists (409)" in lines[0] and "--update" in lines[0]
    assert "Traceback" not in proc.stderr


def test_bad_token_401_is_a_clear_message(tmp_path):
    with HubServer(mode="401") as hub:
        proc = run_python(["-m", "hub.publish", "--namespace", "alice"], hub_env(hub.url, str(tmp_path)))
        assert not hub.state.repos
    assert proc.returncode == 1
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "rejected the token (401 Unauthorized)" in lines[0] and "HF_TOKEN" in lines[0]
    assert "Traceback" not in proc.stderr and FAKE_TOKEN not in proc.stderr + proc.stdout


def test_network_down_is_a_clear_message(tmp_path):
    endpoint = HubServer.down()
    proc = run_python(["-m", "hub.publish", "--namespace", "alice"], hub_env(endpoint, str(tmp_path)))
    assert proc.returncode == 1
    lines = proc.stderr.strip().splitlines()
    assert lines == [f"Could not publish the tools: the Hugging Face Hub at {endpoint} cannot be reached "
                     "(network down?). Retry when online."]


def test_a_tool_that_is_not_self_contained_is_refused_before_any_upload(hub, tmp_path):
    code = (
        "import sys; from hub.client import use_configured_endpoint, explain_hub_error; use_configured_endpoint();"
        "from hub.publish import publish_tools; from smolagents import tool\n"
        "HELPER = 3\n"
        "@tool\n"
        "def triple(x: int) -> int:\n"
        "    '''Triples x.\n\n    Args:\n        x: a number\n    '''\n"
        "    return x * HELPER\n"
        "try:\n    publish_tools('alice', [triple])\n"
        "except Exception as exc:\n    print(explain_hub_error(exc, action='publish the tools'))\n"
    )
    script = tmp_path / "publish_bad.py"
    script.write_text(code)
    proc = run_python([str(script)], hub_env(hub.url, str(tmp_path)))
    assert "Could not publish the tools: the tool 'triple' is not self-contained" in proc.stdout, proc.stderr
    assert not hub.state.repos and not hub.state.requests("POST", "/api/repos/create")


def test_bad_namespace_is_refused():
    from hub.client import HubCommandError
    from hub.publish import publish_tools

    with pytest.raises(HubCommandError, match="--namespace must be"):
        publish_tools("alice/oops", [MovingAverageTool()])


def test_space_names_and_examples():
    from hub.publish import example_arguments, space_repo_name

    assert space_repo_name("get_quote") == "smol-trader-get-quote"
    assert example_arguments(MovingAverageTool()) == {"prices": "AAPL", "window": 1}
    assert example_arguments(AlpacaOrderTool()) == {"symbol": "AAPL", "side": "buy", "qty": 1}


def test_publish_all_shareable_tools_into_one_collection(hub, tmp_path):
    proc = run_python(["-m", "hub.publish", "--namespace", "alice", "--json"], hub_env(hub.url, str(tmp_path)))
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    names = [t["name"] for t in result["tools"]]
    assert names == ["stock_quote", "price_history", "company_profile", "stock_news", "symbol_search",
                     "compare_stocks", "technical_indicators", "price_chart", "performance_chart",
                     "alpaca_place_order"]
    [collection] = hub.state.collections.values()
    assert [i["id"] for i in collection.items] == [t["repo_id"] for t in result["tools"]]
    for published in result["tools"]:
        repo = hub.state.repo("space", published["repo_id"])
        assert {"tool.py", "app.py", "requirements.txt", "README.md"} <= set(repo.files)
        assert front_matter(repo.files["README.md"])["tags"] == ["smolagents", "tool"]
        assert f"# `{published['name']}`" in repo.files["README.md"].decode()
        requirements = repo.files["requirements.txt"].decode().split()
        assert "smolagents==1.26.0" in requirements and all("==" in line for line in requirements)


def test_market_tools_from_the_hub_give_the_same_answers_as_local_ones(hub, tmp_path):
    from standins.yahoo import YahooReplay

    published = run_python(["-m", "hub.publish", "--namespace", "alice", "--only", "stock_quote", "price_history",
                            "technical_indicators", "compare_stocks"], hub_env(hub.url, str(tmp_path / "p")))
    assert published.returncode == 0, published.stderr
    cases = [("stock_quote", {"symbol": "AAPL"}), ("price_history", {"symbol": "MSFT", "period": "1mo"}),
             ("technical_indicators", {"symbol": "AAPL"}),
             ("compare_stocks", {"symbols": "AAPL,MSFT", "period": "3mo"})]
    remote_code = (
        "import json; from smolagents import Tool\n"
        f"cases = {cases!r}\n"
        "print(json.dumps([Tool.from_hub('alice/smol-trader-' + n.replace('_', '-'), trust_remote_code=True)(**a)"
        " for n, a in cases]))\n"
    )
    local_code = (
        "import json; from hub.market_tools import hub_market_tools\n"
        f"cases = {cases!r}\n"
        "tools = {t.name: t for t in hub_market_tools()}\n"
        "print(json.dumps([tools[n](**a) for n, a in cases]))\n"
    )
    with YahooReplay() as yahoo:
        env = hub_env(hub.url, str(tmp_path / "c"), token=None, YAHOO_BASE_URL=yahoo.url)
        standalone = {k: v for k, v in env.items() if k != "PYTHONPATH"}  # the Hub copy cannot import our code
        remote = run_python(["-c", remote_code], standalone, cwd=str(tmp_path))
        local = run_python(["-c", local_code], env)
    assert remote.returncode == 0, remote.stderr
    assert local.returncode == 0, local.stderr
    remote_out = json.loads(remote.stdout.strip().splitlines()[-1])
    local_out = json.loads(local.stdout.strip().splitlines()[-1])
    assert remote_out == local_out
    assert "AAPL" in remote_out[0] and "MSFT" in remote_out[1]
    assert not any(line.lower().startswith(("error", "could not")) for line in remote_out)


def test_published_space_app_runs_and_answers_like_the_local_tool(hub, tmp_path):
    """The generated app.py, downloaded with snapshot_download, serves the tool in Gradio."""
    import socket
    import subprocess
    import sys
    import time

    assert run_python(["-c", PUBLISH_TEST_TOOL], hub_env(hub.url, str(tmp_path / "p"))).returncode == 0
    space_dir = tmp_path / "space"
    download = ("from huggingface_hub import snapshot_download;"
                "print(snapshot_download('alice/smol-trader-moving-average', repo_type='space', "
                f"local_dir={str(space_dir)!r}))")
    fetched = run_python(["-c", download], hub_env(hub.url, str(tmp_path / "d"), token=None))
    assert fetched.returncode == 0, fetched.stderr
    assert {"app.py", "tool.py", "requirements.txt", "README.md"} <= {p.name for p in space_dir.iterdir()}

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {k: v for k, v in hub_env(hub.url, str(tmp_path / "s"), token=None).items() if k != "PYTHONPATH"}
    env.update(GRADIO_SERVER_PORT=str(port), GRADIO_SERVER_NAME="127.0.0.1", GRADIO_ANALYTICS_ENABLED="False")
    app = subprocess.Popen([sys.executable, "app.py"], cwd=space_dir, env=env, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 120  # a readiness wait, not a speed assertion
        while time.monotonic() < deadline and app.poll() is None:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.5)
        assert app.poll() is None, app.stdout.read()
        from gradio_client import Client

        client = Client(f"http://127.0.0.1:{port}/", verbose=False)
        answer = client.predict("1,2,3,4,5", 2, fn_index=0)
    finally:
        app.terminate()
        app.wait(timeout=30)
    assert answer == MovingAverageTool()(prices="1,2,3,4,5", window=2) == "[1.5, 2.5, 3.5, 4.5]"


def test_a_space_python_the_pins_do_not_admit_is_refused_before_any_upload(hub, tmp_path):
    code = (
        "from hub.client import use_configured_endpoint, explain_hub_error; use_configured_endpoint()\n"
        "import hub.publish as publish\n"
        "publish.SPACE_PYTHON = '3.10'  # what Spaces uses when the front matter names none\n"
        "tools = [t for t in publish.shareable_tools() if t.name == 'technical_indicators']  # needs pandas\n"
        "try:\n    publish.publish_tools('alice', tools)\n"
        "except Exception as exc:\n    print(explain_hub_error(exc, action='publish the tools'))\n"
    )
    script = tmp_path / "publish_old_python.py"
    script.write_text(code)
    proc = run_python([str(script)], hub_env(hub.url, str(tmp_path)))
    assert "would build with Python 3.10" in proc.stdout and "Requires-Python >=3.11" in proc.stdout, proc.stderr
    assert not hub.state.repos and not hub.state.requests("POST", "/api/repos/create")
