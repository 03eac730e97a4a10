"""Publish the shareable tools to the Hugging Face Hub, each as its own Space, plus a collection.

Command (documented in README.md, "Our tools on the Hub"):

    python -m hub.publish --namespace YOUR_HF_NAME [--update] [--private] [--only NAME ...]

Each tool goes through smolagents' own `Tool.push_to_hub`, which creates a
Gradio Space holding `tool.py`, `app.py` (a working demo UI) and
`requirements.txt`, and tags the README `smolagents` + `tool`. We then add one
commit that (a) replaces the README body with what the tool does, its inputs,
output and an example, keeping the Hub's front matter, and (b) pins
requirements.txt to pip distribution names, because smolagents writes import
names (`alpaca`, which on PyPI is a different project than `alpaca-py`).
Finally all Spaces are grouped in a Hub collection.

By default a Space that already exists is not overwritten (409 -> clear
message); `--update` publishes a new version over it.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from hub.client import HubCommandError, explain_hub_error, use_configured_endpoint
from hub.space_python import SPACE_PYTHON, ensure_space_python

DEFAULT_PREFIX = "smol-trader-"
DEFAULT_COLLECTION_TITLE = "Smol Trader tools"
COLLECTION_DESCRIPTION = "Market data, indicators, charts and an Alpaca paper-trading order tool for smolagents."
HUB_NOTE_LIMIT = 500  # the Hub refuses longer collection notes
SHORT_DESCRIPTION_LIMIT = 60  # the Hub's limit for a Space's short_description

# Example arguments shown in each README; tools without an entry get type-based placeholders.
EXAMPLES: dict[str, dict[str, Any]] = {
    "alpaca_place_order": {"symbol": "AAPL", "side": "buy", "qty": 1},
    "stock_quote": {"symbol": "AAPL"},
    "price_history": {"symbol": "AAPL", "period": "6mo", "interval": "1d"},
    "company_profile": {"symbol": "MSFT"},
    "stock_news": {"symbol": "NVDA"},
    "symbol_search": {"query": "tesla"},
    "compare_stocks": {"symbols": "AAPL,MSFT,GOOG", "period": "1y"},
    "technical_indicators": {"symbol": "AAPL"},
    "price_chart": {"symbol": "AAPL", "period": "6mo"},
    "performance_chart": {"symbols": "AAPL,MSFT", "period": "1y"},
}

# What a person must configure for a tool to work in its Space (names only).
ENVIRONMENT_NOTES: dict[str, str] = {
    "alpaca_place_order": (
        "Set the Space secrets `ALPACA_API_KEY` and `ALPACA_SECRET_KEY` (paper keys from "
        "https://app.alpaca.markets). Orders go to the paper account; live orders additionally need "
        "`live=True` **and** the variables `ALPACA_PAPER=false` and `TRADING_LIVE_ENABLED=true`."
    ),
}


@dataclass
class PublishedTool:
    name: str
    repo_id: str
    url: str


@dataclass
class PublishResult:
    tools: list[PublishedTool] = field(default_factory=list)
    collection_slug: str = ""
    collection_url: str = ""


def shareable_tools() -> list:
    """The tools we share: market data, indicators, charts (when present) and the Alpaca order tool."""
    from hub.alpaca_order import AlpacaOrderTool
    from hub.market_tools import hub_market_tools

    # Each published copy carries the market client and formatters and fetches its own data (hub/market_tools.py).
    return [*hub_market_tools(), AlpacaOrderTool()]


def space_repo_name(tool_name: str, prefix: str = DEFAULT_PREFIX) -> str:
    """`get_quote` -> `smol-trader-get-quote` (Space names may not contain underscores)."""
    return f"{prefix}{tool_name}".replace("_", "-").lower()


def pinned_requirements(tool) -> str:
    """requirements.txt for the tool's Space: pip distribution names pinned to what we run and test."""
    module_to_dists = importlib.metadata.packages_distributions()
    lines: set[str] = set()
    for module in tool.to_dict()["requirements"]:
        dists = module_to_dists.get(module) or [module]
        for dist in dists:
            try:
                lines.add(f"{dist}=={importlib.metadata.version(dist)}")
            except importlib.metadata.PackageNotFoundError:
                lines.add(dist)
    return "\n".join(sorted(lines, key=str.lower)) + "\n"


def example_arguments(tool) -> dict[str, Any]:
    if tool.name in EXAMPLES:
        return dict(EXAMPLES[tool.name])
    placeholders = {"string": "AAPL", "number": 1, "integer": 1, "boolean": False}
    return {name: placeholders.get(spec.get("type")) for name, spec in tool.inputs.items()
            if not spec.get("nullable")}


def readme_body(tool, repo_id: str) -> str:
    """The human part of a tool's README: what it does, inputs, output, example."""
    rows = "\n".join(
        f"| `{name}` | {spec.get('type')} | {'no' if spec.get('nullable') else 'yes'} | "
        f"{str(spec.get('description', '')).replace('|', '/')} |"
        for name, spec in tool.inputs.items()
    )
    args = ", ".join(f"{key}={value!r}" for key, value in example_arguments(tool).items())
    env = ENVIRONMENT_NOTES.get(tool.name)
    env_section = f"\n## Configuration\n\n{env}\n" if env else ""
    return f"""
# `{tool.name}`: a smolagents tool

{tool.description}

## Inputs

| name | type | required | description |
|---|---|---|---|
{rows}

## Output

`{tool.output_type}`
{env_section}
## Example

```python
from smolagents import CodeAgent, InferenceClientModel, Tool

tool = Tool.from_hub("{repo_id}", trust_remote_code=True)
print(tool({args}))

agent = CodeAgent(tools=[tool], model=InferenceClientModel())
```

This Space's `app.py` runs the tool in a small Gradio UI (`smolagents.launch_gradio_demo`).
Published from the Smol Trader project.
"""


def tool_card(tool, repo_id: str, existing_card_text: str):
    """The tool's README as a RepoCard: the Hub's front matter kept, our description added."""
    import gradio
    from huggingface_hub import RepoCard

    card = RepoCard(existing_card_text)
    card.data.tags = ["smolagents", "tool"]  # exactly what push_to_hub sets, so republishing stays valid
    card.data.sdk = "gradio"
    card.data.sdk_version = gradio.__version__
    card.data.python_version = SPACE_PYTHON
    card.data.app_file = "app.py"
    summary = tool.description.split(". ")[0].strip().rstrip(".")
    card.data.short_description = (
        (summary[: SHORT_DESCRIPTION_LIMIT - 1] + "…") if len(summary) > SHORT_DESCRIPTION_LIMIT else summary
    )
    card.text = readme_body(tool, repo_id)
    return card


def _create_space(api, repo_id: str, *, private: bool, update: bool) -> None:
    from huggingface_hub.errors import HfHubHTTPError

    try:
        api.create_repo(repo_id, repo_type="space", space_sdk="gradio", private=private)
    except HfHubHTTPError as exc:
        if exc.response is not None and exc.response.status_code == 409:
            if update:
                return
            raise HubCommandError(
                f"the Space {repo_id} already exists (409). Pass --update to publish a new version over it."
            ) from None
        raise


def publish_tool(api, tool, repo_id: str, *, private: bool = False, update: bool = False) -> PublishedTool:
    """Publish one tool as the Space `repo_id` (create, push_to_hub, README + pinned requirements)."""
    from huggingface_hub import CommitOperationAdd, RepoCard

    requirements = pinned_requirements(tool)
    ensure_space_python(requirements, SPACE_PYTHON, what=f"the {tool.name} Space's requirements.txt")
    _create_space(api, repo_id, private=private, update=update)
    tool.push_to_hub(repo_id, commit_message=f"Publish the {tool.name} tool", token=api.token, private=private)
    existing = RepoCard.load(repo_id, repo_type="space", token=api.token)
    card = tool_card(tool, repo_id, str(existing))
    card.validate(repo_type="space")
    api.create_commit(
        repo_id,
        repo_type="space",
        operations=[
            CommitOperationAdd("README.md", str(card).encode("utf-8")),
            CommitOperationAdd("requirements.txt", requirements.encode("utf-8")),
        ],
        commit_message=f"Describe the {tool.name} tool and pin its requirements",
    )
    return PublishedTool(tool.name, repo_id, f"{api.endpoint}/spaces/{repo_id}")


def publish_tools(namespace: str, tools: Sequence, *, token: str | None = None, prefix: str = DEFAULT_PREFIX,
                  collection_title: str = DEFAULT_COLLECTION_TITLE, private: bool = False,
                  update: bool = False) -> PublishResult:
    """Publish every tool under `namespace` and group the Spaces in one collection."""
    from huggingface_hub import HfApi

    if not namespace or "/" in namespace:
        raise HubCommandError("--namespace must be a Hugging Face user or organization name, e.g. 'alice'.")
    names = [tool.name for tool in tools]
    if len(set(names)) != len(names):
        raise HubCommandError(f"two tools share a name: {sorted(n for n in names if names.count(n) > 1)}")
    for tool in tools:  # fail before touching the Hub when a tool cannot be shared
        try:
            tool.to_dict()
        except ValueError as exc:
            raise HubCommandError(f"the tool {tool.name!r} is not self-contained: {exc}") from None

    api = HfApi(token=token)
    result = PublishResult()
    for tool in tools:
        repo_id = f"{namespace}/{space_repo_name(tool.name, prefix)}"
        result.tools.append(publish_tool(api, tool, repo_id, private=private, update=update))

    collection = api.create_collection(collection_title, namespace=namespace, description=COLLECTION_DESCRIPTION,
                                       private=private, exists_ok=True)
    for tool, published in zip(tools, result.tools):
        api.add_collection_item(collection.slug, item_id=published.repo_id, item_type="space",
                                note=tool.description[:HUB_NOTE_LIMIT], exists_ok=True)
    result.collection_slug = collection.slug
    result.collection_url = f"{api.endpoint}/collections/{collection.slug}"
    return result


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m hub.publish",
        description="Publish Smol Trader's shareable tools as Hugging Face Spaces and group them in a collection. "
                    "Needs HF_TOKEN (a write token) in the environment or .env, or a `hf auth login`.",
    )
    parser.add_argument("--namespace", required=True, help="Hugging Face user or organization to publish under")
    parser.add_argument("--prefix", default=DEFAULT_PREFIX, help=f"Space name prefix (default {DEFAULT_PREFIX!r})")
    parser.add_argument("--collection-title", default=DEFAULT_COLLECTION_TITLE)
    parser.add_argument("--only", nargs="*", default=None, metavar="TOOL", help="publish only these tool names")
    parser.add_argument("--private", action="store_true", help="create private Spaces and collection")
    parser.add_argument("--update", action="store_true", help="publish over Spaces that already exist")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    parser.add_argument("--dry-run", action="store_true",
                        help="check each tool Space's requirements against its Python; upload nothing")
    return parser.parse_args(argv)


def dry_run(namespace: str, tools: Sequence, prefix: str) -> str:
    """What would be published, with each Space's Python check; raises HubCommandError when a check fails."""
    return "\n".join(f"{namespace}/{space_repo_name(tool.name, prefix)}: "
                     + ensure_space_python(pinned_requirements(tool), SPACE_PYTHON,
                                           what=f"the {tool.name} Space's requirements.txt")
                     for tool in tools)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    use_configured_endpoint()
    try:
        from core.settings import load_settings

        token = load_settings().hf_token.reveal() or None
        tools = shareable_tools()
        if args.only:
            unknown = sorted(set(args.only) - {tool.name for tool in tools})
            if unknown:
                raise HubCommandError(f"unknown tool(s) {unknown}; shareable: {sorted(t.name for t in tools)}")
            tools = [tool for tool in tools if tool.name in args.only]
        if args.dry_run:
            print(dry_run(args.namespace, tools, args.prefix))
            return 0
        result = publish_tools(args.namespace, tools, token=token, prefix=args.prefix,
                               collection_title=args.collection_title, private=args.private, update=args.update)
    except Exception as exc:
        print(explain_hub_error(exc, action="publish the tools"), file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps({"tools": [vars(t) for t in result.tools], "collection_slug": result.collection_slug,
                          "collection_url": result.collection_url}))
    else:
        for published in result.tools:
            print(f"published {published.name}: {published.url}")
        print(f"collection: {result.collection_url}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
