"""The Dockerfile has what a self-hosted or Docker-Space deployment needs (no container daemon in CI).

The Dockerfile is parsed instruction by instruction, and its HEALTHCHECK command is run for real
against a 127.0.0.1 server (and against a closed port).
"""

from __future__ import annotations

import http.server
import json
import os
import re
import shlex
import subprocess
import sys
import threading
from pathlib import Path

import pytest
import yaml

from standins.live_app import free_port

pytestmark = pytest.mark.slow  # builds and runs the image when a container tool is present

ROOT = Path(__file__).resolve().parent.parent


def instructions(path: Path) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, with line continuations joined and comments dropped."""
    out, pending = [], ""
    for line in path.read_text().splitlines():
        stripped = line.strip()
        if not pending and (not stripped or stripped.startswith("#")):
            continue
        if stripped.endswith("\\"):
            pending += stripped[:-1] + " "
            continue
        whole = pending + stripped
        pending = ""
        keyword, _, rest = whole.partition(" ")
        out.append((keyword.upper(), rest.strip()))
    return out


@pytest.fixture(scope="module")
def dockerfile():
    return instructions(ROOT / "Dockerfile")


def env_of(steps) -> dict[str, str]:
    env: dict[str, str] = {}
    for keyword, rest in steps:
        if keyword == "ENV":
            env.update(part.split("=", 1) for part in shlex.split(rest))
    return env


def exec_form(rest: str) -> list[str]:
    value = json.loads(rest)
    assert isinstance(value, list) and all(isinstance(v, str) for v in value), rest
    return value


def test_slim_python_base_matches_the_spaces_python(dockerfile):
    front_matter = yaml.safe_load((ROOT / "README.md").read_text().split("---")[1])
    froms = [rest for keyword, rest in dockerfile if keyword == "FROM"]
    assert len(froms) == 1
    match = re.fullmatch(r"python:(\d+\.\d+)(?:\.\d+)?-slim(?:-\w+)?", froms[0])
    assert match, froms[0]
    assert match.group(1) == str(front_matter["python_version"])


def test_runs_as_a_non_root_user(dockerfile):
    keywords = [keyword for keyword, _ in dockerfile]
    users = [rest for keyword, rest in dockerfile if keyword == "USER"]
    assert users and users[-1].split(":")[0] not in ("root", "0")
    assert keywords.index("CMD") > max(i for i, k in enumerate(keywords) if k == "USER")


def test_data_dir_is_a_volume_holding_every_database(dockerfile):
    env = env_of(dockerfile)
    volumes = [v for keyword, rest in dockerfile if keyword == "VOLUME"
               for v in (exec_form(rest) if rest.startswith("[") else rest.split())]
    assert env["DATA_DIR"] in volumes
    assert Path(env["PAPER_LEDGER_PATH"]).parent == Path(env["DATA_DIR"])


def test_installs_exactly_the_spaces_requirements_file(dockerfile):
    copies = [rest for keyword, rest in dockerfile if keyword == "COPY"]
    assert any("requirements.txt" in rest.split() for rest in copies)
    pips = [rest for keyword, rest in dockerfile if keyword == "RUN" and "pip install" in rest]
    assert pips, "no pip install"
    for rest in pips:
        args = shlex.split(rest.split("pip install", 1)[1].split("&&")[0])
        assert args[args.index("-r") + 1] == "requirements.txt"
        assert [a for a in args if not a.startswith("-") and a != "requirements.txt"] == [], args


def test_serves_app_py_on_the_exposed_port(dockerfile):
    env = env_of(dockerfile)
    assert exec_form(next(rest for keyword, rest in dockerfile if keyword == "CMD")) == ["python", "app.py"]
    assert env["GRADIO_SERVER_NAME"] == "0.0.0.0"
    assert next(rest for keyword, rest in dockerfile if keyword == "EXPOSE") == env["GRADIO_SERVER_PORT"]


class Ok(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args):
        pass


def test_the_healthcheck_gets_the_apps_url(dockerfile):
    rest = next(rest for keyword, rest in dockerfile if keyword == "HEALTHCHECK")
    options, _, command = rest.partition("CMD ")
    assert "--interval=" in options and "--timeout=" in options
    argv = exec_form(command.strip())
    assert argv[0] == "python"
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Ok)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        env = {**os.environ, "GRADIO_SERVER_PORT": str(server.server_address[1])}
        assert subprocess.run([sys.executable, *argv[1:]], env=env, timeout=20).returncode == 0
    finally:
        server.shutdown()
    closed = {**os.environ, "GRADIO_SERVER_PORT": str(free_port())}
    assert subprocess.run([sys.executable, *argv[1:]], env=closed, timeout=20, capture_output=True).returncode != 0


def test_secrets_and_local_data_stay_out_of_the_image():
    ignored = {line.strip() for line in (ROOT / ".dockerignore").read_text().splitlines()
               if line.strip() and not line.startswith("#")}
    assert {".env", ".git", "data/", "*.sqlite3", "tests/"} <= ignored
