"""A scripted OpenAI-compatible chat-completions server on 127.0.0.1 (the wire protocol of OpenAI, vLLM, Ollama).

`POST /v1/chat/completions` answers from `script(messages) -> reply` (the assistant's text, or a `ToolCallReply` from
tests.scripted_model). With `"stream": true` the reply goes out as server-sent events, `chunks` pieces spread over
`stream_seconds`, then a usage chunk (when `stream_options.include_usage`) and `data: [DONE]` — as OpenAI sends it.

How it treats `"stream": true` is its `stream_support`: "streams" (above), "ignores" (answers one JSON body anyway,
like servers that cannot stream) or "refuses" (answers 400 invalid_request_error, like servers that reject the
parameter). `fail_streams(status, count)` answers the next `count` streaming requests with `status` (429, 500, …),
as an overloaded or failing server does, while requests without `stream` keep being answered.

Every request is recorded (`completions`): whether it asked for a stream, whether it was answered as one, its status,
and the time its first and last chunk were written, so a test can tell whether the client saw words before the
model finished.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from standins import LocalServer
from standins.scripted_model import ToolCallReply

PROMPT_TOKENS, COMPLETION_TOKENS = 101, 23


STREAM_SUPPORT = ("streams", "ignores", "refuses")

# llama-cpp-python's server (0.3.x): its request schema (pydantic) wants each message's `content` as a string and
# answers a list of text parts with a 500 carrying the validation dump (the start of it, as reported in the issue).
LLAMA_CPP_PYTHON_CONTENT_ERROR = (
    "10 validation errors for CreateChatCompletionRequest\n"
    "messages.0.ChatCompletionRequestSystemMessage.content\n"
    "  Input should be a valid string [type=string_type, input_value=[{'type': 'text', 'text': 'You are an expert "
    "assistant who can solve any task using code blobs.'}], input_type=list]")
# llama.cpp's llama-server when a request does not fit its context (its wording, with the figures)
LLAMA_SERVER_CONTEXT_ERROR = ("request (13,357 tokens) exceeds the available context size (8192 tokens), "
                              "try increasing it")
# the same, stating the request's own size (this server counts 3 characters a token)
LLAMA_SERVER_CONTEXT_ERROR_SIZED = ("request ({tokens} tokens) exceeds the available context size (8192 tokens), "
                                    "try increasing it")


@dataclass
class Completion:
    messages: list[dict]
    requested_stream: bool  # the request's own `stream` flag
    stream: bool  # answered as server-sent events
    status: int = 200
    reply: Any = None
    first_chunk_at: float | None = None
    finished_at: float | None = None
    done: threading.Event = field(default_factory=threading.Event)

    @property
    def finished(self) -> bool:
        return self.done.is_set()


def pieces(text: str, count: int) -> list[str]:
    size = max(1, -(-len(text) // max(1, count)))
    return [text[i:i + size] for i in range(0, len(text), size)] or [""]


class OpenAICompatServer(LocalServer):
    def __init__(self, script: Callable[[list[dict]], Any], *, stream_support: str = "streams", chunks: int = 20,
                 stream_seconds: float = 2.0, ignores_stop: bool = False,
                 dialect: str = "openai"):
        if stream_support not in STREAM_SUPPORT:
            raise ValueError(f"stream_support must be one of {STREAM_SUPPORT}")
        self.script = script
        self.ignores_stop = ignores_stop  # True: `stop` sequences are not applied (some servers ignore them)
        self.stream_support = stream_support
        self._failures: list[int] = []  # statuses for the next streaming requests
        self._errors: list[tuple[int, str]] = []  # (status, message) for the next requests of any kind
        self.dialect = dialect
        self.requests: list[dict] = []  # every request body, as sent
        self.chunks = chunks
        self.stream_seconds = stream_seconds
        self.completions: list[Completion] = []
        self._lock = threading.Lock()

    def fail_requests(self, status: int, message: str, count: int = 1) -> None:
        """Answer the next `count` requests (streaming or not) with `status` and `message` (a recorded error text)."""
        with self._lock:
            self._errors += [(status, message)] * count

    def fail_streams(self, status: int, count: int = 1) -> None:
        """Answer the next `count` requests that ask for a stream with `status` and an OpenAI-style error body."""
        with self._lock:
            self._failures += [status] * count

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/v1"

    def start(self):
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}")
                if not self.path.endswith("/chat/completions"):
                    self.send_error(404)
                    return
                owner.answer(self, body)

        return self._serve(ThreadingHTTPServer(("127.0.0.1", 0), Handler), "openai-compat")

    # -- one completion -------------------------------------------------------------------
    def answer(self, handler: BaseHTTPRequestHandler, body: dict) -> None:
        requested = bool(body.get("stream"))
        completion = Completion(messages=body.get("messages", []), requested_stream=requested,
                                stream=requested and self.stream_support == "streams")
        message = None
        with self._lock:
            self.completions.append(completion)
            self.requests.append(body)
            if self._errors:
                completion.status, message = self._errors.pop(0)
                chars = sum(len(json.dumps(m.get("content"))) for m in completion.messages)
                message = message.replace("{tokens}", f"{chars // 3:,}")
            elif self.dialect == "llama-cpp-python" and any(
                    not isinstance(m.get("content"), (str, type(None))) for m in completion.messages):
                completion.status, message = 500, LLAMA_CPP_PYTHON_CONTENT_ERROR
            elif requested and self._failures:
                completion.status = self._failures.pop(0)
            elif requested and self.stream_support == "refuses":
                completion.status = 400
        try:
            if completion.status != 200:
                completion.stream = False
                self._error(handler, completion, message)
                return
            completion.reply = self.script(completion.messages)
            reply = completion.reply
            if isinstance(reply, str) and body.get("stop") and not self.ignores_stop:
                cut = min((reply.find(s) for s in body["stop"] if s and s in reply), default=-1)
                reply = reply[:cut] if cut >= 0 else reply  # as OpenAI does: the output ends before a stop sequence
            if completion.stream:
                self._stream(handler, completion, body, reply)
            else:
                self._whole(handler, completion, body, reply)
        finally:
            completion.finished_at = time.monotonic()
            completion.done.set()

    def _error(self, handler, completion: Completion, message: str | None = None) -> None:
        status = completion.status
        if message is not None:
            error = {"message": message, "type": "invalid_request_error" if status < 500 else "server_error",
                     "param": None, "code": status}
        elif status == 400:
            error = {"message": "Unsupported parameter: 'stream' is not supported with this model.",
                     "type": "invalid_request_error", "param": "stream", "code": "unsupported_parameter"}
        elif status == 429:
            error = {"message": "Rate limit reached for requests. Please try again shortly.",
                     "type": "requests", "param": None, "code": "rate_limit_exceeded"}
        else:
            error = {"message": "The server had an error while processing your request.",
                     "type": "server_error", "param": None, "code": None}
        payload = json.dumps({"error": error}).encode()
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(payload)))
        if status == 429 or status >= 500:
            handler.send_header("retry-after-ms", "10")  # a client that retries may do so at once
        handler.end_headers()
        completion.first_chunk_at = time.monotonic()
        handler.wfile.write(payload)

    def _whole(self, handler, completion: Completion, body: dict, reply: Any) -> None:
        message: dict[str, Any] = {"role": "assistant", "content": None if isinstance(reply, ToolCallReply) else reply}
        if isinstance(reply, ToolCallReply):
            message["tool_calls"] = [{"id": "call_" + uuid.uuid4().hex[:8], "type": "function",
                                      "function": {"name": reply.name, "arguments": json.dumps(reply.arguments)}}]
        payload = json.dumps({
            "id": "chatcmpl-" + uuid.uuid4().hex, "object": "chat.completion", "created": int(time.time()),
            "model": body.get("model", "scripted"),
            "choices": [{"index": 0, "message": message, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": PROMPT_TOKENS, "completion_tokens": COMPLETION_TOKENS,
                      "total_tokens": PROMPT_TOKENS + COMPLETION_TOKENS},
        }).encode()
        handler.send_response(200)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(payload)))
        handler.end_headers()
        completion.first_chunk_at = time.monotonic()
        handler.wfile.write(payload)

    def _stream(self, handler, completion: Completion, body: dict, reply: Any) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", "text/event-stream")
        handler.send_header("Cache-Control", "no-cache")
        handler.send_header("Connection", "close")
        handler.end_headers()
        chunk_id, created, model = "chatcmpl-" + uuid.uuid4().hex, int(time.time()), body.get("model", "scripted")

        def send(choices: list, usage: dict | None = None) -> None:
            event = {"id": chunk_id, "object": "chat.completion.chunk", "created": created, "model": model,
                     "choices": choices}
            if usage is not None:
                event["usage"] = usage
            handler.wfile.write(f"data: {json.dumps(event)}\n\n".encode())
            handler.wfile.flush()
            if completion.first_chunk_at is None:
                completion.first_chunk_at = time.monotonic()

        if isinstance(reply, ToolCallReply):
            deltas = [{"role": "assistant", "tool_calls": [{"index": 0, "id": "call_" + uuid.uuid4().hex[:8],
                                                           "type": "function",
                                                           "function": {"name": reply.name, "arguments": ""}}]}]
            deltas += [{"tool_calls": [{"index": 0, "function": {"arguments": part}}]}
                       for part in pieces(json.dumps(reply.arguments), self.chunks - 1)]
        else:
            deltas = [{"role": "assistant", "content": part} for part in pieces(str(reply), self.chunks)]
        pause = self.stream_seconds / max(1, len(deltas))
        for index, delta in enumerate(deltas):
            if index:
                time.sleep(pause)
            send([{"index": 0, "delta": delta, "finish_reason": None}])
        send([{"index": 0, "delta": {}, "finish_reason": "stop"}])
        if (body.get("stream_options") or {}).get("include_usage"):
            send([], {"prompt_tokens": PROMPT_TOKENS, "completion_tokens": COMPLETION_TOKENS,
                      "total_tokens": PROMPT_TOKENS + COMPLETION_TOKENS})
        handler.wfile.write(b"data: [DONE]\n\n")
        handler.wfile.flush()
