"""The agents' instructions, loaded from prompts.yaml (as smolagents loads its own prompt YAML)."""

from __future__ import annotations

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
