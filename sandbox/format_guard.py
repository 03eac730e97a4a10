"""Refuse `str.format` / `str.format_map` field paths that touch private or dunder names.

`"{0.__globals__[os].environ}".format(f)` walks attributes at C level, past the interpreter's dunder
checks. Inside the worker, smolagents' interpreter resolves every attribute through the name
`getattr` of its module; `install()` points that name at `guarded_getattr`, which hands out checked
versions of `format`, `format_map` and `string.Formatter` methods. The check runs on the format string
when the call happens, so strings built at run time are covered.
"""

from __future__ import annotations

import _string
import builtins
import string
from typing import Any

_FORMAT_METHODS = ("format", "format_map")
_FORMATTER_METHODS = ("format", "vformat", "get_field", "get_value")


class UnsafeFormatError(ValueError):
    """A format string reaches for a private or dunder name."""


def check_format_string(template: Any, depth: int = 0) -> None:
    """Raise UnsafeFormatError when any field path (nested specs included) has a part starting with '_'."""
    if not isinstance(template, str) or depth > 4:
        return
    for _literal, field, spec, _conversion in _string.formatter_parser(template):
        if field:
            check_field_path(field)
        if spec and "{" in spec:
            check_format_string(spec, depth + 1)


def check_field_path(field: str) -> None:
    first, rest = _string.formatter_field_name_split(field)
    parts = [first] if isinstance(first, str) else []
    parts += [key for _is_attr, key in rest if isinstance(key, str)]
    for part in parts:
        if part.startswith("_"):
            raise UnsafeFormatError(f"Forbidden format field {field!r}: private and dunder names are not allowed")


def _checked(method, template_of):
    def checked(*args, **kwargs):
        check_format_string(template_of(args, kwargs))
        return method(*args, **kwargs)

    checked.__name__ = getattr(method, "__name__", "format")
    return checked


def guarded_getattr(obj: Any, name: str, *default: Any) -> Any:
    value = builtins.getattr(obj, name, *default)
    if name in _FORMAT_METHODS:
        if isinstance(obj, str):  # bound: "...".format
            return _checked(value, lambda args, kwargs: obj)
        if isinstance(obj, type) and issubclass(obj, str):  # unbound: str.format(template, ...)
            return _checked(value, lambda args, kwargs: args[0] if args else None)
    if name in _FORMATTER_METHODS and isinstance(obj, string.Formatter):
        return _refused_formatter
    if name in _FORMATTER_METHODS and isinstance(obj, type) and issubclass(obj, string.Formatter):
        return _refused_formatter
    return value


def _refused_formatter(*args, **kwargs):
    raise UnsafeFormatError("string.Formatter is not available to model code")


def install(interpreter_module: Any) -> None:
    """Make the interpreter module resolve attributes through `guarded_getattr`."""
    interpreter_module.getattr = guarded_getattr
