"""Each visitor's limits and inference: who they are, whether a message may run, and on whose model it runs.

A visitor signed in with Hugging Face brings their own inference: their turns run on a model
built with their OAuth token and are not charged to the owner's daily budget. The token is a
secret: it is added to `core.text.KNOWN_SECRETS` (so logs, spans, chat and egress checks know it)
and kept on the session only inside a `Secret`, whose repr never shows it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from agents.models import build_visitor_model
from chat.messages import ChatItem
from core.settings import Secret, Settings
from core.text import KNOWN_SECRETS
from quota import LimitError, Quota, TurnPass, quota_from_settings, visitor_key
from quota.limits import SIGN_IN

ANONYMOUS_OFF = ("The AI team is open to signed-in visitors only on this Space; slash commands still work "
                 "(try `/help`). " + SIGN_IN)


class Visitors:
    def __init__(self, settings: Settings, quota: Quota | None = None,
                 visitor_model_factory: Callable[[str], Any] | None = None):
        self.settings = settings
        self.quota = quota or quota_from_settings(settings, sign_in_hint=SIGN_IN)
        self.visitor_model_factory = visitor_model_factory or (lambda token: build_visitor_model(settings, token))

    def key(self, session: Any, client: str | None = None) -> str:
        return visitor_key(session.user, session.workspace_id, client)

    def admit_command(self, session: Any, client: str | None = None) -> ChatItem | None:
        """None when the slash command may run, else the message saying why not."""
        try:
            self.quota.admit_slash_command(self.key(session, client), session.user)
        except LimitError as exc:
            return ChatItem(content=exc.user_message, kind="notice", extra={"refused": True})
        return None

    def admit_turn(self, session: Any, client: str | None, hf_token: str | None) -> TurnPass:
        """The pass of a model turn (raises `LimitError`); the visitor's own token is not charged the budget."""
        if hf_token:
            KNOWN_SECRETS.add(hf_token)
        elif not session.user and self.settings.anonymous_model == "none":
            raise LimitError(ANONYMOUS_OFF)
        return self.quota.admit_turn(self.key(session, client), session.user, charged=not hf_token)

    def usage_label(self, session: Any, client: str | None = None, hf_token: str | None = None) -> str:
        return self.quota.usage_label(self.key(session, client), own_inference=bool(hf_token))

    def needs_new_team(self, session: Any, hf_token: str | None) -> bool:
        """True when the session's team runs on other inference than this turn's (the visitor signed in or out)."""
        return session.team is not None and (session.inference or Secret("")) != Secret(hf_token or "")

    def model_for(self, session: Any, owner_factory: Callable[[], Any] | None) -> Any:
        """The model for a new team of `session`: the visitor's own inference when they brought it."""
        token = (session.inference or Secret(""))
        return self.visitor_model_factory(token.reveal()) if token else owner_factory()

    @staticmethod
    def remember(session: Any, hf_token: str | None) -> None:
        session.inference = Secret(hf_token or "")
