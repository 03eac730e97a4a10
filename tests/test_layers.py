"""The layers are real: imports go only downward, and no two packages import each other.

    core  →  domain packages  →  agents/ and tools/  →  chat and slash commands (+ ui/)  →  app.py

A module's layer is the one of the longest prefix listed in LAYERS. Every import of one of our modules, at module
level or inside a function, counts. A new top-level package must be given a layer here (the test says so).
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
NOT_PRODUCT = {"tests", "benchmarks", "scripts", "docs", "evals", ".git", ".ci", "data"}

LAYERS: dict[str, int] = {
    "core": 0,
    # domain: return data, never chat items; import only core and each other (without cycles)
    "market": 1, "trading": 1, "backtest": 1, "telemetry": 1, "hub": 1, "egress": 1, "quota": 1, "sandbox": 1,
    "workspace": 1, "alerts": 1, "forecast": 1, "provenance": 1, "safe_render": 1,
    # agents and their tools
    "agents": 2, "tools": 2,
    # a message in, chat items out; slash commands; UI pieces
    "agents.chat": 3, "agents.ticket_decisions": 3, "agents.runs": 3, "commands": 3, "ui": 3, "api": 3,
    # publishing our tools to the Hub sits above the tools it publishes (a command-line entry, not a library)
    "hub.publish": 3, "hub.market_tools": 3,
    # the UI
    "app": 4,
}


def product_modules() -> dict[str, Path]:
    modules = {}
    for path in ROOT.rglob("*.py"):
        rel = path.relative_to(ROOT)
        if rel.parts[0] in NOT_PRODUCT or any(part.startswith(".") for part in rel.parts):
            continue
        name = ".".join(rel.with_suffix("").parts).removesuffix(".__init__")
        modules[name] = path
    return modules


def layer_of(module: str) -> tuple[str, int] | None:
    parts = module.split(".")
    for size in range(len(parts), 0, -1):
        prefix = ".".join(parts[:size])
        if prefix in LAYERS:
            return prefix, LAYERS[prefix]
    return None


def imports_of(path: Path, module: str) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative import: resolve against this module's package
                base = module.split(".")[: -node.level] if path.name != "__init__.py" else \
                    module.split(".")[: len(module.split(".")) - node.level + 1]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            found.add(target)
            found.update(f"{target}.{alias.name}" for alias in node.names)
    return found


def our_imports() -> list[tuple[str, str]]:
    modules = product_modules()
    tops = {name.split(".")[0] for name in modules}
    edges = set()
    for module, path in modules.items():
        for target in imports_of(path, module):
            if target.split(".")[0] in tops and (target in modules or target.rsplit(".", 1)[0] in modules):
                target = target if target in modules else target.rsplit(".", 1)[0]
                if target != module:
                    edges.add((module, target))
    return sorted(edges)


def test_every_package_has_a_layer():
    missing = sorted({m.split(".")[0] for m in product_modules() if layer_of(m) is None})
    assert not missing, f"give these top-level modules a layer in tests/test_layers.py: {missing}"


def test_imports_go_only_downward():
    wrong = []
    for source, target in our_imports():
        (_, src_layer), (_, dst_layer) = layer_of(source), layer_of(target)
        if dst_layer > src_layer:
            wrong.append(f"{source} (layer {src_layer}) imports {target} (layer {dst_layer})")
    assert not wrong, "imports that go up:\n" + "\n".join(sorted(wrong))


def test_no_package_cycles():
    graph: dict[str, set[str]] = defaultdict(set)
    for source, target in our_imports():
        src, dst = layer_of(source)[0], layer_of(target)[0]
        if src != dst:
            graph[src].add(dst)
    cycles = sorted({" ↔ ".join(sorted((a, b))) for a in graph for b in graph[a] if a in graph.get(b, ())})
    assert not cycles, f"packages that import each other: {cycles}"


@pytest.mark.parametrize("module", ["core.settings", "core.errors"])
def test_the_core_imports_nothing_of_ours(module):
    assert not [t for s, t in our_imports() if s == module]
