"""Text helpers every layer uses: one way to cut text, one way to find and remove secrets.

A secret can travel in many spellings: as is, reversed, base64 (standard or
URL-safe, padded or not, at any byte offset inside a longer encoded string),
hex (either case), or URL-encoded. `secret_spellings` lists them;
`carries_secret` says whether a text (a URL, a query, a message) contains any of
them, also after undoing URL-encoding; `scrub` replaces every one with `***`.
Secrets shorter than `MIN_ENCODED_LENGTH` are matched only as they are (their
encodings are too short to tell apart from ordinary text).
"""

from __future__ import annotations

import base64
import re
import threading
from collections.abc import Iterable
from functools import lru_cache
from urllib.parse import quote, quote_plus, unquote, unquote_plus

MASK = "***"
MIN_ENCODED_LENGTH = 8


def cap(text: object, limit: int, *, note: str = "truncated {n} characters") -> str:
    """`text` cut to `limit` characters, saying how much was cut (`note` may use `{n}`)."""
    text = str(text)
    if len(text) <= limit:
        return text
    return text[:limit] + "\n…[" + note.format(n=len(text) - limit) + "]"


def _base64_cores(raw: bytes) -> set[str]:
    """The base64 characters that depend only on `raw`, for `raw` starting at each of the 3 byte offsets.

    `base64(prefix + raw + suffix)` contains one of these whatever the prefix and suffix are.
    """
    cores: set[str] = set()
    for offset in range(3):
        encoded = base64.b64encode(b"\0" * offset + raw).decode()
        start = -(-8 * offset // 6)  # first character made only of `raw`'s bits
        end = (8 * (offset + len(raw))) // 6  # characters after this one mix in the following bytes
        core = encoded[start:end]
        cores.add(core)
        cores.add(core.translate(str.maketrans("+/", "-_")))
    return cores


def secret_spellings(secret: str) -> tuple[set[str], set[str]]:
    """(exact spellings, hex spellings matched regardless of case) of one secret."""
    if not secret:
        return set(), set()
    exact = {secret, secret[::-1]}
    hexes: set[str] = set()
    if len(secret) >= MIN_ENCODED_LENGTH:
        for form in (secret, secret[::-1]):
            raw = form.encode()
            exact.update({quote(form, safe=""), quote_plus(form, safe=""), quote(form)})
            exact.update(_base64_cores(raw))
            hexes.add(raw.hex())
            hexes.add("".join(f"%{byte:02x}" for byte in raw))  # every byte percent-encoded
    return {s for s in exact if s}, hexes


@lru_cache(maxsize=64)
def _patterns(secrets: tuple[str, ...]) -> tuple[re.Pattern | None, re.Pattern | None]:
    exact: set[str] = set()
    hexes: set[str] = set()
    for secret in secrets:
        e, h = secret_spellings(secret)
        exact |= e
        hexes |= h

    def compile_(words: set[str], flags: int = 0) -> re.Pattern | None:
        if not words:
            return None
        return re.compile("|".join(re.escape(w) for w in sorted(words, key=len, reverse=True)), flags)

    return compile_(exact), compile_(hexes, re.IGNORECASE)


def _key(secrets: Iterable[str]) -> tuple[str, ...]:
    return tuple(sorted({s for s in secrets if s}))


def scrub(text: str, secrets: Iterable[str], mask: str = MASK) -> str:
    """`text` with every spelling of every secret replaced by `mask`."""
    if not text:
        return text
    exact, hexes = _patterns(_key(secrets))
    for pattern in (exact, hexes):
        if pattern is not None:
            text = pattern.sub(lambda _: mask, text)
    return text


def carries_secret(text: str, secrets: Iterable[str]) -> bool:
    """True when `text`, as is or URL-decoded (once or twice), contains any spelling of any secret."""
    if not text:
        return False
    exact, hexes = _patterns(_key(secrets))
    if exact is None:
        return False
    forms = {text, unquote(text), unquote_plus(text)}
    forms |= {unquote_plus(form) for form in list(forms)}
    return any(p is not None and p.search(form) for form in forms for p in (exact, hexes))


class SecretBook:
    """Every secret value this process knows, for scrubbing and egress checks; thread-safe.

    Settings' secrets are added as `lasting`; a visitor's own token is added when their turn
    starts and is forgotten only after `limit` newer tokens (spans are exported and logs written
    after the turn, so it must outlive the turn).
    """

    def __init__(self, limit: int = 1024):
        self.limit = limit
        self._lasting: dict[str, None] = {}
        self._recent: dict[str, None] = {}  # insertion-ordered: the oldest is forgotten first
        self._lock = threading.Lock()

    def add(self, value: str, *, lasting: bool = False) -> None:
        if not value:
            return
        with self._lock:
            if lasting:
                self._lasting[value] = None
                return
            self._recent.pop(value, None)
            self._recent[value] = None
            while len(self._recent) > self.limit:
                self._recent.pop(next(iter(self._recent)))

    def values(self) -> tuple[str, ...]:
        with self._lock:
            return (*self._lasting, *self._recent)


KNOWN_SECRETS = SecretBook()
