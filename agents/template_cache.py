"""Compile each of smolagents' prompt templates once per process, and render each distinct prompt once.

`smolagents.agents.populate_template` builds a new `jinja2.Template` from the
same few template strings every time an agent is created or run; with a team
built per session that compilation was ~80% of a turn's CPU. `install()` swaps in
a version that keeps the compiled template per template string and renders it
exactly as smolagents does (same StrictUndefined, same error message).

Every session's team has the same tools and members, so its system prompts are the same text: the rendering is
kept too, keyed by the template and a fingerprint of the variables (for a tool: its class, name, description,
inputs, output type and schema, which is all its `to_code_prompt` reads; for a member: class, name,
description). Variables of any other kind are rendered without the cache.

smolagents' `Tool.__init__` also validates every tool instance (signature inspection, type hints, JSON schema):
the same check on the same class and attributes each time. `validate_once` runs it once per distinct tool.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from jinja2 import StrictUndefined, Template
from smolagents.tools import Tool


@lru_cache(maxsize=64)
def compiled(template: str) -> Template:
    return Template(template, undefined=StrictUndefined)


class Uncacheable(Exception):
    pass


def fingerprint(value: Any) -> Any:
    """A hashable stand-in for `value` that changes whenever its rendering in a prompt can change."""
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    if isinstance(value, dict):
        return ("dict", tuple((key, fingerprint(item)) for key, item in value.items()))
    if isinstance(value, (list, tuple)):
        return ("seq", tuple(fingerprint(item) for item in value))
    if isinstance(value, Tool):
        return ("tool", type(value), value.name, value.description, repr(value.inputs), value.output_type,
                repr(getattr(value, "output_schema", None)))
    name, description = getattr(value, "name", None), getattr(value, "description", None)
    if isinstance(name, str) and isinstance(description, str):  # a managed agent: the templates read these two
        return ("member", type(value), name, description)
    raise Uncacheable(type(value).__name__)


_rendered: dict[tuple, str] = {}
_RENDERED_MAX = 256


def populate_template(template: str, variables: dict[str, Any]) -> str:
    try:
        key = (template, fingerprint(variables))
    except Uncacheable:
        key = None
    if key is not None and key in _rendered:
        return _rendered[key]
    try:
        text = compiled(template).render(**variables)
    except Exception as e:
        raise Exception(f"Error during jinja template rendering: {type(e).__name__}: {e}") from e
    if key is not None:
        if len(_rendered) >= _RENDERED_MAX:
            _rendered.clear()
        _rendered[key] = text
    return text


_validated: set[tuple] = set()


def validate_once(original):
    """Wraps `Tool.validate_arguments`: run it once per tool class, forward function and attributes."""

    def validate_arguments(self) -> None:
        if "forward" in vars(self):  # an instance with its own forward: check it every time
            return original(self)
        try:
            key = (type(self), getattr(type(self), "forward", None), self.name, self.description, repr(self.inputs),
                   self.output_type, repr(getattr(self, "output_schema", None)))
            hash(key)
        except Exception:
            return original(self)
        if key in _validated:
            return None
        original(self)
        _validated.add(key)  # only a tool that passed
        return None

    validate_arguments.smol_original = original
    return validate_arguments


def install() -> None:
    """Idempotent; called when the app's services are built, never at import."""
    import smolagents.agents
    import smolagents.tools

    if smolagents.agents.populate_template is not populate_template:
        smolagents.agents.populate_template = populate_template
    tool = smolagents.tools.Tool
    if not hasattr(tool.validate_arguments, "smol_original"):
        tool.validate_arguments = validate_once(tool.validate_arguments)
