"""The agents' instructions, loaded from prompts.yaml (as smolagents loads its own prompt YAML)."""

from __future__ import annotations

import copy
import importlib.resources
from functools import lru_cache
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


@lru_cache(maxsize=None)
def _smolagents_templates(name: str) -> dict:
    return yaml.safe_load(importlib.resources.files("smolagents.prompts").joinpath(name).read_text())


def smolagents_templates(name: str) -> dict:
    """smolagents' own prompt templates (`code_agent.yaml`, `toolcalling_agent.yaml`), parsed once per process.

    smolagents parses them again for every agent it builds; building a team per session made that the main cost.
    """
    return copy.deepcopy(_smolagents_templates(name))
