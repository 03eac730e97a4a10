"""Gradio reads each component's constructor signature every time it describes the component; here it is read once.

Gradio describes every block of the page (`Block.get_config`) for each new session (its per-session copy of the
page's configuration, `gradio.state_holder.SessionState`) and for every `/config` a page or API client fetches, and
each description starts with `inspect.signature(cls.__init__)`. With the ~70 blocks of this page that was half the
cost of a new session: ~3 ms on an idle 2-core machine, more under load, on every new visitor's first event.

`inspect.signature` returns a function's `__signature__` when it has one (PEP 362); `remember_signatures(demo)`
stores there, for each constructor of the page's component classes, the very signature inspect computes, so
Gradio's descriptions are unchanged (tests/test_component_signatures.py compares them) and only faster.
"""

from __future__ import annotations

import inspect
from typing import Any


def page_constructors(demo: Any) -> set:
    """The constructors (plain functions) of every class and base class of `demo`'s blocks."""
    return {init for cls in {type(block) for block in demo.blocks.values()} for klass in cls.__mro__
            if inspect.isfunction(init := vars(klass).get("__init__"))}


def remember_signatures(demo: Any) -> int:
    """Store `inspect.signature` on each of `page_constructors(demo)`; returns how many got one (idempotent: a
    constructor that has a signature already is left alone)."""
    missing = [init for init in page_constructors(demo) if "__signature__" not in vars(init)]
    for init in missing:
        init.__signature__ = inspect.signature(init)
    return len(missing)
