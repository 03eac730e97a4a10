"""Letting a smolagents Tool carry our self-contained helper functions to the Hub.

`Tool.save()` / `push_to_hub()` write a tool's class source from the
functions in the class's own `__dict__` (smolagents' `instance_to_source`).
A helper attached with `carries(...)` is stored as a staticmethod, so it is
written into the saved class; the tool calls it as `type(self).helper(...)`,
which works both here and in the saved copy. Carried helpers must be
self-contained: imports inside, no calls to other helpers.
"""

from __future__ import annotations

from typing import Callable


def carries(*functions: Callable) -> Callable[[type], type]:
    """Class decorator: attach `functions` to a Tool subclass as staticmethods."""

    def attach(cls: type) -> type:
        for function in functions:
            setattr(cls, function.__name__, staticmethod(function))
        return cls

    return attach
