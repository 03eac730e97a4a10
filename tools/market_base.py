"""What every market tool shares: the bound client, compact output schemas, JSON-safe results."""

from __future__ import annotations

import json
import math
import textwrap
from typing import Any

from smolagents import Tool

from market.client import MarketData

SYMBOL = {"type": "string", "description": "Ticker, e.g. AAPL or ^GSPC."}
PERIOD = "1mo 3mo 6mo 1y 2y 5y 10y ytd max"

# smolagents 1.26's wording for tools with an output schema -> the same advice, shorter.
SCHEMA_NOTES = {
    "\n\n    Important: This tool returns structured output! Use the JSON schema below to directly access fields like "
    "result['field_name']. NO print() statements needed to inspect the output!": "",
    "dict (structured output): This tool ALWAYS returns a dictionary that strictly adheres to the following JSON "
    "schema:": "dict:",
}


def schema(**fields: str) -> dict:
    """A compact object schema: field name -> JSON type; `as_of`, `source` and `summary` always included."""
    fields.update(as_of="string", source="string", summary="string")
    return {"type": "object", "properties": {name: {"type": kind} for name, kind in fields.items()}}


def plain(value: Any) -> Any:
    """JSON-safe Python values for the model's code: floats (NaN -> None), ISO dates, plain containers."""
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if hasattr(value, "item"):  # numpy scalars
        value = value.item()
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        return None
    return value


SHORT_TYPES = {"string": "str", "number": "num", "integer": "int", "boolean": "bool", "array": "list",
               "object": "dict"}


# Fields every data tool returns; the trader's instructions (prompts.yaml) say so once instead of in every tool.
COMMON_FIELDS = ("as_of", "source", "summary")


def compact_schema(output_schema: dict) -> str:
    """{"type": "object", "properties": {"price": {"type": "number"}}} -> "{price: num}" for the prompt.

    The common `as_of`, `source` and `summary` fields are left out when a schema has all three."""
    properties = output_schema["properties"]
    common = set(COMMON_FIELDS) <= set(properties)
    fields = (f"{name}: {SHORT_TYPES.get(spec.get('type'), spec.get('type'))}"
              for name, spec in properties.items() if not (common and name in COMMON_FIELDS))
    return "{" + ", ".join(fields) + "}"


class CompactTool(Tool):
    """A smolagents Tool whose output schema renders on one line in the code agent's prompt (a leaner prompt)."""

    def to_code_prompt(self) -> str:
        """smolagents' rendering, with the output schema on one line and its notes shortened (a leaner prompt)."""
        prompt = super().to_code_prompt()
        if self.output_schema is None:
            return prompt
        spread = textwrap.indent(textwrap.indent(json.dumps(self.output_schema, indent=4), " " * 8), " " * 4)
        compact = compact_schema(self.output_schema)
        prompt = prompt.replace(spread, " " * 12 + compact)
        for long, short in SCHEMA_NOTES.items():
            prompt = prompt.replace(long, short)
        return prompt.replace("Returns:\n        dict:\n            ", "Returns ")  # the signature says -> dict


class MarketTool(CompactTool):
    """A tool bound to the shared market-data client."""

    output_type = "string"

    def __init__(self, market: MarketData):
        super().__init__()
        self.market = market
