"""The layers are real: imports go only downward, packages form no cycle, and product code never imports tests.

    core  →  domain packages (+ standins)  →  agents/ and tools/  →  runtime/  →  chat/ (with its slash commands)
          →  ui/ and api/  →  app.py and evals/

A module's layer is the one of the longest prefix listed in LAYERS. Every import of one of our modules, at module
level or inside a function, counts. A new top-level package must be given a layer here (the test says so).
Cycles are looked for between top-level packages (not layer prefixes), of any length.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
NOT_PRODUCT = {"tests", "benchmarks", "scripts", "docs", ".git", ".ci", "data", "site"}

LAYERS: dict[str, int] = {
    "core": 0,
    # domain: return data, never chat items; import only core and each other (without cycles)
    "market": 1, "trading": 1, "backtest": 1, "telemetry": 1, "hub": 1, "egress": 1, "quota": 1, "sandbox": 1,
    "workspace": 1, "alerts": 1, "forecast": 1, "provenance": 1, "safe_render": 1,
    # offline stand-ins of the external services (127.0.0.1 servers, scripted models, recorded prices): used by
    # the tests, the evals and the benchmarks; they import nothing of ours but each other
    "standins": 1,
    # the team runtime (agents) and their tools
    "agents": 2, "tools": 2,
    # publishing our tools to the Hub sits above the tools it publishes (a command-line entry, not a library)
    "hub.publish": 3, "hub.market_tools": 3,
    # the composition root: every process-wide object, built in one function
    "runtime": 3,
    # a message in, chat items out: the chat service, turns, sessions, slash commands
    "chat": 4,
    # the real runtime against the stand-ins (evals, tests, benchmarks)
    "standins.stack": 4,
    # the UI's pieces and the HTTP entry points beside it
    "ui": 5, "api": 5,
    # the UI; the evals drive the chat service like the UI does; the app served for API and browser tests
    "app": 6, "evals": 6, "standins.live_app": 6,
}

@cache
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


@cache
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


def package_cycles(edges: list[tuple[str, str]], ignored: set[tuple[str, str]] = frozenset()) -> list[list[str]]:
    """Groups of top-level packages that import each other, through any number of packages (Tarjan's SCC)."""
    graph: dict[str, set[str]] = defaultdict(set)
    for source, target in edges:
        src, dst = source.split(".")[0], target.split(".")[0]
        if src != dst and not any(source == a and (target == b or target.startswith(b + ".")) for a, b in ignored):
            graph[src].add(dst)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    cycles: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                cycles.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return sorted(cycles)


def test_the_cycle_finder_sees_cycles_of_any_length():
    assert package_cycles([("a.x", "b.y"), ("b.y", "c"), ("c.z", "a")]) == [["a", "b", "c"]]
    assert package_cycles([("a.chat", "b"), ("b.q", "a.items")]) == [["a", "b"]]  # a submodule counts for its package
    assert package_cycles([("a.chat", "b"), ("b.q", "a.items")], {("a.chat", "b")}) == []
    assert package_cycles([("a", "b"), ("b", "c")]) == []


def test_no_package_cycles():
    cycles = package_cycles(our_imports())
    assert not cycles, f"packages that import each other (directly or through others): {cycles}"


def test_product_code_never_imports_the_tests():
    found = sorted(f"{module} imports {target}" for module, path in product_modules().items()
                   for target in imports_of(path, module) if target == "tests" or target.startswith("tests."))
    assert not found, "move what product code needs into a product package (e.g. standins/):\n" + "\n".join(found)


@pytest.mark.parametrize("module", ["core.settings", "core.errors"])
def test_the_core_imports_nothing_of_ours(module):
    assert not [t for s, t in our_imports() if s == module]
