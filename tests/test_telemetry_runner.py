"""A turn through the app's own ChatService/TurnRun (chat/runner.py) lands as one trace in the receiver."""

from __future__ import annotations

from chat.session import Session
from standins.otlp import OTLPReceiver
from standins.scripted_model import ScriptedModel, call, code, final
from standins.telemetry_team import by_trace, children, roots
from tests.harness import final_text, local_stack, run_turn

NEWS_PAGE = "<html><body><h1>Nvidia shares</h1><p>Nvidia rose 5% this month on data-center demand.</p></body></html>"


def test_a_chat_turn_through_the_runner_is_one_trace_with_the_whole_team(tmp_path):
    with OTLPReceiver() as receiver, local_stack(tmp_path, OTEL_EXPORTER_OTLP_ENDPOINT=receiver.base_url) as stack:
        page = stack.web.add_page("/nvda-news", NEWS_PAGE)
        chat = stack.chat(lambda: {
            "manager": ScriptedModel([code('news = web_agent(task="NVDA news")\nprint(news)'),
                                      final("NVDA rose 5% this month.")]),
            "web_agent": ScriptedModel([call("read_page", url=page),
                                        call("final_answer", answer="Nvidia rose 5% (nvda-news).")]),
            "trader": ScriptedModel(),
        })
        session = Session(id="s-runner", user="dana")
        last = run_turn(chat, session, "How did NVDA do?")[-1]
        assert final_text(last) == "NVDA rose 5% this month."
        [trace_item] = [item for item in last if item.kind == "trace"]
        trace_id = trace_item.extra["trace_id"]
        assert stack.runtime.tracing.flush()

        traces = by_trace(receiver.spans())
        assert list(traces) == [trace_id]
        spans = traces[trace_id]
        [root] = roots(spans)
        assert root.attributes["input.value"] == "How did NVDA do?"
        assert root.attributes["output.value"] == "NVDA rose 5% this month."
        [manager_run] = children(spans, root)
        assert manager_run.name == "manager.run"
        step1 = children(spans, manager_run)[0]
        [web_run] = [s for s in children(spans, step1) if s.name == "web_agent.run"]
        tools = [s.attributes.get("tool.name") for step in children(spans, web_run) for s in children(spans, step)
                 if s.attributes["openinference.span.kind"] == "TOOL"]
        assert tools == ["read_page", "final_answer"]
        assert {s.attributes["session.id"] for s in spans} == {stack.runtime.tracing.session_label("s-runner")}
        assert {s.attributes["user.id"] for s in spans} == {"dana"}

        chat.run_command(session, "/help")
        assert stack.runtime.tracing.flush()
        command_roots = [s for s in receiver.spans() if s.name == "command turn"]
        assert [r.attributes["input.value"] for r in command_roots] == ["/help"]
