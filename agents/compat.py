"""Every process-wide change we make to a library, in one place, checked against the versions we pin.

`install()` runs once when the app's services are built (never at import):
- smolagents' prompt templates are compiled once per process (agents/template_cache.py);
- smolagents' console display of streamed model output is switched off: with `stream_outputs=True` it opens a
  `rich.live.Live` on the agent's console for every model call and re-parses the whole growing text as Markdown for
  every streamed chunk (~1.5 ms a chunk at 2 kB), though our agents never print (verbosity OFF). The chat shows the
  stream instead.
"""

from __future__ import annotations

import importlib.metadata
import warnings
from typing import Any

PINNED = {"smolagents": "1.26.0"}


class QuietLive:
    """Stands in for `rich.live.Live` inside smolagents' step loop: a context manager that displays nothing."""

    def __init__(self, *args: Any, **kwargs: Any):
        pass

    def __enter__(self) -> QuietLive:
        return self

    def __exit__(self, *exc: Any) -> None:
        return None

    def update(self, *args: Any, **kwargs: Any) -> None:
        pass


def no_markdown(text: str) -> None:
    """Stands in for `rich.markdown.Markdown` where smolagents builds one only to hand it to `Live.update`."""
    return None


def install() -> None:
    """Idempotent."""
    import smolagents.agents

    from agents import template_cache

    for name, version in PINNED.items():
        installed = importlib.metadata.version(name)
        if installed != version:
            warnings.warn(f"agents/compat.py patches {name} {version}; {installed} is installed: check the patches",
                          stacklevel=2)
    template_cache.install()
    smolagents.agents.Live = QuietLive
    smolagents.agents.Markdown = no_markdown
