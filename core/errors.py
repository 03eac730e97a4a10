"""The one user-facing error type.

Any error a person (or the model) should read derives from `UserError`; its
`user_message` is a complete, plain sentence that slash commands, tools and the
chat show as is.
"""

from __future__ import annotations


class UserError(Exception):
    """An error with a message fit for the person; `user_message` is a complete sentence."""

    def __init__(self, user_message: str):
        super().__init__(user_message)
        self.user_message = user_message


def user_message(exc: BaseException) -> str:
    """What to tell the person about `exc`: its `user_message` when it is a `UserError`, else its type and text."""
    if isinstance(exc, UserError):
        return exc.user_message
    return f"{type(exc).__name__}: {exc}"
