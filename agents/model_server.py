"""What the app knows about one model server: its context window and its dialect, learned once and remembered.

One `ServerProfile` per server (`profile_for(key)`, the key being its API base or model id), shared by the models
of every role and every session that use it:

- the context window: `MODEL_CONTEXT_TOKENS` when set, else asked from the server where it says (llama.cpp
  `GET /props`, vLLM `GET /v1/models` `max_model_len`, Ollama `POST /api/show`), else a safe default;
- the dialect: message content as plain strings (llama-cpp-python's request schema wants them), no `stream_options`
  or `tool_choice` where refused, whether it ignores stop sequences, whether it streams;
- a `TokenCounter` calibrated by the server's own usage figures.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from typing import Any

from agents.context_budget import TokenCounter
from agents.model_errors import classify

log = logging.getLogger(__name__)

DEFAULT_CONTEXT_TOKENS = 8192  # a local server that does not say: llama-server's and most small models' window
OLLAMA_DEFAULT_CONTEXT = 4096  # Ollama's documented default on machines with under 24 GiB of VRAM
PROBE_TIMEOUT_S = 5.0


@dataclass
class ServerProfile:
    key: str
    context_tokens: int | None = None  # None: not known yet (asked on first use); 0: no budget at all
    probe: Any = None  # a zero-argument callable returning the window or None
    streams: bool = True
    flatten: bool = False
    no_stream_options: bool = False
    no_tool_choice: bool = False
    ignores_stop: bool = False
    window_source: str = ""
    counter: TokenCounter = field(default_factory=TokenCounter)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _local: threading.local = field(default_factory=threading.local, repr=False)

    def window(self) -> int:
        with self._lock:
            if self.context_tokens is None:
                found = None
                if self.probe is not None:
                    try:
                        found = self.probe()
                    except Exception as exc:  # the server does not say: the default
                        log.info("context window of %s not found: %s", self.key, type(exc).__name__)
                self.context_tokens, self.window_source = (found, "server") if found else \
                    (DEFAULT_CONTEXT_TOKENS, "default")
            return self.context_tokens

    def learn(self, exc: BaseException) -> bool:
        """Whether `exc` shows a dialect difference not yet known (now remembered): then a retry can succeed."""
        text = str(exc).lower()
        with self._lock:
            if classify(exc) == "dialect" and "valid string" in text and not self.flatten:
                self.flatten = True
                return True
            if "stream_options" in text and not self.no_stream_options:
                self.no_stream_options = True
                return True
            if "tool_choice" in text and not self.no_tool_choice:
                self.no_tool_choice = True
                return True
        return False

    # -- the response being streamed in this thread (closed on a deadline) ---------------------------
    def keep_stream(self, response: Any) -> None:
        self._local.stream = response

    def take_stream(self) -> Any:
        response = getattr(self._local, "stream", None)
        self._local.stream = None
        return response


_PROFILES: dict[str, ServerProfile] = {}
_PROFILES_LOCK = threading.Lock()


def profile_for(key: str, context_tokens: int = 0, probe: Any = None) -> ServerProfile:
    """The one profile of server `key`; `context_tokens` (a setting, 0 = ask) decides its window when set."""
    with _PROFILES_LOCK:
        profile = _PROFILES.get(key)
        if profile is None:
            profile = _PROFILES[key] = ServerProfile(key=key, context_tokens=context_tokens or None, probe=probe,
                                                     window_source="setting" if context_tokens else "")
        return profile


def forget_profiles() -> None:
    """Tests: every server is new again."""
    with _PROFILES_LOCK:
        _PROFILES.clear()


# -- asking a server its window -----------------------------------------------------------------------------------
def ask_window(api_base: str, model_id: str, api_key: str = "") -> int | None:
    """The context window `api_base` states for `model_id`: llama.cpp, vLLM and Ollama each say it their way."""
    import requests

    root = api_base.rstrip("/")
    root = root[:-3] if root.endswith("/v1") else root
    headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
    with requests.Session() as http:
        try:  # llama.cpp's llama-server
            answer = http.get(f"{root}/props", headers=headers, timeout=PROBE_TIMEOUT_S)
            if answer.ok:
                n_ctx = (answer.json().get("default_generation_settings") or {}).get("n_ctx")
                if isinstance(n_ctx, int) and n_ctx > 0:
                    return n_ctx
        except (requests.RequestException, ValueError, AttributeError):
            pass
        try:  # vLLM (and others listing max_model_len)
            answer = http.get(f"{root}/v1/models", headers=headers, timeout=PROBE_TIMEOUT_S)
            if answer.ok:
                for entry in answer.json().get("data") or []:
                    if entry.get("id") == model_id and isinstance(entry.get("max_model_len"), int):
                        return entry["max_model_len"]
        except (requests.RequestException, ValueError, AttributeError):
            pass
        try:  # Ollama: its runtime window is num_ctx when the model sets it, else Ollama's default
            answer = http.post(f"{root}/api/show", json={"model": model_id}, headers=headers, timeout=PROBE_TIMEOUT_S)
            info = answer.json() if answer.ok else {}
            if isinstance(info, dict) and ("model_info" in info or "modelfile" in info):  # Ollama's own answer
                for line in str(info.get("parameters") or "").splitlines():
                    parts = line.split()
                    if len(parts) == 2 and parts[0] == "num_ctx" and parts[1].isdigit():
                        return int(parts[1])
                trained = [v for k, v in (info.get("model_info") or {}).items() if k.endswith(".context_length")]
                return min([OLLAMA_DEFAULT_CONTEXT, *[v for v in trained if isinstance(v, int)]])
        except (requests.RequestException, ValueError, AttributeError):
            pass
    return None
