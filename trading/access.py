"""Who may confirm an order. Checked inside the confirm path itself, never by hiding a button or endpoint.

Gradio exposes every event handler as an API endpoint, so the only safe place
for this rule is the code that executes the order (`TradingDesk.confirm`).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class AccessDecision:
    allowed: bool
    reason: str


def allowed_traders(settings) -> set[str]:
    """TRADING_ALLOWLIST, plus APP_USERNAME (the single username/password login) when one is set."""
    names = {name.strip().lower() for name in settings.trading_allowlist if name.strip()}
    if settings.app_username:
        names.add(settings.app_username.strip().lower())
    return names


def may_use_real_broker(settings, actor: str | None) -> AccessDecision:
    """May `actor` place orders through the configured Alpaca account?"""
    if not actor:
        return AccessDecision(False, "Orders on the Alpaca account need a signed-in person on the allowlist. "
                                     "Sign in first (anonymous visitors trade on the built-in paper account).")
    if actor.strip().lower() not in allowed_traders(settings):
        return AccessDecision(False, f"{actor} is signed in but not on the trading allowlist "
                                     "(TRADING_ALLOWLIST), so orders on the Alpaca account are refused.")
    return AccessDecision(True, f"{actor} is on the trading allowlist")


def may_confirm(settings, broker_kind: str, actor: str | None) -> AccessDecision:
    """The built-in paper broker: anyone holding the session. Alpaca: the allowlist."""
    if broker_kind == "built-in":
        return AccessDecision(True, "built-in paper account of this session")
    return may_use_real_broker(settings, actor)
