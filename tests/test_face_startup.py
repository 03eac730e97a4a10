"""First run and deploy: the dry run lists the secrets (required / optional), a server without a model says in its log
what to set, and yfinance's Pandas4Warnings are filtered."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import warnings
from pathlib import Path

import pytest

from hub import deploy
from tests.live_app import free_port

pytestmark = pytest.mark.slow  # its tests take seconds in total (servers, subprocesses, workers): out of the fast loop

ROOT = Path(__file__).resolve().parent.parent


def test_the_dry_run_prints_the_secrets_table(capsys):
    assert deploy.main(["--space", "someone/smol-trader", "--dry-run", "--root", str(ROOT)]) == 0
    out = capsys.readouterr().out
    assert "| HF_TOKEN | required |" in out
    for name in deploy.SECRET_ENV_VARS:
        assert f"| {name} | " in out
    assert out.index("| HF_TOKEN |") < out.index("| OPENAI_API_KEY | optional |")  # required first


def test_the_pandas4_warning_filter_holds_for_yfinance_modules():
    from pandas.errors import Pandas4Warning

    import app

    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        app.quiet_library_warnings(warnings)
        warnings.warn_explicit("The inplace keyword in DataFrame.set_index is deprecated", Pandas4Warning,
                               "yfinance/utils.py", 604, module="yfinance.utils")
        warnings.warn_explicit("another warning", UserWarning, "x.py", 1, module="x")
    assert [str(w.message) for w in seen] == ["another warning"]


def test_without_a_model_the_startup_log_says_what_to_set(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("HF_TOKEN", "OPENAI_API_KEY", "MODEL_BACKEND")}
    env.update(GRADIO_SERVER_PORT=str(free_port()), GRADIO_SERVER_NAME="127.0.0.1", DATA_DIR=str(tmp_path / "data"),
               PAPER_LEDGER_PATH=str(tmp_path / "ledger.sqlite3"), HF_HUB_OFFLINE="1", PYTHONUNBUFFERED="1")
    server = subprocess.Popen([sys.executable, "app.py"], cwd=ROOT, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines: list[str] = []
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            line = server.stdout.readline()
            if not line:
                break
            lines.append(line)
            if "No model:" in line:
                break
    finally:
        server.terminate()
        server.wait(20)
    log = "".join(lines)
    assert "No model:" in log and "HF_TOKEN" in log, log[-2000:]
