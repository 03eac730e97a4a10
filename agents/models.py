"""Choosing the LLM from settings.

Three backends, picked by `MODEL_BACKEND` or, when it is empty, by what is set:
`OPENAI_API_BASE` (any OpenAI-compatible server: OpenAI, Ollama, vLLM,
llama.cpp), `MODEL_ID` starting with `litellm/` (any LiteLLM model id; its keys
come from LiteLLM's own variables), or `HF_TOKEN` (Hugging Face Inference
Providers). With none of these, there is no model: the app still runs and
slash commands work.
"""

from __future__ import annotations

import copy
import threading
from dataclasses import dataclass
from typing import Any

from agents.model_server import ask_window, profile_for
from agents.streaming import StreamFallback, streaming
from core.settings import Settings

DEFAULT_HF_MODEL = "Qwen/Qwen3-Coder-480B-A35B-Instruct"
HOSTED_CONTEXT_TOKENS = 32_768  # Inference Providers and LiteLLM models do not say: a window they all have
# Output cap of one model call per role when MODEL_MAX_OUTPUT_TOKENS is 0: a code step with its thought is well
# under it; the web agent's tool calls are shorter.
ROLE_MAX_OUTPUT_TOKENS = {"manager": 1536, "trader": 1536, "web_agent": 1024}
# The trader's instructions (~12,900 characters, the largest of the team; tests/test_prompt_size.py) are about
# 3,900 tokens; with a task, one step and its output cap the team needs this much (docs/local-models.md).
TEAM_MIN_CONTEXT_TOKENS = 6144

HOW_TO_CONFIGURE = (
    "No language model is configured, so the AI team is off; slash commands still work (try `/help`).\n\n"
    "Set one of these (as Space secrets or environment variables) and restart:\n"
    "- `HF_TOKEN` for Hugging Face Inference Providers (optionally `MODEL_ID`, `HF_PROVIDER`);\n"
    "- `OPENAI_API_BASE` + `OPENAI_API_KEY` + `MODEL_ID` for any OpenAI-compatible server "
    "(OpenAI, Ollama, vLLM, llama.cpp);\n"
    "- `MODEL_ID=litellm/<provider>/<model>` plus that provider's key for LiteLLM."
)


@dataclass(frozen=True)
class ModelChoice:
    backend: str  # "hf" | "openai" | "litellm" | "none"
    model_id: str
    problem: str = ""  # why there is no model, for the UI

    @property
    def available(self) -> bool:
        return self.backend != "none"

    def label(self) -> str:
        return f"{self.model_id} ({self.backend})" if self.available else "not configured"


def choose_model(settings: Settings) -> ModelChoice:
    backend = settings.model_backend
    model_id = settings.model_id
    if not backend:
        if settings.openai_api_base:
            backend = "openai"
        elif model_id.startswith("litellm/"):
            backend = "litellm"
        elif settings.hf_token:
            backend = "hf"
        else:
            return ModelChoice("none", "", HOW_TO_CONFIGURE)
    if backend == "openai":
        if not settings.openai_api_base or not model_id:
            return ModelChoice(
                "none", "", "MODEL_BACKEND=openai needs OPENAI_API_BASE and MODEL_ID.\n\n" + HOW_TO_CONFIGURE
            )
        return ModelChoice("openai", model_id)
    if backend == "litellm":
        model_id = model_id.removeprefix("litellm/")
        if not model_id:
            return ModelChoice("none", "", "MODEL_BACKEND=litellm needs MODEL_ID.\n\n" + HOW_TO_CONFIGURE)
        return ModelChoice("litellm", model_id)
    if not settings.hf_token:
        return ModelChoice("none", "", "MODEL_BACKEND=hf needs HF_TOKEN.\n\n" + HOW_TO_CONFIGURE)
    return ModelChoice("hf", model_id or DEFAULT_HF_MODEL)


_clients: dict[tuple, Any] = {}
_clients_lock = threading.Lock()


def shared_openai_client(client_kwargs: dict[str, Any]):
    """One `openai.OpenAI` per server, key and options, shared by every session's models.

    A client costs ~45 ms to make (its TLS context loads the CA bundle) and owns the HTTP connection pool, so a
    client per session put that on every new visitor's first request and opened a new connection each time. The
    client is thread-safe (httpx). Made under a lock, so a turn arriving during start-up's warm-up waits for the
    one being made instead of making a second.
    """
    key = tuple(sorted((name, repr(value)) for name, value in client_kwargs.items()))
    with _clients_lock:
        client = _clients.get(key)
        if client is None:
            import openai

            client = _clients[key] = openai.OpenAI(**client_kwargs)
            _ = client.chat.completions  # its resource modules load lazily, on the first request otherwise
        return client


class SharedClient:
    """Mixin for smolagents' `OpenAIModel`: `create_client` takes the process's shared client (no model method is
    defined here, so telemetry still instruments the base class's calls)."""

    def create_client(self):
        if self.client_kwargs.get("http_client") is not None:  # a client of its own (the warm-up's rehearsal)
            import openai

            return openai.OpenAI(**self.client_kwargs)
        return shared_openai_client(self.client_kwargs)


_OPENAI_CLASS: list[type] = []


def openai_model_class() -> type:
    """smolagents' `OpenAIModel` with the stream fallback and the shared client (one class, made once)."""
    if not _OPENAI_CLASS:
        from smolagents import OpenAIModel

        _OPENAI_CLASS.append(type("OpenAIModel", (SharedClient, streaming(OpenAIModel)), {"__module__": __name__}))
    return _OPENAI_CLASS[0]


def build_model(settings: Settings, choice: ModelChoice | None = None):
    """The smolagents model for `choice` (default: `choose_model(settings)`), or None."""
    choice = choice or choose_model(settings)
    timeout = int(settings.model_timeout_s)
    if choice.backend == "openai":
        api_key = settings.openai_api_key.reveal() or "not-needed"
        model = openai_model_class()(
            model_id=choice.model_id,
            api_base=settings.openai_api_base,
            api_key=api_key,
            client_kwargs={"timeout": timeout, "max_retries": 1},
        )
        profile = profile_for(f"{settings.openai_api_base}|{choice.model_id}", settings.model_context_tokens,
                              probe=lambda: ask_window(settings.openai_api_base, choice.model_id, api_key))
        speak_dialect(model, profile)
        return bounded(model, settings, choice.model_id, profile)
    if choice.backend == "litellm":
        from smolagents import LiteLLMModel

        model = streaming(LiteLLMModel)(model_id=choice.model_id, timeout=timeout)
        return bounded(model, settings, choice.model_id, profile_for(
            f"litellm|{choice.model_id}", settings.model_context_tokens or HOSTED_CONTEXT_TOKENS))
    if choice.backend == "hf":
        return _hf_model(settings, choice.model_id, settings.hf_token.reveal())
    return None


def bounded(model: Any, settings: Settings, label: str, profile: Any) -> Any:
    """`model` with the call bounds of settings: the total deadline, the output cap, the server's profile."""
    model.deadline_s = float(settings.model_timeout_s)
    model.model_label = label
    model.server = profile
    if settings.model_max_output_tokens:
        model.kwargs = {**model.kwargs, "max_tokens": settings.model_max_output_tokens}
    return model


def for_role(model: Any, role: str, settings: Settings) -> Any:
    """The model one role of the team uses: the same model, with that role's output cap (same server profile)."""
    if not isinstance(model, StreamFallback) or getattr(model, "server", None) is None \
            or settings.model_max_output_tokens or role not in ROLE_MAX_OUTPUT_TOKENS:
        return model  # not one of ours (a test's scripted model), or one cap for every role
    if "max_tokens" in (model.kwargs or {}):
        return model
    role_model = copy.copy(model)
    role_model.kwargs = {**model.kwargs, "max_tokens": ROLE_MAX_OUTPUT_TOKENS[role]}
    return role_model


def speak_dialect(model: Any, profile: Any) -> None:
    """Route the OpenAI client's chat requests through the server's learned dialect, and keep the streamed
    response of this thread so a deadline can close it."""
    completions = model.client.chat.completions
    if getattr(completions, "smol_dialect", None) is profile:
        return  # the shared client of this server already speaks it (agents.models.shared_openai_client)
    original = completions.create

    def create(*args, **kwargs):
        if profile.no_stream_options:
            kwargs.pop("stream_options", None)
        if profile.no_tool_choice:
            kwargs.pop("tool_choice", None)
        response = original(*args, **kwargs)
        if kwargs.get("stream"):
            profile.keep_stream(response)
        return response

    completions.create = create
    completions.smol_dialect = profile


def window_problem(settings: Settings, choice: ModelChoice) -> str | None:
    """At start-up: why the configured OpenAI-compatible server's window is too small for the team, or None.

    Asks the server (see agents/model_server.py) unless MODEL_CONTEXT_TOKENS is set; the same profile serves the
    chat afterwards, so the question is asked once.
    """
    if choice.backend != "openai":
        return None
    api_key = settings.openai_api_key.reveal() or "not-needed"
    profile = profile_for(f"{settings.openai_api_base}|{choice.model_id}", settings.model_context_tokens,
                          probe=lambda: ask_window(settings.openai_api_base, choice.model_id, api_key))
    window = profile.window()
    if window >= TEAM_MIN_CONTEXT_TOKENS:
        return None
    return (f"{choice.model_id} has a context window of {window:,} tokens ({profile.window_source}); the team needs "
            f"at least {TEAM_MIN_CONTEXT_TOKENS:,} (8,192 or more for conversations). Run the model with a larger "
            "context (llama-server --ctx-size 16384, llama-cpp-python --n_ctx 16384, Ollama "
            "OLLAMA_CONTEXT_LENGTH=16384, vLLM --max-model-len) and set MODEL_CONTEXT_TOKENS to it.")


def check_window_in_background(settings: Settings, choice: ModelChoice, log: Any) -> None:
    """`window_problem` in its own thread (start-up does not wait for a server), logged as a warning."""
    import threading

    def check() -> None:
        problem = window_problem(settings, choice)
        if problem:
            log.warning("model context too small: %s", problem)

    threading.Thread(target=check, name="model-window-check", daemon=True).start()


def _hf_model(settings: Settings, model_id: str, token: str):
    from smolagents import InferenceClientModel

    model = streaming(InferenceClientModel)(model_id=model_id, provider=settings.hf_provider or None, token=token,
                                             timeout=int(settings.model_timeout_s))
    return bounded(model, settings, model_id, profile_for(
        f"hf|{settings.hf_provider}|{model_id}", settings.model_context_tokens or HOSTED_CONTEXT_TOKENS))


def build_visitor_model(settings: Settings, token: str):
    """A model on Hugging Face Inference Providers billed to a signed-in visitor's own token.

    The owner's model when it is an HF model, else the default one. The token is only the client's
    credential; callers keep it in the turn's scrub list.
    """
    choice = choose_model(settings)
    return _hf_model(settings, choice.model_id if choice.backend == "hf" else DEFAULT_HF_MODEL, token)
