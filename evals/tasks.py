"""The task file: each task's question(s), the pages it serves, and how it is scored."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from core.errors import UserError

DEFAULT_TASKS = Path(__file__).resolve().parent / "tasks.yaml"
CHECKS = {"figures", "tolerance", "mention", "mention_expected", "chart", "tickets", "executed", "no_secrets",
          "min_specs", "not_mention", "oos_figure"}


class TaskFileError(UserError):
    pass


@dataclass(frozen=True)
class Task:
    id: str
    category: str
    turns: tuple[str, ...]  # the person's messages; the last answer is scored
    expect: dict = field(default_factory=dict)
    pages: dict = field(default_factory=dict)  # path -> html served by the local web stand-in

    def expectation_keys(self) -> set[str]:
        keys = set(self.expect.get("figures", []))
        keys.update(self.expect.get("mention_expected", []))
        return keys


def _task(raw: Any, where: str) -> Task:
    if not isinstance(raw, dict) or "id" not in raw:
        raise TaskFileError(f"{where}: each task needs an id.")
    turns = raw.get("turns") or ([raw["ask"]] if raw.get("ask") else [])
    if not turns:
        raise TaskFileError(f"{where} ({raw['id']}): give `ask` or `turns`.")
    expect = dict(raw.get("expect") or {})
    unknown = set(expect) - CHECKS
    if unknown:
        raise TaskFileError(f"{where} ({raw['id']}): unknown checks {sorted(unknown)}; known: {sorted(CHECKS)}.")
    return Task(str(raw["id"]), str(raw.get("category", "other")), tuple(map(str, turns)), expect,
                dict(raw.get("pages") or {}))


def load_tasks(path: str | Path = DEFAULT_TASKS, only: list[str] | None = None) -> list[Task]:
    """The tasks of a YAML file (a list, or {"tasks": [...]}); `only` keeps those ids or categories."""
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise TaskFileError(f"Cannot read the task file {path}: {exc}") from exc
    raw_tasks = data.get("tasks", []) if isinstance(data, dict) else data or []
    tasks = [_task(raw, f"{path} task {n + 1}") for n, raw in enumerate(raw_tasks)]
    ids = [t.id for t in tasks]
    if len(set(ids)) != len(ids):
        raise TaskFileError(f"{path}: task ids must be unique.")
    if only:
        tasks = [t for t in tasks if t.id in only or t.category in only]
    return tasks
