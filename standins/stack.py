"""The app's real runtime against the local stand-ins: settings from a dict, Yahoo replay and web servers.

Used by the tests, the evals (`python -m evals`) and the benchmarks. Nothing here fakes our code: it builds the
real runtime and chat service, with external services replaced by the 127.0.0.1 servers of this package.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from chat.service import ChatService
from core.settings import Settings, load_settings
from runtime import Runtime, build_runtime
from standins.web import WebServer
from standins.yahoo import YahooReplay


def settings_for(**env: Any) -> Settings:
    suite_database = os.environ.get("SMOL_TEST_DATABASE_URL")  # the suite on PostgreSQL (tests/conftest.py)
    if suite_database and "DATABASE_URL" not in env:
        env["DATABASE_URL"] = suite_database
    return load_settings({k: str(v) for k, v in env.items()}, dotenv_path=None)


@dataclass
class Stack:
    web: WebServer
    yahoo: YahooReplay
    settings: Settings
    runtime: Runtime

    def chat(self, model_factory: Callable[[], Any]) -> ChatService:
        return ChatService(self.runtime, model_factory=model_factory)


@contextlib.contextmanager
def local_stack(tmp_path: Path, model_factory: Callable[[], Any] | None = None, **env: Any):
    """Web + Yahoo servers on 127.0.0.1 and the app's real runtime pointed at them (`model_factory`: the owner's
    model, e.g. a scripted one; default: the one the settings choose)."""
    import yfinance

    yfinance.set_tz_cache_location(str(tmp_path / "yfinance-cache"))  # never a developer's ~/.cache
    with WebServer() as web, YahooReplay() as yahoo:
        settings = settings_for(
            DDG_HTML_URL=web.search_url,
            WEB_ALLOW_PRIVATE_HOSTS="true",
            YAHOO_BASE_URL=yahoo.url,
            MARKET_TIMEOUT_S=5,
            PAPER_LEDGER_PATH=tmp_path / "ledger.sqlite3",
            # Yahoo alone and unthrottled unless a test asks for the chain (tests/test_market_sources.py does).
            **{"DATA_DIR": tmp_path / "data", "MARKET_SOURCES": "yahoo", "MARKET_YAHOO_PER_MINUTE": 0,
               **env},  # workspaces never land in the repo
        )
        runtime = build_runtime(settings, model_factory=model_factory)
        try:
            yield Stack(web, yahoo, settings, runtime)
        finally:
            runtime.close()
            if runtime.tracing is not None:
                runtime.tracing.shutdown()
