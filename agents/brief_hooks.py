"""What a scheduled brief needs from the rest of the app: the workspace's held symbols, and a model's commentary.

`alerts.briefs` builds the deterministic brief; these two hooks are handed to the brief desk when the runtime is
built (`runtime.build_runtime`).
The commentary is one plain model call (no code runs): only when a model is configured and the workspace's daily
token budget allows, charged to that budget, reduced to plain words (no links or markup: the brief quotes
untrusted headlines), scrubbed of secrets. Any failure leaves the brief complete without it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from smolagents.models import ChatMessage, MessageRole

from agents.prompts import load_prompts
from core.settings import Settings
from core.text import KNOWN_SECRETS, cap, scrub
from quota import Quota, visitor_key
from quota.limits import ANONYMOUS_POOL, is_anonymous
from trading.desk import Desks

log = logging.getLogger(__name__)

COMMENTARY_CHARS = 600
ESTIMATED_TOKENS = 1_500  # what one commentary is expected to cost; skipped when less than this is left today
_MARKUP = {ord(c): " " for c in "[]()<>!`*_|#"}


class BriefHooks:
    """`positions_of(workspace)` and `commentary(workspace, brief_text)` for `alerts.scheduler`."""

    def __init__(self, settings: Settings, desks: Desks, store: Any, model_factory: Callable[[], Any] | None,
                 quota: Quota):
        self.settings = settings
        self.desks = desks
        self.store = store  # workspace.store.WorkspaceStore: who a workspace belongs to
        self.model_factory = model_factory  # the owner's model (None: no commentary)
        self.quota = quota  # the visitors' quota: a commentary is charged to the workspace's budget

    def _user(self, workspace_id: str) -> str | None:
        try:
            return self.store.username(workspace_id)
        except Exception:
            return None

    def positions_of(self, workspace_id: str) -> list[str]:
        """The symbols the workspace holds, from the same desk (paper ledger or Alpaca) its chat uses."""
        user = self._user(workspace_id)
        try:
            with self.desks.borrowed(workspace_id, user) as desk:
                return [p.symbol for p in desk.broker.positions()]
        except Exception as exc:  # a broker that is down: the brief still covers the watchlist
            log.warning("brief: positions of a workspace unavailable: %s", type(exc).__name__)
            return []

    def commentary(self, workspace_id: str, brief: str) -> str | None:
        factory = self.model_factory
        if factory is None:
            return None
        quota = self.quota
        user = self._user(workspace_id)
        visitor = visitor_key(user, workspace_id)
        daily, pool = quota.limits.tokens_per_day, quota.limits.anonymous_tokens_per_day
        if not quota.exempt(user):
            if daily and quota.used_today(visitor) + ESTIMATED_TOKENS > daily:
                return None  # the person's own turns come first
            if pool and is_anonymous(visitor) and quota.used_today(ANONYMOUS_POOL) + ESTIMATED_TOKENS > pool:
                return None  # anonymous workspaces share one daily pool of the owner's tokens
        try:
            models = factory()
            model = models["manager"] if isinstance(models, dict) else models
            instructions = load_prompts()["brief_commentary"]["instructions"]
            reply = model.generate([
                ChatMessage(role=MessageRole.SYSTEM, content=[{"type": "text", "text": instructions}]),
                ChatMessage(role=MessageRole.USER, content=[{"type": "text", "text": brief}]),
            ])
        except Exception as exc:
            log.warning("brief: no commentary (%s)", type(exc).__name__)
            return None
        usage = getattr(reply, "token_usage", None)
        if usage is not None:
            quota.charge(visitor, usage.input_tokens + usage.output_tokens)
            if is_anonymous(visitor):
                quota.charge(ANONYMOUS_POOL, usage.input_tokens + usage.output_tokens)
        words = " ".join(str(reply.content or "").translate(_MARKUP).split())
        secrets = [*self.settings.secret_values(), *KNOWN_SECRETS.values()]
        return cap(scrub(words, secrets), COMMENTARY_CHARS) or None
