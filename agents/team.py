"""Building one session's team: a manager CodeAgent with `web_agent` and `trader`.

Built fresh per session (never at import). Tool outputs that carry charts or
order tickets reach the chat through `team.sink`, which the turn runner points
at the running turn.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from smolagents import CodeAgent, ToolCallingAgent
from smolagents.memory import ActionStep, PlanningStep
from smolagents.monitoring import LogLevel

from agents.context_budget import ends
from agents.events import (
    DelegationEnded,
    DelegationStarted,
    FigureShown,
    ManagerDelta,
    MemberDelta,
    MemberStep,
    ModelGaveUp,
    TeamEvent,
    TicketShown,
)
from agents.model_steps import FormatStrikes, stream_final_answer
from agents.models import for_role
from agents.prompts import load_prompts, smolagents_templates, trader_templates
from agents.streaming import can_stream, run_member
from agents.toolsets import Shows, TraderKit, trader_toolset
from sandbox.executor import SandboxExecutor
from sandbox.pool import shared_pool
from telemetry.metrics import instrument_tools
from tools.untrusted import cap, label_untrusted
from tools.web import ReadPageTool, WebSearchTool

MEMBER_TASK_CHARS = 4000  # a delegated task (about 1,300 tokens): first and last lines kept beyond it
MEMBER_REPORT_CHARS = 8000  # a member's report to the manager (about 2,600 tokens)
MANAGER_IMPORTS = ["json", "math", "datetime", "statistics", "re"]
TRADER_IMPORTS = ["json", "math", "datetime", "statistics", "re"]


class Sink:
    """Where a team's events go during a turn (agents/events.py: steps, delegations, charts, tickets)."""

    def __init__(self):
        self.target: Any = None  # the running TurnRun, or None between turns

    def __call__(self, event: TeamEvent) -> None:
        target = self.target
        if target is not None:
            target.on_event(event)


@dataclass
class Team:
    manager: CodeAgent
    members: dict[str, Any]
    sink: Sink

    def agents(self) -> list[Any]:
        return [self.manager, *self.members.values()]

    def executors(self) -> list[SandboxExecutor]:
        return [a.python_executor for a in self.agents() if isinstance(getattr(a, "python_executor", None),
                                                                         SandboxExecutor)]

    def interrupt(self) -> None:
        for agent in self.agents():
            agent.interrupt()
        for executor in self.executors():  # a running code step ends now: its worker is killed
            executor.interrupt()

    def close(self) -> None:
        """The session is over: its code workers end."""
        for executor in self.executors():
            executor.close()


def _member_wrapper(sink: Sink, untrusted_members: set[str], max_chars: int) -> Callable[[str, Any], Callable]:
    """Tools run as they are; managed agents become delegate functions that report delegation start/end
    and label untrusted reports. The worker's stub for `name` calls what this returns, in the app."""

    def wrap(name: str, target: Any) -> Callable:
        if not isinstance(target, (CodeAgent, ToolCallingAgent)):
            return target

        def delegate(task: str, additional_args: dict | None = None) -> str:
            task = ends(str(task), MEMBER_TASK_CHARS)  # a member's task and report are bounded too
            sink(DelegationStarted(name, str(task)))
            try:
                kwargs = {"additional_args": additional_args} if additional_args else {}
                report = run_member(target, str(task), lambda delta: sink(MemberDelta(name, delta)), **kwargs)
            except BaseException as exc:
                sink(DelegationEnded(name, exc))
                raise
            report = ends(str(report), MEMBER_REPORT_CHARS)
            if name in untrusted_members:
                report = label_untrusted(cap(report, max_chars), source=f"{name} report")
            sink(DelegationEnded(name))
            return report

        return delegate

    return wrap


def without_clashes(local: list, extra: list) -> list:
    """Extra (Hub) tools whose names do not shadow a local tool: a remote tool never replaces ours."""
    taken = {tool.name for tool in local}
    return [tool for tool in extra if tool.name not in taken]


def build_team(kit: TraderKit, model: Any, extra_tools: dict[str, list] | None = None) -> Team:
    """A fresh team for one session working on `kit` (its workspace's desk, lab and alerts, the shared market data).
    `model` is one smolagents Model or a dict role -> Model."""
    settings = kit.settings
    prompts = load_prompts()
    models = model if isinstance(model, dict) else {"manager": model, "web_agent": model, "trader": model}
    models = {role: for_role(m, role, settings) for role, m in models.items()}  # each role's output cap
    extra_tools = extra_tools or {}
    sink = Sink()
    pool = shared_pool(settings.worker_memory_mb, settings.worker_idle_s, settings.worker_cpu_s,
                       settings.worker_max_processes)

    def strikes(agent_name: str) -> FormatStrikes:
        label = getattr(models[agent_name], "model_label", None) or "the model"
        return FormatStrikes(agent_name, settings.model_format_strikes, label,
                             lambda name, message: sink(ModelGaveUp(name, message)))

    def step_callback(agent_name: str):
        bound = strikes(agent_name)  # before the step is shown: what it leaves in memory is bounded

        def on_step(step, agent=None):
            if isinstance(step, ActionStep):
                bound(step, agent)
            sink(MemberStep(agent_name, step))

        return {ActionStep: on_step, PlanningStep: on_step}

    web_tools = [
        WebSearchTool(settings.ddg_html_url, settings.web_timeout_s, settings.web_output_chars),
        ReadPageTool(settings.web_timeout_s, settings.web_output_chars, settings.web_allow_private_hosts,
                     total_timeout_s=settings.web_total_timeout_s, html_cpu_s=settings.html_text_cpu_s),
    ]
    web_tools += without_clashes(web_tools, extra_tools.get("web_agent", []))
    web_agent = ToolCallingAgent(
        tools=web_tools,
        prompt_templates=smolagents_templates("toolcalling_agent.yaml"),
        model=models["web_agent"],
        name="web_agent",
        description=prompts["web_agent"]["description"].strip(),
        instructions=prompts["web_agent"]["instructions"],
        max_steps=settings.sub_agent_max_steps,
        step_callbacks=step_callback("web_agent"),
        stream_outputs=can_stream(models["web_agent"]),
        verbosity_level=LogLevel.OFF,
    )

    shows = Shows(figure=lambda figure, title=None: sink(FigureShown(figure, title)),
                  ticket=lambda card: sink(TicketShown(card)))
    trader_tool_list = trader_toolset(kit, shows)
    trader_tool_list += without_clashes(trader_tool_list, extra_tools.get("trader", []))
    instrument_tools([*web_tools, *trader_tool_list], kit.metrics)
    trader = CodeAgent(
        tools=trader_tool_list,
        prompt_templates=trader_templates(),
        model=models["trader"],
        name="trader",
        description=prompts["trader"]["description"].strip(),
        instructions=prompts["trader"]["instructions"],
        max_steps=settings.sub_agent_max_steps,
        step_callbacks=step_callback("trader"),
        stream_outputs=can_stream(models["trader"]),
        executor=SandboxExecutor(TRADER_IMPORTS, pool),
        additional_authorized_imports=TRADER_IMPORTS,
        verbosity_level=LogLevel.OFF,
    )

    members = {"web_agent": web_agent, "trader": trader}
    manager = CodeAgent(
        tools=[],
        prompt_templates=smolagents_templates("code_agent.yaml"),
        model=models["manager"],
        managed_agents=list(members.values()),
        name="manager",
        instructions=prompts["manager"]["instructions"],
        max_steps=settings.manager_max_steps,
        stream_outputs=can_stream(models["manager"]),
        executor=SandboxExecutor(
            MANAGER_IMPORTS, pool, wrap=_member_wrapper(sink, {"web_agent"}, settings.web_output_chars)
        ),
        additional_authorized_imports=MANAGER_IMPORTS,
        step_callbacks={ActionStep: strikes("manager")},
        verbosity_level=LogLevel.OFF,
    )
    stream_final_answer(manager, lambda delta: sink(ManagerDelta(delta)))
    for name, member in members.items():
        stream_final_answer(member, lambda delta, name=name: sink(MemberDelta(name, delta)))
    return Team(
        manager=manager,
        members=members,
        sink=sink,
    )
