"""Compile each of smolagents' prompt templates once per process instead of on every use.

`smolagents.agents.populate_template` builds a new `jinja2.Template` from the
same few template strings every time an agent is created or run; with a team
built per session that compilation was ~80% of a turn's CPU. `install()` swaps in
a version that keeps the compiled template per template string and renders it
exactly as smolagents does (same StrictUndefined, same error message).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from jinja2 import StrictUndefined, Template


@lru_cache(maxsize=64)
def compiled(template: str) -> Template:
    return Template(template, undefined=StrictUndefined)


def populate_template(template: str, variables: dict[str, Any]) -> str:
    try:
        return compiled(template).render(**variables)
    except Exception as e:
        raise Exception(f"Error during jinja template rendering: {type(e).__name__}: {e}") from e


def install() -> None:
    """Idempotent; called when the app's services are built, never at import."""
    import smolagents.agents

    if smolagents.agents.populate_template is not populate_template:
        smolagents.agents.populate_template = populate_template
