"""What a team reports to the running turn while it works: small frozen dataclasses, one per kind of event.

The team's `Sink` hands them to the running `TurnRun` (chat/runner.py), which turns each into chat items.
Tools that show the person something (a chart, an order ticket) are built with callbacks that emit these.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class DelegationStarted:
    member: str  # "web_agent" | "trader"
    task: str


@dataclass(frozen=True)
class DelegationEnded:
    member: str
    error: BaseException | None = None


@dataclass(frozen=True)
class MemberStep:
    member: str
    step: Any  # smolagents ActionStep | PlanningStep


@dataclass(frozen=True)
class MemberDelta:
    member: str
    delta: Any  # smolagents ChatMessageStreamDelta: the member's model words as they stream


@dataclass(frozen=True)
class ManagerDelta:
    delta: Any  # the manager's words outside a step: its answer after the step limit, streamed


@dataclass(frozen=True)
class ModelGaveUp:
    member: str  # "manager" | a member: its model could not follow the team's format
    message: str


@dataclass(frozen=True)
class FigureShown:
    figure: Any  # a plotly Figure
    title: str | None = None


@dataclass(frozen=True)
class TicketShown:
    card: Any  # a trading.outcomes.TicketCard: the order ticket the trader proposed (the chat shows it as a card)


TeamEvent = (DelegationStarted | DelegationEnded | MemberStep | MemberDelta | ManagerDelta | ModelGaveUp | FigureShown
             | TicketShown)
