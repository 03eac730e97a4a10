"""Getting the first turn ready before the first visitor (a Space wakes up when someone opens it).

Start-up does the cheap part before the server answers: the model client (its library's import and its HTTP
connection pool, which GradioUI also makes before serving). The rest is warmed on one background thread right after
the server answers (`Warmup.run_after`), in the order a first turn needs it: the tools' modules, the team's rendered
prompts and tool validation, the modules a turn imports on first use, the exchange calendar and the forecast library.
A turn that arrives meanwhile waits only for what it needs: a module half imported by the warm-up is finished by
Python's import lock, the shared model client by its own lock, and nothing is made twice.

Every step is timed and a failing step is logged and skipped (a warm-up never stops the app); `report()` gives the
figures for the start-up log.
"""

from __future__ import annotations

import importlib
import logging
import threading
import time
from collections.abc import Callable

log = logging.getLogger(__name__)

# Modules a first turn imports on first use (rendering, provenance, streaming, charts): loading them here keeps them
# off the first visitor's path.
FIRST_TURN_MODULES = (
    "chat.runner", "chat.rendering", "chat.evidence", "provenance.check", "provenance.figures",
    "smolagents.local_python_executor", "plotly.graph_objects", "plotly.io",
)


def import_first_turn_modules() -> None:
    for name in FIRST_TURN_MODULES:
        try:
            importlib.import_module(name)
        except ImportError:  # a module another version renamed: a warm-up is an optimisation, never a failure
            log.debug("warm-up: %s not importable", name)


def compile_prompt_templates() -> None:
    """Parse the agents' prompt files and compile every template in them (~0.5 s on 2 cores), as the first team
    build would; rendering with the session's tools is left to it (a few milliseconds)."""
    from agents.prompts import load_prompts, smolagents_templates, trader_templates
    from agents.template_cache import compiled

    load_prompts()

    def strings(value):
        if isinstance(value, str):
            yield value
        elif isinstance(value, dict):
            for item in value.values():
                yield from strings(item)

    for templates in (smolagents_templates("code_agent.yaml"), smolagents_templates("toolcalling_agent.yaml"),
                      trader_templates()):
        for template in strings(templates):
            compiled(template)


REHEARSAL_CHUNKS = (
    {"choices": [{"index": 0, "delta": {"role": "assistant", "content": "ok"}, "finish_reason": None}]},
    {"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]},
    {"choices": [], "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}},
)


def rehearse_openai_stream() -> None:
    """One streamed chat completion through the app's own OpenAI model class and the real client library, answered
    in memory (an httpx mock transport: no network, no tokens, no trace). The client library builds its request and
    response types on first use (~0.3 s on 2 cores); after this, the first visitor's call does not."""
    import json

    import openai
    from openinference.instrumentation import suppress_tracing
    from smolagents.models import ChatMessage, MessageRole

    from agents.models import openai_model_class

    try:
        import httpx2 as httpx  # what this openai release is built on
    except ImportError:  # pragma: no cover - other releases use httpx itself
        import httpx

    def answer(request):
        events = [{"id": "warm-up", "object": "chat.completion.chunk", "created": 0, "model": "warm-up", **chunk}
                  for chunk in REHEARSAL_CHUNKS]
        body = "".join(f"data: {json.dumps(event)}\n\n" for event in events) + "data: [DONE]\n\n"
        return httpx.Response(200, headers={"content-type": "text/event-stream"}, content=body.encode())

    http_client = openai.DefaultHttpxClient(transport=httpx.MockTransport(answer))
    model = openai_model_class()(model_id="warm-up", api_base="http://warm-up.invalid/v1", api_key="warm-up",
                                 client_kwargs={"http_client": http_client, "max_retries": 0})
    try:
        with suppress_tracing():
            list(model.generate_stream([ChatMessage(role=MessageRole.USER, content=[{"type": "text", "text": "hi"}])]))
    finally:
        http_client.close()


class Warmup:
    """Named steps run in order on one daemon thread; their durations in seconds are kept for the log."""

    def __init__(self, steps: list[tuple[str, Callable[[], object]]]):
        self.steps = list(steps)
        self.durations: dict[str, float] = {}
        self.failed: dict[str, str] = {}
        self.done = threading.Event()
        self.cancelled = threading.Event()  # the app is closing: steps not begun are skipped
        self._thread: threading.Thread | None = None

    def run(self) -> None:
        for name, step in self.steps:
            if self.cancelled.is_set():
                break
            start = time.perf_counter()
            try:
                step()
            except Exception as exc:  # noqa: BLE001 - logged; the turn that needs it will say what is wrong
                self.failed[name] = f"{type(exc).__name__}: {exc}"
                log.warning("warm-up step %r failed: %s", name, self.failed[name])
            self.durations[name] = time.perf_counter() - start
        self.done.set()
        log.info("Warm-up done: %s", self.report())

    def run_after(self, ready: threading.Event, wait_s: float = 120.0) -> threading.Thread:
        """Run on a background thread once `ready` is set (the server answers), so start-up is not slowed."""

        def after() -> None:
            ready.wait(wait_s)
            self.run()

        self._thread = threading.Thread(target=after, name="warm-up", daemon=True)
        self._thread.start()
        return self._thread

    def cancel(self) -> None:
        self.cancelled.set()

    def report(self) -> str:
        parts = [f"{name} {seconds:.2f} s" + (" (failed)" if name in self.failed else "")
                 for name, seconds in self.durations.items()]
        return ", ".join(parts) or "nothing yet"
