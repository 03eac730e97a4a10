"""A scripted stand-in for the LLM, in the way smolagents' own tests fake models.

`ScriptedModel` is a real `smolagents.Model` subclass: agents call its
`generate()` exactly as they call a hosted model, and it answers from a script.
Each script entry is one model reply:

- a `str`: the assistant's text, e.g. "Thought: ...\n<code>\nfinal_answer(1)\n</code>"
  for a `CodeAgent`;
- `call(tool_name, **arguments)`: a tool call, for a `ToolCallingAgent`;
- an `Exception` instance: raised from `generate()` (a provider failing);
- `Slow(seconds, reply)`: sleeps first (a slow provider), then answers `reply`;
- a callable `(messages) -> reply`: computes the reply from what the model was sent.

When the script runs out, `default` is answered (a final answer by default) so
a looping agent terminates. Every call's messages are kept in `self.calls`.
"""

from __future__ import annotations

import threading
import time
import uuid
from dataclasses import dataclass
from typing import Any

from smolagents.models import (
    ChatMessage,
    ChatMessageToolCall,
    ChatMessageToolCallFunction,
    MessageRole,
    Model,
)
from smolagents.monitoring import TokenUsage


@dataclass
class ToolCallReply:
    name: str
    arguments: dict


@dataclass
class Slow:
    seconds: float
    reply: Any


def call(tool_name: str, **arguments) -> ToolCallReply:
    return ToolCallReply(tool_name, arguments)


def code(source: str, thought: str = "I will run some code.") -> str:
    return f"Thought: {thought}\n<code>\n{source}\n</code>"


def final(answer: str) -> str:
    return code(f"final_answer({answer!r})", thought="I have the answer.")


class ScriptedModel(Model):
    def __init__(self, script: list[Any] | None = None, default: Any = None, model_id: str = "scripted-model",
                 input_tokens: int = 11, output_tokens: int = 7, stop_event: threading.Event | None = None):
        super().__init__(model_id=model_id)
        self.script = list(script or [])
        self.default = default if default is not None else final("(script exhausted)")
        self.calls: list[list] = []
        self.input_tokens = input_tokens
        self.output_tokens = output_tokens
        self._lock = threading.Lock()
        self._index = 0

    def _next(self):
        with self._lock:
            if self._index < len(self.script):
                reply = self.script[self._index]
                self._index += 1
                return reply
            return self.default

    def seen_text(self) -> str:
        """Everything the model was sent, flattened: for leak and memory checks."""
        parts = []
        for messages in self.calls:
            for message in messages:
                content = message.content if isinstance(message, ChatMessage) else message.get("content")
                if isinstance(content, list):
                    parts.extend(str(c.get("text", "")) for c in content if isinstance(c, dict))
                else:
                    parts.append(str(content))
        return "\n".join(parts)

    def generate(self, messages, stop_sequences=None, response_format=None, tools_to_call_from=None, **kwargs):
        with self._lock:
            self.calls.append(list(messages))
        reply = self._next()
        while True:
            if isinstance(reply, Slow):
                time.sleep(reply.seconds)
                reply = reply.reply
            elif callable(reply) and not isinstance(reply, (ToolCallReply, BaseException)):
                reply = reply(messages)
            else:
                break
        if isinstance(reply, BaseException):
            raise reply
        usage = TokenUsage(input_tokens=self.input_tokens, output_tokens=self.output_tokens)
        if isinstance(reply, ToolCallReply):
            tool_call = ChatMessageToolCall(
                id=f"call_{uuid.uuid4().hex[:8]}",
                type="function",
                function=ChatMessageToolCallFunction(name=reply.name, arguments=reply.arguments),
            )
            return ChatMessage(role=MessageRole.ASSISTANT, content="", tool_calls=[tool_call], token_usage=usage)
        return ChatMessage(role=MessageRole.ASSISTANT, content=str(reply), token_usage=usage)



class StreamingScriptedModel(ScriptedModel):
    """A `ScriptedModel` that also streams: each text reply arrives as `chunks` deltas spread over its `Slow` delay."""

    def __init__(self, *args, chunks: int = 20, **kwargs):
        super().__init__(*args, **kwargs)
        self.chunks = chunks

    def generate_stream(self, messages, stop_sequences=None, response_format=None, tools_to_call_from=None,
                        **kwargs):
        from smolagents.models import ChatMessageStreamDelta

        with self._lock:
            self.calls.append(list(messages))
        reply, delay = self._next(), 0.0
        while isinstance(reply, Slow):
            delay, reply = delay + reply.seconds, reply.reply
        if callable(reply) and not isinstance(reply, (ToolCallReply, BaseException)):
            reply = reply(messages)
        if isinstance(reply, BaseException):
            raise reply
        text = str(reply)
        size = max(1, -(-len(text) // self.chunks))
        parts = [text[i:i + size] for i in range(0, len(text), size)]
        for part in parts:
            if delay:
                time.sleep(delay / len(parts))
            yield ChatMessageStreamDelta(content=part)
        yield ChatMessageStreamDelta(content="", token_usage=TokenUsage(input_tokens=self.input_tokens,
                                                                          output_tokens=self.output_tokens))
