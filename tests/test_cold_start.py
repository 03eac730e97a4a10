"""Cold start (issue 24): the first visitor after a start waits for the model, not for us.

- `python app.py` starts without the cyclic garbage collector and turns it back on, start-up's objects frozen, once it
  serves (about a second of a 4-second start on 2 cores went to collections that found nothing).
- The first turn right after `python app.py` answers HTTP asks the model within a bound (it took ~3 s before the
  model client, its request path, the prompt templates and the tools were warmed at start-up; ~0.3 s after).
- Every session's model shares one HTTP client (made once, ~45 ms and a new connection each before).
- The queue's concurrency setting holds without the second FastAPI build `demo.queue()` used to cost.
- A warm-up step that fails is logged and skipped; the app closing cancels steps not begun.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest
from gradio_client import Client

from agents.models import build_model, choose_model, openai_model_class
from agents.warmup import Warmup, rehearse_openai_stream
from tests.harness import settings_for
from tests.live_app import free_port, running_app
from tests.scripted_model import ScriptedModel, final
from tests.servers.openai_compat import OpenAICompatServer

pytestmark = pytest.mark.slow  # its tests take seconds in total (servers, subprocesses, workers): out of the fast loop

ROOT = Path(__file__).resolve().parent.parent
KEY = "sk-cold-start-test-0123456789"  # long: a one-letter secret would be masked everywhere
FIRST_TURN_BOUND_S = 2.0  # generous for a busy CI machine; the model was asked ~3 s after submit before the warm-up
REPLY = 'Thought: answering.\n<code>\nfinal_answer("done")\n</code>'


def wait_for_http(port: int, limit_s: float = 120.0) -> None:
    start = time.monotonic()
    while time.monotonic() - start < limit_s:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=1)
            return
        except Exception:
            time.sleep(0.02)
    raise AssertionError("the app never answered HTTP")


def test_the_first_turn_right_after_start_asks_the_model_within_the_bound(tmp_path):
    arrivals: list[float] = []

    def reply(messages):
        arrivals.append(time.monotonic())
        return REPLY

    with OpenAICompatServer(reply, chunks=2, stream_seconds=0.05) as model_server:
        port = free_port()
        env = dict(os.environ, GRADIO_SERVER_PORT=str(port), GRADIO_SERVER_NAME="127.0.0.1", MODEL_BACKEND="openai",
                   MODEL_ID="scripted", OPENAI_API_BASE=model_server.url, OPENAI_API_KEY="sk-test",
                   DATA_DIR=str(tmp_path / "data"), PYTHONDONTWRITEBYTECODE="1")
        log = (tmp_path / "app.log").open("w")
        proc = subprocess.Popen([sys.executable, "app.py"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            wait_for_http(port)
            client = Client(f"http://127.0.0.1:{port}/", verbose=False, analytics_enabled=False,
                            download_files=False)
            submitted = time.monotonic()
            result = client.predict("What is AAPL doing?", api_name="/chat")
            assert arrivals, f"the model was never asked: {result}"
            waited = arrivals[0] - submitted
            assert waited < FIRST_TURN_BOUND_S, f"the first turn asked the model {waited:.2f} s after submit"
            assert any(item.get("kind") == "final" and "done" in str(item.get("content")) for item in result)
            client.close()
        finally:
            proc.terminate()
            proc.wait(20)
            log.close()
        # start-up ran without the cyclic collector, which came back on once the server answered, with start-up's
        # objects (gradio, openai's types, the app) frozen out of every later collection
        frozen = re.search(r"Serving: (\d+) start-up objects frozen", (tmp_path / "app.log").read_text())
        assert frozen and int(frozen.group(1)) > 100_000, (tmp_path / "app.log").read_text()[-2000:]


def test_collecting_resumes_with_what_exists_frozen():
    code = ("import gc, app; gc.disable(); app.collect_from_now_on(); "
            "print(gc.isenabled(), gc.get_freeze_count() > 10_000)")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120,
                         env=dict(os.environ, GRADIO_ANALYTICS_ENABLED="False"))
    assert out.stdout.split() == ["True", "True"], out.stderr[-2000:]


def test_every_sessions_model_shares_one_client_per_server(tmp_path):
    with OpenAICompatServer(lambda messages: REPLY) as one, OpenAICompatServer(lambda messages: REPLY) as two:
        settings = settings_for(MODEL_BACKEND="openai", MODEL_ID="m", OPENAI_API_BASE=one.url, OPENAI_API_KEY=KEY,
                                DATA_DIR=tmp_path)
        first, second = build_model(settings), build_model(settings)
        assert first is not second and first.client is second.client
        other = build_model(settings_for(MODEL_BACKEND="openai", MODEL_ID="m", OPENAI_API_BASE=two.url,
                                         OPENAI_API_KEY=KEY, DATA_DIR=tmp_path))
        assert other.client is not first.client
        assert str(other.client.base_url).startswith(two.url)
        assert choose_model(settings).backend == "openai"
        # both models really reach their server through the shared client
        from smolagents.models import ChatMessage, MessageRole

        for model in (first, second):
            message = model.generate([ChatMessage(role=MessageRole.USER, content=[{"type": "text", "text": "hi"}])])
            assert "final_answer" in message.content
        assert len(one.completions) == 2 and not two.completions


def test_the_rehearsal_goes_through_the_real_client_without_a_network_or_a_shared_client():
    before = len(openai_model_class().__mro__)
    rehearse_openai_stream()  # raises if the in-memory stream was not parsed through the client library
    from agents import models

    assert not any("warm-up" in repr(key) for key in models._clients), "the rehearsal's client must not be shared"
    assert len(openai_model_class().__mro__) == before


def test_two_visitors_turns_run_at_once_with_the_concurrency_setting(tmp_path):
    both_inside = threading.Barrier(2, timeout=20)  # broken (an error) if the second turn waits for the first

    def meet(messages):
        both_inside.wait()
        return final("met")

    def models():
        return {"manager": ScriptedModel([meet]), "web_agent": ScriptedModel(), "trader": ScriptedModel()}

    with running_app(tmp_path, models, CONCURRENCY_LIMIT=4) as (url, _stack, _ui):
        results = []

        def visitor():
            client = Client(url, verbose=False, analytics_enabled=False, download_files=False)
            results.append(client.predict("meet me", api_name="/chat"))
            client.close()

        threads = [threading.Thread(target=visitor) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
    assert len(results) == 2
    for result in results:
        assert any(item.get("kind") == "final" and "met" in str(item.get("content")) for item in result), result


def test_a_failing_warm_up_step_is_logged_and_skipped_and_closing_cancels_the_rest(caplog):
    ran = []

    def broken():
        raise RuntimeError("no calendar today")

    warmup = Warmup([("broken", broken), ("next", lambda: ran.append("next"))])
    warmup.run()
    assert ran == ["next"] and "broken" in warmup.failed and "no calendar today" in warmup.failed["broken"]
    assert "broken" in warmup.report() and "(failed)" in warmup.report()
    assert any("no calendar today" in record.getMessage() for record in caplog.records)

    later = Warmup([("never", lambda: ran.append("never"))])
    ready = threading.Event()
    later.cancel()
    ready.set()
    later.run_after(ready).join(5)
    assert "never" not in ran and later.done.is_set()


@pytest.mark.parametrize("backend", ["openai"])
def test_the_app_prepares_its_model_before_serving(tmp_path, backend):
    import app

    with OpenAICompatServer(lambda messages: REPLY) as server:
        settings = settings_for(MODEL_BACKEND=backend, MODEL_ID="m", OPENAI_API_BASE=server.url, OPENAI_API_KEY=KEY,
                                DATA_DIR=tmp_path / "data", PAPER_LEDGER_PATH=tmp_path / "ledger.sqlite3")
        ui = app.SmolTraderApp(settings)
        try:
            from agents import models

            before = len(models._clients)
            ui.runtime.warm_model()
            assert len(models._clients) >= max(1, before)
            names = [name for name, _ in ui.runtime.warmup.steps]
            assert names[:2] == ["model call path", "prompt templates"]
            assert not server.completions, "preparing the model must not send a request"
        finally:
            ui.close()
