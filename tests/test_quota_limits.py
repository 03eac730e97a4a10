"""Visitor limits through the real chat service: rate, daily budget (persisted, resets), per-turn budget, exemptions,
anonymous visitors, and bring-your-own inference. Clocks are injected; the LLM is a scripted model."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from chat.service import ChatService
from chat.session import Session
from chat.visitors import Visitors
from quota import Limits, Quota, UsageStore
from standins.scripted_model import ScriptedModel, code, final
from tests.harness import final_text, local_stack, run_turn

pytestmark = pytest.mark.slow  # its tests take seconds in total (servers, subprocesses, workers): out of the fast loop

TOKENS_PER_STEP = 11 + 7  # ScriptedModel's usage per call


class Clock:
    def __init__(self, when: str = "2026-11-23T10:00:00"):
        self.now = datetime.fromisoformat(when).replace(tzinfo=UTC).timestamp()

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def chat_with(stack, limits: Limits, clock: Clock, script=None, settings=None, **visitors_kwargs):
    models: list[ScriptedModel] = []

    def factory():
        models.append(ScriptedModel(list(script or [])))
        return models[-1]

    quota = Quota(limits, UsageStore(stack.settings.data_dir + "/usage.sqlite3"), clock,
                  sign_in_hint="Sign in to use your own inference.")
    chat = ChatService(stack.runtime, model_factory=factory,
                       visitors=Visitors(settings or stack.settings, quota, **visitors_kwargs))
    chat.models = models
    return chat


def last(snapshots) -> str:
    return "\n".join(str(item.content) for item in snapshots[-1])


def test_the_seventh_turn_in_a_minute_is_refused_then_allowed_again(stack):
    clock = Clock()
    chat = chat_with(stack, Limits(turns_per_minute=6), clock)
    session = Session(id="rate")
    for i in range(6):
        assert final_text(run_turn(chat, session, f"question {i}")[-1])
        clock.advance(5)
    refused = last(run_turn(chat, session, "question 7"))
    assert "6 messages in the last minute; the limit is 6 per minute. Try again in 30 s" in refused
    assert len(chat.models[0].calls) == 6  # the refused turn never reached the model
    clock.advance(31)
    assert final_text(run_turn(chat, session, "question 8")[-1])


def test_slash_commands_are_free_and_have_their_own_generous_rate(stack):
    clock = Clock()
    chat = chat_with(stack, Limits(turns_per_minute=2, commands_per_minute=5, tokens_per_day=1), clock)
    session = Session(id="commands")
    for _ in range(5):  # more than the turns' rate: exploring with commands is not stopped by it
        assert "/help" in last(run_turn(chat, session, "/help"))
    refused = run_turn(chat, session, "/help")[-1]
    assert "5 slash commands in the last minute; the limit is 5 per minute" in last([refused])
    assert refused[0].extra.get("refused") is True  # the page puts the message back in the box
    assert chat.visitors.usage_label(session) == "0 / 1 tokens today"
    clock.advance(61)
    assert "/help" in last(run_turn(chat, session, "/help"))


def test_the_daily_budget_runs_out_mid_day_survives_a_restart_and_resets_the_next_day(stack):
    clock = Clock("2026-11-23T21:30:00")
    limits = Limits(turns_per_minute=0, tokens_per_day=3 * TOKENS_PER_STEP)
    chat = chat_with(stack, limits, clock)
    session = Session(id="budget")
    for i in range(3):
        assert final_text(run_turn(chat, session, f"q{i}")[-1])
    assert chat.visitors.usage_label(session) == f"{3 * TOKENS_PER_STEP} / {3 * TOKENS_PER_STEP} tokens today"
    refused = last(run_turn(chat, session, "one more"))
    assert "You have used today's budget of model tokens (54 per day)" in refused
    assert "resets at midnight UTC, in 2 h 30 min" in refused and "Sign in to use your own inference" in refused

    restarted = chat_with(stack, limits, clock)  # a new process: the day's usage is read back from SQLite
    assert "today's budget" in last(run_turn(restarted, session, "after a restart"))

    clock.advance(3 * 3600)  # the next UTC day
    assert final_text(run_turn(restarted, session, "a new day")[-1])
    assert restarted.visitors.usage_label(session) == f"{TOKENS_PER_STEP} / 54 tokens today"


def test_a_turn_that_runs_out_of_the_daily_budget_is_stopped_with_a_clear_message(stack):
    clock = Clock()
    script = [code("print('step one')"), code("print('step two')"), code("print('step three')"), final("done")]
    chat = chat_with(stack, Limits(turns_per_minute=0, tokens_per_day=2 * TOKENS_PER_STEP), clock, script)
    snapshots = run_turn(chat, Session(id="mid-turn"), "a long task")
    assert "Today's budget of model tokens is used up, so this turn was stopped (36 per day)" in last(snapshots)
    assert len(chat.models[0].calls) == 2


def test_a_runaway_turn_is_stopped_by_the_per_turn_budget(stack):
    clock = Clock()
    runaway = [code(f"print({i})") for i in range(3)] + [final("back")]  # it would go on for 8 steps
    chat = chat_with(stack, Limits(turns_per_minute=0, tokens_per_day=0, tokens_per_turn=40), clock, runaway)
    session = Session(id="runaway")
    snapshots = run_turn(chat, session, "loop forever")
    assert "This turn used 54 model tokens, more than the limit of 40 per turn, and was stopped" in last(snapshots)
    assert len(chat.models[0].calls) == 3
    assert session.running is None
    assert final_text(run_turn(chat, session, "still there?")[-1]) == "back"  # the chat stays usable


def test_an_unlimited_user_is_not_limited(stack):
    clock = Clock()
    chat = chat_with(stack, Limits(turns_per_minute=1, tokens_per_day=1, tokens_per_turn=1,
                                   unlimited_users=frozenset({"alice"})), clock)
    alice, bob = Session(id="a", user="alice"), Session(id="b", user="bob")
    for i in range(4):
        assert final_text(run_turn(chat, alice, f"q{i}")[-1])
    assert final_text(run_turn(chat, bob, "q")[-1])
    assert "today's budget" in last(run_turn(chat, bob, "again"))


def test_one_visitor_runs_one_turn_at_a_time_across_sessions(stack):
    clock = Clock()
    chat = chat_with(stack, Limits(turns_per_minute=0), clock)
    first = chat.visitors.admit_turn(Session(id="tab-1", user="carol"), None, None)
    try:
        refused = last(run_turn(chat, Session(id="tab-2", user="carol"), "hello"))
        assert "still working on your previous message (maybe in another tab)" in refused
    finally:
        first.close()
    assert final_text(run_turn(chat, Session(id="tab-2", user="carol"), "hello")[-1])


def test_anonymous_visitors_get_slash_commands_only_when_the_owner_says_so(tmp_path):
    with local_stack(tmp_path, DATA_DIR=tmp_path / "data", ANONYMOUS_MODEL="none") as stack:
        chat = chat_with(stack, Limits(), Clock())
        refused = last(run_turn(chat, Session(id="anon"), "how is NVDA?"))
        assert "Sign in with Hugging Face" in refused and "slash commands still work" in refused
        assert "/help" in last(run_turn(chat, Session(id="anon"), "/help"))
        assert final_text(run_turn(chat, Session(id="named", user="dan"), "how is NVDA?")[-1])


def test_a_visitor_brings_their_own_inference_and_their_token_stays_secret(stack):
    token = "hf_visitorOwnToken0123456789ABCDEF"
    built: list[str] = []
    visitor_model = ScriptedModel([code(f"print({token[::-1]!r})"), final(f"your token is {token}")])

    def visitor_factory(given: str):
        built.append(given)
        return visitor_model

    clock = Clock()
    chat = chat_with(stack, Limits(turns_per_minute=0, tokens_per_day=1), clock,
                     visitor_model_factory=visitor_factory)
    session = Session(id="byo", user="erin")
    snapshots = [list(s) for s in chat.respond(session, "hello", hf_token=token)]
    shown = "\n".join(f"{i.title} {i.content} {i.log}" for snap in snapshots for i in snap)
    assert built == [token] and chat.models == []  # the owner's model was never built
    assert token not in shown and token[::-1] not in shown and "your token is ***" in shown
    assert token not in visitor_model.seen_text()  # nor in any prompt
    assert token not in repr(session)
    assert chat.visitors.usage_label(session) == "0 / 1 tokens today"  # the owner's budget is not charged
    assert chat.visitors.usage_label(session, hf_token=token) == "your own inference"
    signed_out = last(list(chat.respond(session, "and now?")))  # signed out: a fresh team on the owner's model
    assert chat.models and "(script exhausted)" in signed_out


def test_only_a_token_granted_inference_is_used_as_the_visitors_own():
    import gradio as gr

    import app

    assert app.token_of(gr.OAuthToken(token="hf_x", scope="openid profile inference-api", expires_at=0)) == "hf_x"
    assert app.token_of(gr.OAuthToken(token="hf_x", scope="openid profile", expires_at=0)) is None
    assert app.token_of(None) is None


def test_limit_settings_have_their_defaults_and_refuse_nonsense():
    from core.settings import SettingsError
    from tests.harness import settings_for

    settings = settings_for()
    assert (settings.rate_limit_turns_per_minute, settings.token_budget_per_day, settings.token_budget_per_turn,
            settings.unlimited_users, settings.anonymous_model) == (6, 200_000, 100_000, (), "owner")
    assert settings_for(UNLIMITED_USERS="alice, bob", ANONYMOUS_MODEL="NONE").unlimited_users == ("alice", "bob")
    for name, value in (("ANONYMOUS_MODEL", "maybe"), ("TOKEN_BUDGET_PER_DAY", "-1"),
                        ("RATE_LIMIT_TURNS_PER_MINUTE", "six")):
        with pytest.raises(SettingsError, match=name):
            settings_for(**{name: value})


def test_new_anonymous_workspaces_share_one_daily_pool_but_signed_in_people_do_not(stack):
    """Minting a fresh workspace per request gets a fresh personal budget, not more of the owner's tokens."""
    clock = Clock()
    limits = Limits(turns_per_minute=0, tokens_per_day=0, anonymous_tokens_per_day=3 * TOKENS_PER_STEP)
    chat = chat_with(stack, limits, clock)
    for i in range(3):
        visitor = Session(id=f"anon-{i}")
        visitor.workspace = f"ws_fresh{i}"
        assert final_text(run_turn(chat, visitor, "hello")[-1])
    newcomer = Session(id="anon-4")
    newcomer.workspace = "ws_fresh4"
    refused = last(run_turn(chat, newcomer, "hello"))
    assert "shared budget of model tokens for anonymous visitors is used up (54 per day on this Space)" in refused
    assert "Sign in to use your own inference" in refused and len(chat.models) == 3  # no model was built for it
    assert final_text(run_turn(chat, Session(id="signed", user="sam"), "hello")[-1])  # a signed-in person goes on
    clock.advance(24 * 3600)
    assert final_text(run_turn(chat, newcomer, "a new day")[-1])


def test_the_visitors_own_token_stays_out_of_logs_spans_and_the_workspace_export(tmp_path, caplog):
    """The visitor's token, in every spelling, in what the turn writes: log records, exported spans, the export."""
    import base64
    import json
    import logging

    from chat.conversation_log import ConversationLog
    from standins.otlp import OTLPReceiver
    from tests.test_sandbox_escapes import leaked
    from workspace.db import Database
    from workspace.store import WorkspaceStore

    token = "hf_visitorOwnToken_logsSpansExport_0123456789"
    spelled = f"{token[::-1]} {base64.b64encode(b'x' + token.encode()).decode()} {token.encode().hex().upper()}"

    def a_client_that_logs_its_headers(messages):  # as an HTTP client of the visitor's model might, at debug level
        logging.getLogger("tests.visitor_client").debug("POST /v1/chat headers={'authorization': 'Bearer %s'}", token)
        return code(f"print({token!r})\nprint({spelled!r})")

    visitor_model = ScriptedModel([a_client_that_logs_its_headers, final(f"your token is {token}, or {spelled}"),
                                   RuntimeError(f"401 Unauthorized: the token {token} is not valid")])
    store = WorkspaceStore(Database(tmp_path / "ws.sqlite3"))
    with OTLPReceiver() as receiver, local_stack(tmp_path, DATA_DIR=tmp_path / "data",
                                                 OTEL_EXPORTER_OTLP_ENDPOINT=receiver.base_url) as stack:
        chat = chat_with(stack, Limits(turns_per_minute=0), Clock(), visitor_model_factory=lambda given: visitor_model)
        chat.conversations = ConversationLog(store)
        workspace_id, _ = store.new_anonymous()
        session = Session(id="byo-logs", user="erin", workspace=workspace_id)
        with caplog.at_level(logging.DEBUG):
            shown = [list(s) for text in ("hello", "again") for s in chat.respond(session, text, hf_token=token)]
            assert stack.runtime.tracing.flush()
    chat_text = "\n".join(f"{i.title} {i.content} {i.log}" for snap in shown for i in snap)
    logs = caplog.text + "\n".join(f"{r.getMessage()} {r.exc_text or ''}" for r in caplog.records)
    spans = receiver.raw_bytes().decode("latin-1")  # the exact bytes that left the process
    exported = json.dumps(store.export(workspace_id))  # what /export_workspace returns for the conversations
    assert "your token is ***" in chat_text and "401 Unauthorized" in chat_text  # both turns ran and were shown
    assert "POST /v1/chat headers=" in logs  # the client's line was logged ...
    assert "your token is" in spans and "401 Unauthorized" in spans  # ... the answer and the failure were traced
    assert "your token is ***" in exported and "401 Unauthorized" in exported  # ... and saved
    for where, text in (("chat", chat_text), ("logs", logs), ("spans", spans), ("export", exported)):
        assert not leaked(text, token), f"the visitor's token reached the {where}"
    session.close()
