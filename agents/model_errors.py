"""What went wrong in a model call, told truthfully: one kind per cause, one plain message per kind.

`classify(exc)` reads a model client's error (openai, LiteLLM, huggingface_hub, or ours) and says which kind it is;
`describe(exc, model)` is the message the chat shows. Retrying helps only an overloaded or unreachable server, so
only those messages say "try again"; a context overflow, an unknown model or a refused parameter say what to change.
The raw text of a server's error is never shown whole (a pydantic dump can carry the start of the system prompt).
"""

from __future__ import annotations

import re

from core.errors import UserError


class ModelCallError(UserError):
    """A model call we ended ourselves, or one whose failure we understood: `user_message` says what happened."""

    kind = "model"


class ModelDeadlineError(ModelCallError):
    kind = "deadline"


class ModelOutputCapError(ModelCallError):
    kind = "output_cap"


class ModelRepeatingError(ModelCallError):
    kind = "repeating"


class ContextTooSmallError(ModelCallError):
    """Even the team's instructions (plus the newest message) do not fit the model's context window."""

    kind = "context_too_small"


class ModelFormatError(ModelCallError):
    """The model failed the team's code format again after being told it in plain words."""

    kind = "format"


def status_of(exc: BaseException) -> int | None:
    """The HTTP status of a model client's error (openai, LiteLLM, huggingface_hub, httpx, requests), if any."""
    for holder in (exc, getattr(exc, "response", None)):
        for name in ("status_code", "status"):
            value = getattr(holder, name, None)
            if isinstance(value, int) and 100 <= value <= 599:
                return value
    return None


def _text(exc: BaseException) -> str:
    body = getattr(exc, "body", None)
    parts = [str(exc)]
    if isinstance(body, dict):
        parts.append(str(body.get("message") or body.get("error") or ""))
    return " ".join(parts).lower()


CONTEXT_WORDS = ("exceeds the available context size", "context length", "context_length_exceeded",
                 "maximum context", "context window", "too many tokens", "prompt is too long", "n_ctx",
                 "exceed_context_size_error", "input is too long", "reduce the length")
MODEL_WORDS = ("model_not_found", "does not exist", "unknown model", "no such model", "model not found")
VALIDATION_WORDS = ("validation error", "input should be a valid")
PARAMETER_WORDS = ("unsupported parameter", "unrecognized request argument", "extra inputs are not permitted",
                   "extra_forbidden", "is not supported", "unknown parameter", "invalid parameter",
                   "unsupported_parameter", "not allowed")
OVERLOADED_WORDS = ("overloaded", "rate limit", "too many requests", "no slot", "server is busy", "unavailable",
                    "loading model", "try again")


def classify(exc: BaseException) -> str:
    """One of: deadline, output_cap, repeating, context_too_small, format (ours), context, unknown_model,
    dialect (a request schema the server refuses: content parts, a parameter), parameter, overloaded,
    unreachable, other."""
    if isinstance(exc, ModelCallError):
        return exc.kind
    status = status_of(exc)
    text = _text(exc)
    if any(word in text for word in CONTEXT_WORDS):
        return "context"
    if any(word in text for word in MODEL_WORDS) or (status == 404 and "model" in text):
        return "unknown_model"
    if any(word in text for word in VALIDATION_WORDS):
        return "dialect"
    if any(word in text for word in PARAMETER_WORDS) or status in (400, 422):
        return "parameter"
    if status in (408, 429, 502, 503, 504) or any(word in text for word in OVERLOADED_WORDS):
        return "overloaded"
    names = " ".join(cls.__name__.lower() for cls in type(exc).__mro__)
    if "timeout" in names or "connection" in names or isinstance(exc, (TimeoutError, ConnectionError)):
        return "unreachable"
    return "other"


def requested_tokens(exc: BaseException) -> int | None:
    """The request size a context-overflow error states (llama.cpp: "request (13,357 tokens) exceeds …")."""
    match = re.search(r"\(?([\d,]+) tokens\)? exceeds", str(exc)) or re.search(
        r"requested (?:about )?([\d,]+) tokens", str(exc)) or re.search(r"resulted in ([\d,]+) tokens", str(exc))
    return int(match.group(1).replace(",", "")) if match else None


def parameter_named(exc: BaseException) -> str | None:
    for name in ("stream_options", "tool_choice", "max_tokens", "stop", "response_format", "tools"):
        if name in str(exc):
            return name
    return None


def describe(exc: BaseException, model: str = "the model") -> str:
    """The chat's message for a failed model call (`exc` may be smolagents' wrapper: its cause is read)."""
    cause = exc
    while not isinstance(cause, ModelCallError) and cause.__cause__ is not None:
        cause = cause.__cause__
    kind = classify(cause)
    if isinstance(cause, ModelCallError):
        return cause.user_message
    status = status_of(cause)
    first = str(cause).strip().splitlines()[0] if str(cause).strip() else type(cause).__name__
    said = f" (HTTP {status})" if status else ""
    if kind == "context":
        size = requested_tokens(cause)
        stated = f" ({size:,} tokens)" if size else ""
        return (f"📏 The request{stated} did not fit {model}'s context window. The team now sends less of the "
                "conversation; your next message will work. If this keeps happening, raise the server's context "
                "(e.g. llama-server `--ctx-size`, Ollama `OLLAMA_CONTEXT_LENGTH`) and set `MODEL_CONTEXT_TOKENS`.")
    if kind == "unknown_model":
        return (f"🔎 The model server does not know the model {model}{said}. Set `MODEL_ID` to a model it serves "
                "(its `/v1/models` lists them) and restart. Retrying will not help.")
    if kind in ("dialect", "parameter"):
        name = parameter_named(cause)
        what = f"the parameter `{name}`" if name else "the form of the request"
        return (f"🧩 The model server refused {what} for {model}{said}. The app adapts to what it learns and the next "
                "message may work; if not, this server does not speak the OpenAI chat format closely enough.")
    if kind == "overloaded":
        return (f"⏳ The language model service failed: the server for {model} is busy or rate-limited "
                f"({f'HTTP {status}' if status else first[:120]}). Nothing was lost: your conversation is kept. "
                "Try again in a moment.")
    if kind == "unreachable":
        return (f"🔌 The language model service failed: the server for {model} did not answer in time or could not "
                f"be reached ({first[:120]}). Nothing was lost: your conversation is kept. Try again in a moment.")
    return (f"💥 The language model service failed{said}: {first[:200]}\n\n"
            "Nothing was lost: your conversation is kept.")
