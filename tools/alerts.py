"""The trader's `propose_alert` tool: a pending alert the person confirms (`/alert confirm ID` or the panel's
button). It is never checked before that, and alerts only notify: they never trade.

Like the trading tools, the tool keeps a closure, not the service: model-written code can read a tool's
attributes, and a closure's cells sit behind dunders the sandbox refuses, so nothing here reaches
`confirm_alert`.
"""

from __future__ import annotations

from collections.abc import Callable

from smolagents import Tool

from alerts.rules import AlertInputError, parse_rule


class ProposeAlertTool(Tool):
    name = "propose_alert"
    description = (
        "Proposes an alert (a notification, never a trade), inactive until the person confirms it. condition: "
        "'above P', 'below P', 'move PCT' (day move), 'rsi above|below N', 'cross sma50' (any smaN/emaN). "
        "Returns the proposal id."
    )
    inputs = {
        "symbol": {"type": "string", "description": "Ticker symbol, e.g. 'AAPL'."},
        "condition": {"type": "string", "description": "e.g. 'above 250', 'move -3'."},
        "reason": {"type": "string", "description": "Why (one sentence).", "nullable": True},
    }
    output_type = "string"

    def __init__(self, propose: Callable[[str, str, str], str]):
        self._propose = propose
        super().__init__()

    def forward(self, symbol: str, condition: str, reason: str | None = None) -> str:
        return self._propose(symbol, condition, reason or "")


def alert_tools(service_of: Callable[[], object], workspace_of: Callable[[], str]) -> list[Tool]:
    """`propose_alert` for the workspace `workspace_of()` names at call time (the service is opened on first use)."""

    def propose(symbol: str, condition: str, reason: str) -> str:
        try:
            rule = parse_rule([symbol, *str(condition).split()])
            proposal = service_of().propose_alert(workspace_of(), rule, reason)
        except AlertInputError as exc:
            raise AlertInputError(f"No alert proposed: {exc.user_message}") from None
        return (f"Alert proposal {proposal.id} created ({rule.describe()}); it is NOT active until the person "
                f"confirms it with `/alert confirm {proposal.id}` or the Confirm alert button.")

    return [ProposeAlertTool(propose)]
