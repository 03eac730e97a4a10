"""Keeping every request within the model's context window.

`fit(messages, budget, counter)` returns the messages a request sends, never more than `budget` tokens by
`counter`, shortening in this order until they fit:

1. earlier turns become their question and answer (the task message and the last two messages of that turn);
2. older observations and outputs of the current turn keep their first and last lines;
3. earlier turns are dropped, oldest first, `DROP_BLOCK` at a time (one note says how many): the kept part then
   stays the same for the next few requests, so a local server reuses its prompt cache for it instead of reading
   the whole window again (llama-server, SmolLM2-135M on 2 cores: a 7,590-token prompt 54 s cold, 0.3 s cached);
4. older steps of the current turn are dropped, oldest first (one note says how many);
5. the current task is shortened (a member's task, a long message).

The system prompt and the newest step (the last two messages) are kept whole. When the system prompt and the task
alone do not fit, `ContextTooSmallError` says so. The agent's memory is never changed: only the request is fitted,
so a conversation that once overflowed works again on the next message.

`TokenCounter` estimates tokens from characters, calibrated by each response's real `input_tokens`.
"""

from __future__ import annotations

import dataclasses
import threading
from typing import Any

from agents.model_errors import ContextTooSmallError

PER_MESSAGE_TOKENS = 6  # role markers and separators a chat template adds around each message
SHORT_CHARS = 600  # what an older observation keeps (first and last lines)
ANSWER_CHARS = 1500  # what an earlier turn's question and answer keep each
DROP_BLOCK = 3  # earlier turns dropped together, counted from the oldest (see step 3)


class TokenCounter:
    """Characters per token, starting cautious (3.0: code and numbers tokenize densely) and learning from usage."""

    def __init__(self, chars_per_token: float = 3.0):
        self.chars_per_token = chars_per_token
        self._lock = threading.Lock()

    def tokens(self, text: str) -> int:
        return int(len(text) / self.chars_per_token) + 1

    def message_tokens(self, message: Any) -> int:
        return self.tokens(text_of(message)) + PER_MESSAGE_TOKENS

    def total(self, messages: list) -> int:
        return sum(self.message_tokens(m) for m in messages)

    def observe(self, messages: list, input_tokens: int) -> None:
        """A response's real prompt size for `messages`: the ratio follows it, kept 10 % on the safe side."""
        if input_tokens <= 0:
            return
        chars = sum(len(text_of(m)) for m in messages)
        overhead = PER_MESSAGE_TOKENS * len(messages)
        if input_tokens <= overhead or chars < 2000:  # too small to learn from
            return
        ratio = 0.9 * chars / (input_tokens - overhead)
        with self._lock:  # denser than thought: at once; lighter: slowly
            moved = ratio if ratio < self.chars_per_token else 0.7 * self.chars_per_token + 0.3 * ratio
            self.chars_per_token = max(1.5, min(6.0, moved))

    def overflowed(self, messages: list, stated_tokens: int | None) -> None:
        """The server refused `messages` as too long (stating its size, when it does): count more cautiously."""
        chars = sum(len(text_of(m)) for m in messages)
        with self._lock:
            if stated_tokens:
                self.chars_per_token = max(1.5, min(self.chars_per_token, 0.9 * chars / stated_tokens))
            else:
                self.chars_per_token = max(1.5, self.chars_per_token * 0.8)


# -- messages (smolagents ChatMessage or plain dicts) --------------------------------------------------------------
def role_of(message: Any) -> str:
    role = message.get("role") if isinstance(message, dict) else getattr(message, "role", "")
    return str(getattr(role, "value", role))


def text_of(message: Any) -> str:
    content = message.get("content") if isinstance(message, dict) else getattr(message, "content", "")
    if isinstance(content, list):
        return "\n".join(str(part.get("text", "")) for part in content if isinstance(part, dict))
    return str(content or "")


def with_text(message: Any, text: str) -> Any:
    content = message.get("content") if isinstance(message, dict) else getattr(message, "content", "")
    new = [{"type": "text", "text": text}] if isinstance(content, list) else text
    if isinstance(message, dict):
        return {**message, "content": new}
    return dataclasses.replace(message, content=new)


def note(template: Any, text: str) -> Any:
    """A user message with `text`, shaped like `template`."""
    if isinstance(template, dict):
        return {"role": "user", "content": [{"type": "text", "text": text}]}
    from smolagents.models import ChatMessage, MessageRole

    return ChatMessage(role=MessageRole.USER, content=[{"type": "text", "text": text}])


def ends(text: str, limit: int) -> str:
    """`text` within `limit` characters: its first and last lines, with a mark where the middle was."""
    if len(text) <= limit:
        return text
    half = max(1, (limit - 40) // 2)
    head, tail = text[:half], text[-half:]
    head = head[: head.rfind("\n")] if "\n" in head[half // 2:] else head
    tail = tail[tail.find("\n") + 1:] if "\n" in tail[: half // 2] else tail
    return f"{head}\n[… {len(text) - len(head) - len(tail):,} characters left out …]\n{tail}"


def is_task(message: Any) -> bool:
    return role_of(message) == "user" and text_of(message).lstrip().startswith("New task:")


# -- fitting ----------------------------------------------------------------------------------------------------------
def fit(messages: list, budget: int, counter: TokenCounter, model: str = "the model",
        window: int | None = None) -> list:
    """`messages` shortened to at most `budget` tokens by `counter` (see the module's docstring)."""
    messages = list(messages)
    if counter.total(messages) <= budget:
        return messages
    head = 1 if messages and role_of(messages[0]) == "system" else 0
    system, body = messages[:head], messages[head:]
    starts = [i for i, m in enumerate(body) if is_task(m)] or [0]
    if starts[0] != 0:
        starts = [0, *starts]
    turns = [body[a:b] for a, b in zip(starts, [*starts[1:], len(body)], strict=True)]
    earlier, current = turns[:-1], turns[-1]

    def assemble() -> list:
        out = list(system)
        if dropped_turns:
            out.append(note(current[0], f"({dropped_turns} earlier exchange(s) left out to fit the context window.)"))
        for turn in earlier:
            out += turn
        if dropped_steps:
            out += current[:1]
            out.append(note(current[0], f"({dropped_steps} earlier message(s) of this task left out to fit the "
                                        "context window.)"))
            out += current[1 + dropped_steps:]
        else:
            out += current
        return out

    dropped_turns = dropped_steps = 0

    def fits() -> bool:
        return counter.total(assemble()) <= budget

    # 1. earlier turns become question + answer
    earlier = [[with_text(m, ends(text_of(m), ANSWER_CHARS)) for m in ([t[0], *t[-2:]] if len(t) > 3 else t)]
               for t in earlier]
    if fits():
        return assemble()
    # 2. older observations and outputs of the current turn keep their first and last lines
    keep_from = max(1, len(current) - 2)
    for i in range(1, keep_from):
        current[i] = with_text(current[i], ends(text_of(current[i]), SHORT_CHARS))
        if fits():
            return assemble()
    # 3. earlier turns go, oldest first, a block at a time (the same block on the next requests: a stable prefix)
    while earlier:
        block = min(DROP_BLOCK, len(earlier))
        del earlier[:block]
        dropped_turns += block
        if fits():
            return assemble()
    # 4. older steps of the current turn go, oldest first
    while 1 + dropped_steps < keep_from:
        dropped_steps += 1
        if fits():
            return assemble()
    # 5. the task itself is shortened, to what is left
    fixed = counter.total(system) + counter.total(current[1 + dropped_steps:]) + 2 * PER_MESSAGE_TOKENS + 20
    room_chars = int((budget - fixed) * counter.chars_per_token)
    if room_chars >= 400:
        current[0] = with_text(current[0], ends(text_of(current[0]), room_chars))
        if fits():
            return assemble()
    # 6. last resort: the newest step itself keeps its first and last lines
    for i in range(1 + dropped_steps, len(current)):
        current[i] = with_text(current[i], ends(text_of(current[i]), SHORT_CHARS))
    if fits():
        return assemble()
    needed = counter.total(system) + 400
    raise ContextTooSmallError(
        f"📏 {model} has a context window of {window or budget:,} tokens, and the team's instructions with your "
        f"message need about {needed:,} (plus room for the answer). Run the model with a larger context "
        "(llama-server `--ctx-size 16384`, llama-cpp-python `--n_ctx 16384`, Ollama `OLLAMA_CONTEXT_LENGTH=16384`, "
        "vLLM `--max-model-len`) and set `MODEL_CONTEXT_TOKENS` to it, or choose a model with a larger window."
    )
