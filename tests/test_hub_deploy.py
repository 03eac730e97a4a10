"""Deploying the app to a Space uploads exactly the intended files and names the secrets to set.

A throw-away git checkout stands in for the app (with a .env, a ledger, tests,
...); the deploy command runs in a child process against the Hub stand-in.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from core.settings import load_settings
from hub.deploy import SECRET_ENV_VARS, VARIABLE_ENV_VARS, deploy_files, is_deployable
from standins.hub import FAKE_TOKEN, HubServer, hub_env, run_python

pytestmark = pytest.mark.slow  # its tests take seconds in total (servers, subprocesses, workers): out of the fast loop

DOTENV_SECRET = "dotenv-alpaca-secret-value-0123456789"
README = "---\ntitle: Smol Trader\nsdk: gradio\nsdk_version: 6.31.0\napp_file: app.py\n---\n\n# Smol Trader\n"
APP_FILES = {
    "README.md": README,
    "app.py": "print('app')\n",
    "requirements.txt": "gradio==6.31.0\n",
    "agents/__init__.py": "",
    "agents/settings.py": "X = 1\n",
    "hub/remote_tools.py": "Y = 2\n",
    "prompts.yaml": "a: b\n",
    ".env.example": "ALPACA_API_KEY=\n",
}
NOT_FOR_THE_SPACE = {
    ".env": f"ALPACA_SECRET_KEY={DOTENV_SECRET}\n",
    ".env.local": f"ALPACA_SECRET_KEY={DOTENV_SECRET}\n",
    "data/paper_ledger.sqlite3": "SQLite format 3\0",
    "ledger.sqlite3": "SQLite format 3\0",
    "tests/test_app.py": "def test(): pass\n",
    "tests/fixtures/hub/x.json": "{}\n",
    "benchmarks/bench_x.py": "print()\n",
    "scripts/deploy_space.py": "print()\n",
    "docs/notes/hub.md": "# notes\n",
    "requirements-test.txt": "pytest\n",
    ".gitignore": "*.pyc\n",
    "agents/__pycache__/settings.cpython-311.pyc": "\0",
}


@pytest.fixture
def checkout(tmp_path) -> Path:
    root = tmp_path / "app"
    for rel, text in {**APP_FILES, **NOT_FOR_THE_SPACE}.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    subprocess.run(["git", "-C", str(root), "add", "-f", "--", *APP_FILES, *NOT_FOR_THE_SPACE], check=True)
    (root / "untracked_notes.py").write_text("not in git\n")  # never tracked => never uploaded
    return root


def deploy(endpoint: str, root: Path, tmp_path: Path, *extra: str, token: str | None = FAKE_TOKEN):
    return run_python(["-m", "hub.deploy", "--space", "alice/smol-trader", "--root", str(root), *extra],
                      hub_env(endpoint, str(tmp_path / "hf"), token=token))


def test_allow_list_is_exactly_the_app_files(checkout):
    assert deploy_files(checkout) == sorted(APP_FILES)


@pytest.mark.parametrize("path, expected", [
    ("app.py", True), (".env", False), (".env.production", False), (".env.example", True),
    ("data/x.json", False), ("trading/ledger.sqlite3", False), ("tests/conftest.py", False),
    ("market/tests/helper.py", False), ("keys/server.pem", False), ("tools/market.py", True),
])
def test_is_deployable(path, expected):
    assert is_deployable(path) is expected


def test_deploy_uploads_exactly_the_intended_files_and_prints_secret_names(checkout, tmp_path):
    with HubServer(user="alice") as hub:
        proc = deploy(hub.url, checkout, tmp_path)
        assert proc.returncode == 0, proc.stderr
        repo = hub.state.repo("space", "alice/smol-trader")
        assert repo is not None and repo.sdk == "gradio"
        assert set(repo.files) == set(APP_FILES) | {".gitattributes"}  # .gitattributes: the Hub's own
        for rel, text in APP_FILES.items():
            assert repo.files[rel] == text.encode()
        sent = b"".join(r.body for r in hub.state.received)
    assert DOTENV_SECRET.encode() not in sent and b"SQLite format 3" not in sent
    out = proc.stdout
    assert f"Deployed {len(APP_FILES)} files to {hub.url}/spaces/alice/smol-trader" in out
    for name in SECRET_ENV_VARS + VARIABLE_ENV_VARS:
        assert f"  {name}" in out
    assert DOTENV_SECRET not in out and FAKE_TOKEN not in out
    assert "HF_TOKEN  (set in your local environment)" in out


def test_update_replaces_the_space_contents_and_removes_stale_files(checkout, tmp_path):
    with HubServer(user="alice") as hub:
        hub.state.add_repo("space", "alice/smol-trader", {".gitattributes": b"x\n", "old_module.py": b"old\n",
                                                          "README.md": b"---\nsdk: gradio\n---\n"}, sdk="gradio")
        refused = deploy(hub.url, checkout, tmp_path)
        assert refused.returncode == 1
        assert refused.stderr.strip() == ("Could not deploy to the Space alice/smol-trader: the Space "
                                          "alice/smol-trader already exists (409). Pass --update to deploy over it.")
        proc = deploy(hub.url, checkout, tmp_path, "--update")
        assert proc.returncode == 0, proc.stderr
        files = set(hub.state.repo("space", "alice/smol-trader").files)
    assert files == set(APP_FILES) | {".gitattributes"}


def test_dry_run_lists_files_and_touches_nothing(checkout, tmp_path):
    with HubServer() as hub:
        proc = deploy(hub.url, checkout, tmp_path, "--dry-run")
        assert hub.state.received == [] or all(r.path == "/api/agent-harnesses" for r in hub.state.received)
    assert proc.returncode == 0
    lines = proc.stdout.splitlines()
    check = lines.index("Python 3.10: all 1 pins in requirements.txt admit it.")  # no python_version: Spaces' 3.10
    assert lines[:check] == sorted(APP_FILES)
    assert lines[check + 1].endswith("files would be uploaded to " + lines[check + 1].split(" to ", 1)[1])
    table = lines[check + 2:]  # then the secrets to set: which are required, what each is for
    assert "| HF_TOKEN | required |" in "\n".join(table)
    for name in SECRET_ENV_VARS:
        assert any(row.startswith(f"| {name} | ") for row in table), name


def test_deploy_refuses_a_space_python_that_a_pin_does_not_admit(checkout, tmp_path):
    (checkout / "README.md").write_text(README.replace("app_file:", 'python_version: "3.10"\napp_file:'))
    (checkout / "requirements.txt").write_text("gradio==6.31.0\npandas==3.1.1\n")
    with HubServer() as hub:
        for extra in ((), ("--dry-run",)):
            proc = deploy(hub.url, checkout, tmp_path, *extra)
            assert proc.returncode == 1
            assert "Python 3.10" in proc.stderr and "pandas==3.1.1 (Requires-Python >=3.11)" in proc.stderr
            assert "gradio==6.31.0" not in proc.stderr  # gradio admits 3.10: only the failing pin is named
        assert not hub.state.repos


def test_deploy_refuses_an_sdk_version_other_than_the_pinned_gradio(checkout, tmp_path):
    (checkout / "README.md").write_text(README.replace("sdk_version: 6.31.0", "sdk_version: 5.0.0"))
    with HubServer() as hub:
        proc = deploy(hub.url, checkout, tmp_path, "--dry-run")
    assert proc.returncode == 1
    assert "sdk_version '5.0.0' but requirements.txt pins gradio==6.31.0" in proc.stderr


def test_readme_must_configure_a_gradio_space(checkout, tmp_path):
    (checkout / "README.md").write_text("# no front matter\n")
    with HubServer() as hub:
        proc = deploy(hub.url, checkout, tmp_path)
        assert not hub.state.repos
    assert proc.returncode == 1
    assert proc.stderr.strip() == ("Could not deploy to the Space alice/smol-trader: README.md front matter "
                                   "must say `sdk: gradio` (found None).")


@pytest.mark.parametrize("mode, expected", [
    ("401", "the Hub rejected the token (401 Unauthorized)"),
    ("409", "already exists (409). Pass --update"),
])
def test_hub_refusals_are_clear(checkout, tmp_path, mode, expected):
    with HubServer(mode=mode) as hub:
        proc = deploy(hub.url, checkout, tmp_path)
    assert proc.returncode == 1
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and expected in lines[0] and "Traceback" not in proc.stderr


def test_network_down_is_clear(checkout, tmp_path):
    endpoint = HubServer.down()
    proc = deploy(endpoint, checkout, tmp_path)
    assert proc.returncode == 1
    assert proc.stderr.strip() == (f"Could not deploy to the Space alice/smol-trader: the Hugging Face Hub at "
                                   f"{endpoint} cannot be reached (network down?). Retry when online.")


def test_secret_names_cover_every_secret_setting():
    values = {name: f"value-of-{name}" for name in SECRET_ENV_VARS}
    settings = load_settings(values)
    assert sorted(settings.secret_values()) == sorted(values.values())
    assert len(load_settings({}).secret_values()) == 0
    fields_that_are_secrets = [v for v in vars(settings).values() if type(v).__name__ == "Secret"]
    assert len(fields_that_are_secrets) == len(SECRET_ENV_VARS)
