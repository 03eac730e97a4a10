"""Extra tools loaded from the Hugging Face Hub, named in the HUB_TOOLS setting.

Loading a Hub tool downloads its `tool.py` and RUNS it inside this app, so it
happens only when HUB_TOOLS_TRUSTED=true. A tool that fails to load is
reported and skipped; it never stops the app.

HUB_TOOLS syntax (comma- or newline-separated entries):

    [AGENT:]OWNER/SPACE                 one tool Space
    [AGENT:]collection:OWNER/SLUG-ID    every Space in a Hub collection

AGENT is `trader` (default) or `web`: the team member that gets the tool.
Example: HUB_TOOLS="trader:alice/smol-trader-get-quote, web:collection:alice/news-tools-65f0c0ffee0123456789abcd"
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from core.text import scrub
from hub.client import hub_error_reason

AGENTS = ("trader", "web")
DEFAULT_AGENT = "trader"
_REPO_ID = re.compile(r"[A-Za-z0-9][\w.\-]*/[A-Za-z0-9][\w.\-]*")


@dataclass(frozen=True)
class HubToolSource:
    agent: str  # "trader" | "web"
    kind: str  # "space" | "collection"
    ref: str  # repo id or collection slug

    def __str__(self) -> str:
        return f"{self.agent}:{'collection:' if self.kind == 'collection' else ''}{self.ref}"


def parse_entry(entry: str) -> HubToolSource:
    """One HUB_TOOLS entry -> HubToolSource; ValueError with a clear message when malformed."""
    text = entry.strip()
    parts = text.split(":")
    agent = DEFAULT_AGENT
    if len(parts) > 1 and parts[0].strip().lower() in AGENTS:
        agent = parts.pop(0).strip().lower()
    kind = "space"
    if len(parts) > 1 and parts[0].strip().lower() == "collection":
        kind = "collection"
        parts.pop(0)
    if len(parts) != 1 or not _REPO_ID.fullmatch(parts[0].strip()):
        raise ValueError(
            f"{text!r} is not a valid HUB_TOOLS entry; use [trader:|web:]OWNER/SPACE "
            f"or [trader:|web:]collection:OWNER/SLUG"
        )
    return HubToolSource(agent=agent, kind=kind, ref=parts[0].strip())


def _space_ids(source: HubToolSource, token: str | None) -> list[str]:
    if source.kind == "space":
        return [source.ref]
    from huggingface_hub import get_collection

    collection = get_collection(source.ref, token=token)
    return [item.item_id for item in collection.items if item.item_type == "space"]


def _load_tool(repo_id: str, token: str | None):
    from huggingface_hub import space_info
    from smolagents import Tool

    # One plain request first: a missing repo, a refused token or a down Hub fail here at once,
    # where hf_hub_download would retry a dead connection for ~20 s before giving up.
    space_info(repo_id, token=token)
    tool = Tool.from_hub(repo_id, token=token, trust_remote_code=True)
    if not isinstance(tool, Tool):
        raise TypeError(f"{repo_id} did not define a smolagents Tool")
    return tool


def _is_network_failure(exc: BaseException) -> bool:
    return "cannot be reached" in hub_error_reason(exc)


def load_remote_tools(settings, reserved_names: set[str] | frozenset[str] = frozenset()
                      ) -> tuple[dict[str, list[Any]], list[str]]:
    """Tools from the Hub for each agent, and a report line per entry/tool for the UI.

    `reserved_names` are names already taken by local tools: a remote tool may not replace them.
    Never raises for a tool that fails: the failure becomes a report line.
    """
    tools_by_agent: dict[str, list[Any]] = {agent: [] for agent in AGENTS}
    report: list[str] = []
    entries = tuple(getattr(settings, "hub_tools", ()) or ())
    if not entries:
        return tools_by_agent, report
    if not getattr(settings, "hub_tools_trusted", False):
        report.append(
            f"Hub tools not loaded: HUB_TOOLS names {len(entries)} source(s) but HUB_TOOLS_TRUSTED is off. "
            "Remote tools run their code inside this app; set HUB_TOOLS_TRUSTED=true only for code you have read."
        )
        return tools_by_agent, report

    token = settings.hf_token.reveal() or None
    secrets = settings.secret_values()
    taken = set(reserved_names)
    hub_unreachable = ""
    for entry in entries:
        try:
            source = parse_entry(entry)
        except ValueError as exc:
            report.append(f"✗ {exc}")
            continue
        if hub_unreachable:
            report.append(f"✗ {source}: skipped, {hub_unreachable}")
            continue
        try:
            repo_ids = _space_ids(source, token)
        except Exception as exc:
            reason = hub_error_reason(exc)
            hub_unreachable = reason if _is_network_failure(exc) else ""
            report.append(scrub(f"✗ {source}: could not read the collection: {reason}", secrets))
            continue
        if not repo_ids:
            report.append(f"✗ {source}: the collection has no Spaces.")
        for repo_id in repo_ids:
            if hub_unreachable:
                report.append(f"✗ {source.agent}: {repo_id} skipped, {hub_unreachable}")
                continue
            try:
                tool = _load_tool(repo_id, token)
            except Exception as exc:
                reason = hub_error_reason(exc)
                hub_unreachable = reason if _is_network_failure(exc) else ""
                report.append(scrub(f"✗ {source.agent}: {repo_id} did not load: {reason}", secrets))
                continue
            if tool.name in taken:
                report.append(f"✗ {source.agent}: {repo_id} skipped: a tool named `{tool.name}` is already active.")
                continue
            taken.add(tool.name)
            tools_by_agent[source.agent].append(tool)
            report.append(f"✓ {source.agent}: `{tool.name}` from {repo_id}")
    return tools_by_agent, report


def active_tools_markdown(tools_by_agent: dict[str, list[Any]], report: list[str]) -> str:
    """A short markdown block for the UI: the remote tools that are active, then any problems."""
    lines = [f"- **{agent}**: " + ", ".join(f"`{tool.name}`" for tool in tools)
             for agent, tools in tools_by_agent.items() if tools]
    problems = [line for line in report if not line.startswith("✓")]
    text = "**Remote tools from the Hub**\n\n" + ("\n".join(lines) if lines else "None active.")
    if problems:
        text += "\n\n" + "\n".join(f"- {line}" for line in problems)
    return text
