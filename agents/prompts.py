"""The agents' instructions, loaded from prompts.yaml (as smolagents loads its own prompt YAML)."""

from __future__ import annotations

import copy
import importlib.resources
from functools import cache, lru_cache
from pathlib import Path

import yaml

PROMPTS_PATH = Path(__file__).resolve().parent.parent / "prompts.yaml"


@lru_cache(maxsize=1)
def load_prompts(path: str = str(PROMPTS_PATH)) -> dict[str, dict[str, str]]:
    prompts = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    for role in ("manager", "web_agent", "trader"):
        if role not in prompts or "instructions" not in prompts[role]:
            raise ValueError(f"{path} lacks {role}.instructions")
    return prompts


@cache
def _smolagents_templates(name: str) -> dict:
    return yaml.safe_load(importlib.resources.files("smolagents.prompts").joinpath(name).read_text())


def smolagents_templates(name: str) -> dict:
    """smolagents' own prompt templates (`code_agent.yaml`, `toolcalling_agent.yaml`), parsed once per process.

    smolagents parses them again for every agent it builds; building a team per session made that the main cost.
    """
    return copy.deepcopy(_smolagents_templates(name))


# smolagents' rules 3 and 4 illustrated with a notional `wikipedia_search`; the same rules with our own tools.
NOTIONAL_RULES = {
    "DO NOT pass the arguments as a dict as in 'answer = wikipedia_search({'query': \"What is the place where "
    "James Bond lives?\"})', but use the arguments directly as in 'answer = wikipedia_search(query=\"What is the "
    "place where James Bond lives?\")'.":
        "Pass them as keywords, e.g. stock_quote(symbol=\"AAPL\"), never as one dict.",
    "For instance, a call to wikipedia_search without a JSON output schema has an unpredictable return format, so do "
    "not have another tool call that depends on its output in the same block: rather output results with print() to "
    "use them in the next block.": "Print their output and use it in the next block.",
    "You can confidently chain multiple tool calls and directly access structured output fields in the same code "
    "block! When a tool has a JSON output schema, you know exactly what fields and data types to expect, allowing "
    "you to write robust code that directly accesses the structured response (e.g., result['field_name']) without "
    "needing intermediate print() statements.": "chain calls and use result['field'] directly in one code block.",
}
NOTIONAL_EXAMPLES_START = "Here are a few examples using notional tools:"
NOTIONAL_EXAMPLES_END = "Above examples were using notional tools that might not exist for you. "


def trader_templates() -> dict:
    """smolagents' code-agent templates with the notional-tool examples replaced by prompts.yaml's trader example.

    The stock examples (~5.4k characters about tools the trader does not have) were the largest part of its
    system prompt; one example with its own structured tools teaches more for a fraction of the size.
    """
    templates = smolagents_templates("code_agent.yaml")
    system = templates["system_prompt"]
    start, end = system.index(NOTIONAL_EXAMPLES_START), system.index(NOTIONAL_EXAMPLES_END)
    example = load_prompts()["trader"]["examples"].strip()
    system = system[:start] + example + "\n\n" + system[end + len(NOTIONAL_EXAMPLES_END):]
    for notional, ours in NOTIONAL_RULES.items():
        if notional not in system:
            raise ValueError("smolagents' code-agent rules changed; update agents/prompts.py NOTIONAL_RULES")
        system = system.replace(notional, ours)
    templates["system_prompt"] = system
    return templates
