"""A local Python executor that hands the model sealed callables instead of live objects.

smolagents puts every tool and managed agent into the code agent's namespace as
the real object, so model-written code could read `some_tool.desk`,
`web_agent.model.client_kwargs` or call a method that was never meant to be a
tool. Here each one becomes a plain function closing over the real object: the
model can call it, but its attributes (and the closure, a dunder) are out of
reach of smolagents' interpreter, which forbids dunder access.
"""

from __future__ import annotations

from typing import Any, Callable

from smolagents.local_python_executor import LocalPythonExecutor

Wrapper = Callable[[str, Any], Callable[..., Any]]


def seal(name: str, target: Callable[..., Any]) -> Callable[..., Any]:
    def sealed(*args, **kwargs):
        return target(*args, **kwargs)

    sealed.__name__ = sealed.__qualname__ = name
    sealed.__doc__ = getattr(target, "description", None)
    return sealed


class SealedExecutor(LocalPythonExecutor):
    def __init__(self, additional_authorized_imports: list[str], wrap: Wrapper = seal, **kwargs):
        super().__init__(additional_authorized_imports, **kwargs)
        self._wrap = wrap

    def send_tools(self, tools: dict[str, Any]) -> None:
        super().send_tools({name: self._wrap(name, target) for name, target in tools.items()})
