"""Optional headline tone from a transformers text classifier (e.g. FinBERT), off by default.

Only when SENTIMENT_MODEL names a model AND transformers is importable; the
app never needs it. Its labels are shown as that classifier's reading, never as
a measured signal (the measured reaction is in market.news_reaction).
"""

from __future__ import annotations

import importlib.util
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

_LOCK = threading.Lock()
_LOADED: dict[str, Any] = {}


@dataclass(frozen=True)
class ToneReader:
    """Labels headlines with a classifier; `reason` says why it is off when `classify` is None."""

    model: str
    classify: Callable[[list[str]], list[str]] | None
    reason: str

    def read(self, titles: list[str]) -> tuple[list[str] | None, str]:
        """(one label per title, "") or (None, why there are none). Never raises: tone is optional."""
        if self.classify is None:
            return None, self.reason
        try:
            return self.classify(titles), ""
        except Exception as exc:  # a model that cannot load or run must not break the news
            return None, f"the classifier {self.model} failed ({type(exc).__name__}: {str(exc)[:200]})"


def tone_reader(model_name: str) -> ToneReader:
    """The classifier named by SENTIMENT_MODEL, or an off reader saying why (no setting, no transformers)."""
    name = (model_name or "").strip()
    if not name:
        return ToneReader("", None, "no SENTIMENT_MODEL configured")
    if importlib.util.find_spec("transformers") is None:
        return ToneReader(name, None, f"SENTIMENT_MODEL={name} is set but transformers is not installed")

    def classify(titles: list[str]) -> list[str]:
        with _LOCK:
            if name not in _LOADED:
                from transformers import pipeline

                _LOADED[name] = pipeline("text-classification", model=name)
            pipe = _LOADED[name]
        return [str(result["label"]).lower() for result in pipe([t[:512] for t in titles])]

    return ToneReader(name, classify, "")
