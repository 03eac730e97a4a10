"""All settings, read once from the environment (and `.env` when present).

Every setting is declared once, as a field of `Settings` made by `setting()`: its environment variable, its
default, how it is parsed and one line of help. `load_settings()` reads every field that way and fails fast with
`SettingsError` naming the variable that is malformed; `scripts/gen_settings_docs.py` writes docs/configuration.md
and .env.example from the same declarations. Secrets are kept in `Secret` wrappers whose repr never shows the
value, so a settings object can be logged or shown without leaking keys.

`ENVIRONMENT_READERS` is the one list of the places outside this module that read the process environment, with
what they read and why; tests/test_settings_docs.py fails on any other.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import MISSING, dataclass, field, fields
from pathlib import Path
from typing import Any


class SettingsError(ValueError):
    """A setting is missing or malformed; the message names the variable."""


class Secret:
    """A secret string that never shows itself in repr/str/format."""

    __slots__ = ("_value",)

    def __init__(self, value: str):
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __bool__(self) -> bool:
        return bool(self._value)

    def __repr__(self) -> str:
        return "Secret('***')" if self._value else "Secret('')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)


def _text(env: Mapping[str, str], name: str, default: str = "") -> str:
    return env.get(name, default).strip()


def _secret(env: Mapping[str, str], name: str) -> Secret:
    return Secret(env.get(name, "").strip())


def _bool(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = env.get(name, "").strip().lower()
    if not raw:
        return default
    if raw in ("1", "true", "yes", "on"):
        return True
    if raw in ("0", "false", "no", "off"):
        return False
    raise SettingsError(f"{name} must be true or false, got {raw!r}")


def _number(env: Mapping[str, str], name: str, default: float, *, minimum: float = 0, cast=float):
    raw = env.get(name, "").strip()
    if not raw:
        return cast(default)
    try:
        value = cast(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a number, got {raw!r}") from None
    if value < minimum:
        raise SettingsError(f"{name} must be at least {minimum}, got {raw!r}")
    return value


def _choice(env: Mapping[str, str], name: str, choices: tuple[str, ...]) -> str:
    value = _text(env, name, choices[0]).lower() or choices[0]
    if value not in choices:
        raise SettingsError(f"{name} must be one of {', '.join(choices)}, got {value!r}")
    return value


def _list(env: Mapping[str, str], name: str) -> tuple[str, ...]:
    return tuple(item.strip() for item in env.get(name, "").replace("\n", ",").split(",") if item.strip())


def _proxies(env: Mapping[str, str], name: str) -> tuple[str, ...]:
    """A list of IP addresses and networks (`10.0.0.0/8`); anything else (a name, `*`) is refused."""
    import ipaddress

    items = _list(env, name)
    for item in items:
        try:
            ipaddress.ip_network(item, strict=False)
        except ValueError:
            raise SettingsError(f"{name} must list IP addresses or networks (e.g. 10.0.0.0/8), got {item!r}") from None
    return items


def _url(env: Mapping[str, str], name: str, default: str = "", keep_slash: bool = False) -> str:
    value = _text(env, name, default)
    value = value if keep_slash else value.rstrip("/")
    if value and not value.startswith(("http://", "https://")):
        raise SettingsError(f"{name} must start with http:// or https://, got {value!r}")
    return value


Parser = Callable[[Mapping[str, str], str, Any], Any]  # (environment, variable name, default) -> value


@dataclass(frozen=True)
class Spec:
    """How one setting is read and documented (kept in its field's metadata)."""

    env: str | None  # the environment variable; None for a value derived from others (not set by anyone)
    help: str  # one line for docs/configuration.md and .env.example
    read: Parser
    section: str
    shown_default: str | None = None  # how the docs show the default when the field's value is not the whole story
    also: tuple[str, ...] = ()  # further variables this setting reads


_SECTION = ["General"]


def section(title: str) -> None:
    """Start a section of settings (the heading they appear under in docs/configuration.md)."""
    _SECTION[0] = title


def setting(env: str | None, default: Any, help: str, read: Parser | None = None, *, shown: str | None = None,
            also: tuple[str, ...] = ()) -> Any:
    """A field of `Settings`: its variable, default, parser (inferred from the default when omitted) and help."""
    spec = Spec(env, help, read or _parser_for(default), _SECTION[0], shown, also)
    if isinstance(default, Secret):
        return field(default_factory=lambda: Secret(default.reveal()), metadata={"setting": spec})
    return field(default=default, metadata={"setting": spec})


def _parser_for(default: Any) -> Parser:
    if isinstance(default, Secret):
        return lambda env, name, _default: _secret(env, name)
    if isinstance(default, bool):
        return _bool
    if isinstance(default, (int, float)):
        return number()
    if isinstance(default, tuple):
        return lambda env, name, _default: _list(env, name)
    return _text


def number(minimum: float = 0) -> Parser:
    """A number of the default's type (int or float), at least `minimum`."""
    return lambda env, name, default: _number(env, name, default, minimum=minimum, cast=type(default))


def url(keep_slash: bool = False) -> Parser:
    """An http(s) URL; a trailing slash is dropped unless `keep_slash`."""
    return lambda env, name, default: _url(env, name, default, keep_slash=keep_slash)


def choice(*choices: str) -> Parser:
    """One of `choices` (case-insensitive); empty means the first."""
    return lambda env, name, _default: _choice(env, name, choices)


def _model_backend(env: Mapping[str, str], name: str, _default: str) -> str:
    backend = _text(env, name).lower()
    if backend not in ("", "hf", "openai", "litellm"):
        raise SettingsError(f"{name} must be hf, openai or litellm, got {backend!r}")
    return backend


def _otel_endpoint(env: Mapping[str, str], name: str, _default: str) -> str:
    endpoint = _url(env, name)
    if not endpoint and _text(env, "OTEL_EXPORTER_OTLP_ENDPOINT"):
        endpoint = _url(env, "OTEL_EXPORTER_OTLP_ENDPOINT") + "/v1/traces"
    return endpoint


def _paper_ledger_path(env: Mapping[str, str], name: str, _default: str) -> str:
    return _text(env, name) or str(Path(_data_dir(env)[0]) / "paper_ledger.sqlite3")


def _server_name(env: Mapping[str, str], name: str, _default: str) -> str:
    return _text(env, name) or ("0.0.0.0" if _text(env, "SPACE_ID") else "127.0.0.1")


@dataclass(frozen=True)
class Settings:
    section("Model")
    model_backend: str = setting("MODEL_BACKEND", "", "force a backend when several are configured: `hf`, `openai` "
                                 "or `litellm`; empty chooses from what is set", _model_backend)
    model_id: str = setting("MODEL_ID", "", "the model: a Hub id, the OpenAI-compatible server's model name, or "
                            "`litellm/<provider>/<model>`",
                            shown="`Qwen/Qwen3-Coder-480B-A35B-Instruct` with `HF_TOKEN`")
    hf_token: Secret = setting("HF_TOKEN", Secret(""), "Hugging Face token: Inference Providers, Hub tools, backups")
    hf_provider: str = setting("HF_PROVIDER", "", "Inference Provider to route Hugging Face models through")
    openai_api_base: str = setting("OPENAI_API_BASE", "", "base URL of an OpenAI-compatible server (OpenAI, Ollama "
                                   "`http://localhost:11434/v1`, vLLM, llama.cpp)", url())
    openai_api_key: Secret = setting("OPENAI_API_KEY", Secret(""), "key for the OpenAI-compatible server")
    model_timeout_s: float = setting("MODEL_TIMEOUT_S", 120.0,
                                     "total deadline of one model call, streaming included, seconds", number(1))
    manager_max_steps: int = setting("MANAGER_MAX_STEPS", 8, "the manager's step limit; at the limit the team gives "
                                     "its best answer and says so", number(1))
    sub_agent_max_steps: int = setting("SUB_AGENT_MAX_STEPS", 6, "each team member's step limit", number(1))

    section("Chat and sessions")
    concurrency_limit: int = setting("CONCURRENCY_LIMIT", 32, "turns running at once (Gradio queue); people don't "
                                     "wait for each other below this", number(1))
    session_idle_minutes: float = setting("SESSION_IDLE_MINUTES", 30.0, "idle browser sessions are closed and "
                                          "forgotten after this many minutes", number(0.01))
    max_message_chars: int = setting("MAX_MESSAGE_CHARS", 8000, "longer messages are refused with a clear message",
                                     number(1))
    turn_timeout_s: float = setting("TURN_TIMEOUT_S", 600.0, "a turn running longer is stopped with a message, "
                                    "seconds", number(1))
    web_output_chars: int = setting("WEB_OUTPUT_CHARS", 6000, "cap on what the web tools hand the agents, "
                                    "characters", number(200))

    section("Web search")
    ddg_html_url: str = setting("DDG_HTML_URL", "https://html.duckduckgo.com/html/", "DuckDuckGo's HTML endpoint "
                                "(or a mirror)", url(keep_slash=True))
    web_timeout_s: float = setting("WEB_TIMEOUT_S", 10.0, "timeout of one web request, seconds", number(0.1))
    web_allow_private_hosts: bool = setting("WEB_ALLOW_PRIVATE_HOSTS", False, "let `read_page` and webhooks reach "
                                            "localhost/private addresses (off on a public Space); cloud metadata "
                                            "stays refused")

    section("Market data")
    yahoo_base_url: str = setting("YAHOO_BASE_URL", "", "route every yfinance request to another base URL (a "
                                  "proxy; the tests' replay server); empty: Yahoo's own hosts", url())
    market_timeout_s: float = setting("MARKET_TIMEOUT_S", 10.0, "timeout of one market-data request, seconds",
                                      number(0.1))
    quote_ttl_s: float = setting("QUOTE_TTL_S", 15.0, "how long a quote is cached, seconds")
    history_ttl_s: float = setting("HISTORY_TTL_S", 3600.0, "how long price history is cached, seconds")

    section("Trading")
    alpaca_api_key: Secret = setting("ALPACA_API_KEY", Secret(""), "Alpaca key: use Alpaca (paper by default) "
                                     "for allowlisted signed-in people")
    alpaca_secret_key: Secret = setting("ALPACA_SECRET_KEY", Secret(""), "Alpaca secret, with `ALPACA_API_KEY`")
    alpaca_paper: bool = setting("ALPACA_PAPER", True, "Alpaca's paper account; live trading needs both "
                                 "`ALPACA_PAPER=false` and `TRADING_LIVE_ENABLED=true`")
    trading_live_enabled: bool = setting("TRADING_LIVE_ENABLED", False, "allow live (real money) Alpaca orders, "
                                         "with `ALPACA_PAPER=false`")
    alpaca_url_override: str = setting("ALPACA_URL_OVERRIDE", "", "send alpaca-py to another server", url())
    paper_ledger_path: str = setting("PAPER_LEDGER_PATH", "data/paper_ledger.sqlite3", "the built-in paper "
                                     "broker's SQLite ledger (one account per workspace)", _paper_ledger_path,
                                     shown="`$DATA_DIR/paper_ledger.sqlite3`")
    paper_starting_cash: float = setting("PAPER_STARTING_CASH", 100_000.0, "cash of a new paper account, USD")
    risk_max_order_notional: float = setting("RISK_MAX_ORDER_NOTIONAL", 25_000.0, "hard limit per order, USD")
    risk_max_position_pct: float = setting("RISK_MAX_POSITION_PCT", 25.0, "hard limit on one position, % of equity")
    risk_max_orders_per_day: int = setting("RISK_MAX_ORDERS_PER_DAY", 20, "orders per workspace per day")
    trading_kill_switch: bool = setting("TRADING_KILL_SWITCH", False, "refuse every order")
    ticket_ttl_s: float = setting("TICKET_TTL_S", 300.0, "order tickets expire after this many seconds", number(1))
    trading_allowlist: tuple[str, ...] = setting("TRADING_ALLOWLIST", (), "comma-separated signed-in names allowed "
                                                 "to confirm Alpaca orders")
    app_username: str = setting("APP_USERNAME", "", "username of a login outside Spaces (Gradio `auth`)")
    app_password: Secret = setting("APP_PASSWORD", Secret(""), "password of that login")

    section("Tracing")
    langfuse_public_key: Secret = setting("LANGFUSE_PUBLIC_KEY", Secret(""), "Langfuse public key: traces to "
                                          "Langfuse over OTLP")
    langfuse_secret_key: Secret = setting("LANGFUSE_SECRET_KEY", Secret(""), "Langfuse secret key")
    langfuse_host: str = setting("LANGFUSE_HOST", "https://cloud.langfuse.com", "Langfuse host (self-hosted "
                                 "or a region)", url())
    otel_endpoint: str = setting("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "", "traces to any OTLP/HTTP backend; or "
                                 "`OTEL_EXPORTER_OTLP_ENDPOINT` (`/v1/traces` is added)", _otel_endpoint,
                                 also=("OTEL_EXPORTER_OTLP_ENDPOINT",))
    otel_headers: Secret = setting("OTEL_EXPORTER_OTLP_HEADERS", Secret(""), "headers for that OTLP backend "
                                   "(`name=value,…`)")

    section("Hub tools")
    hub_tools: tuple[str, ...] = setting("HUB_TOOLS", (), "extra tools from the Hub, e.g. "
                                         "`trader:owner/space, web:collection:owner/slug-id`")
    hub_tools_trusted: bool = setting("HUB_TOOLS_TRUSTED", False, "required to load `HUB_TOOLS`: remote tools run "
                                      "their code inside the app")

    section("Model code isolation")  # --- #12 model code isolation ---
    worker_memory_mb: int = setting("WORKER_MEMORY_MB", 1024, "address-space limit (RLIMIT_AS) of one model-code "
                                    "worker process, MB", number(256))
    worker_idle_s: float = setting("WORKER_IDLE_S", 600.0, "a code worker without a step for this long is ended "
                                   "(its variables go; the model is told), seconds", number(1))

    section("Visitor limits")  # --- #12 egress and visitor limits ---
    rate_limit_turns_per_minute: int = setting("RATE_LIMIT_TURNS_PER_MINUTE", 6, "messages per visitor per "
                                               "minute, slash commands included; 0 = unlimited")
    token_budget_per_day: int = setting("TOKEN_BUDGET_PER_DAY", 200_000, "model tokens per visitor and UTC day on "
                                        "the owner's model; 0 = unlimited")
    token_budget_per_turn: int = setting("TOKEN_BUDGET_PER_TURN", 100_000, "a turn using more model tokens is "
                                         "stopped with a message; 0 = unlimited")
    token_budget_anonymous_per_day: int = setting("TOKEN_BUDGET_ANONYMOUS_PER_DAY", 2_000_000, "model tokens per "
                                                  "UTC day for all anonymous visitors together; 0 = unlimited")
    unlimited_users: tuple[str, ...] = setting("UNLIMITED_USERS", (), "comma-separated signed-in names exempt from "
                                               "every visitor limit")
    anonymous_model: str = setting("ANONYMOUS_MODEL", "owner", "`owner`: visitors who are not signed in use the "
                                   "owner's model within the budget; `none`: slash commands only",
                                   choice("owner", "none"))

    section("Workspaces and storage")  # --- #14 workspace and storage ---
    data_dir: str = setting("DATA_DIR", "data", "every database of the app lives here",
                            lambda env, name, _default: _data_dir(env)[0],
                            shown="`data` (`/data` on a Space with persistent storage)")
    data_ephemeral: bool = setting(None, False, "derived: on a Space without persistent storage, data goes away "
                                   "on restart (the app says so)", lambda env, name, _default: _data_dir(env)[1])
    anon_workspace_days: float = setting("ANON_WORKSPACE_DAYS", 30.0, "anonymous workspaces idle this many days "
                                         "are removed with their data", number(0.001))
    workspace_max_conversations: int = setting("WORKSPACE_MAX_CONVERSATIONS", 200, "conversations per workspace",
                                               number(1))
    workspace_max_mb: float = setting("WORKSPACE_MAX_MB", 50.0, "stored size per workspace, MB", number(0.001))
    workspace_backup_repo: str = setting("WORKSPACE_BACKUP_REPO", "", "`owner/name` of a private HF dataset to back "
                                         "DATA_DIR up to (uses `HF_TOKEN`); empty: no backup")
    workspace_backup_minutes: float = setting("WORKSPACE_BACKUP_MINUTES", 5.0, "minutes between backups",
                                              number(0.1))

    section("Watchlists, alerts and briefs")  # --- #15 watchlists, alerts, briefs ---
    alert_check_seconds: float = setting("ALERT_CHECK_SECONDS", 60.0, "how often alerts are checked while the "
                                         "exchange is open, seconds", number(5))
    watchlist_max_symbols: int = setting("WATCHLIST_MAX_SYMBOLS", 50, "symbols per watchlist", number(1))
    alerts_max_per_workspace: int = setting("ALERTS_MAX_PER_WORKSPACE", 100, "alert rules per workspace", number(1))
    briefs_max_per_workspace: int = setting("BRIEFS_MAX_PER_WORKSPACE", 3, "scheduled briefs per workspace")

    section("Forecasts and news")  # --- #17 forecasts, news, sizing ---
    sentiment_model: str = setting("SENTIMENT_MODEL", "", "optional transformers text classifier (e.g. "
                                   "`ProsusAI/finbert`) for headline tone; used only when `transformers` is "
                                   "installed; off when empty")

    section("MCP, runs API and metrics")  # --- #18 MCP, runs API, metrics ---
    mcp_enabled: bool = setting("MCP_ENABLED", True, "serve the read-only analysis tools over MCP at `/mcp`")
    runs_max_queued: int = setting("RUNS_MAX_QUEUED", 3, "unfinished runs one workspace may have at once",
                                   number(1))
    runs_keep: int = setting("RUNS_KEEP", 200, "finished runs kept per workspace (oldest dropped first)", number(1))
    metrics_token: Secret = setting("METRICS_TOKEN", Secret(""), "bearer token for `/metrics`; without it "
                                    "`/metrics` is open locally and off on a Space")
    space_id: str = setting("SPACE_ID", "", "set by Hugging Face on a Space (never set it yourself)")

    section("Server")  # --- #25 where the app listens ---
    server_name: str = setting("GRADIO_SERVER_NAME", "127.0.0.1", "where `python app.py` listens", _server_name,
                               shown="`127.0.0.1` (`0.0.0.0` on a Space)")
    server_port: int = setting("GRADIO_SERVER_PORT", 7860, "the port `python app.py` listens on", number(1))
    oauth_client_id: str = setting("OAUTH_CLIENT_ID", "", "set by Hugging Face on a Space with `hf_oauth: true` "
                                   "(shows the sign-in button)")

    section("Edges: identity and request bounds")  # --- #22 edges (identity, request bounds) ---
    session_hash_secret: Secret = setting("SESSION_HASH_SECRET", Secret(""), "key of the hash that spans carry "
                                          "instead of a session id (empty: a random key per process)")
    max_request_bytes: int = setting("MAX_REQUEST_BYTES", 1_000_000, "body cap of `/api` and `/mcp` requests, bytes, "
                                     "checked before reading (413)", number(1024))
    max_ui_request_bytes: int = setting("MAX_UI_REQUEST_BYTES", 16_000_000, "body cap of Gradio's own routes, bytes "
                                        "(a chat sends its history back with each message)", number(1024))
    trusted_proxies: tuple[str, ...] = setting("TRUSTED_PROXIES", (), "addresses or networks whose "
                                               "`X-Forwarded-For` is believed (empty: none; a Space: `10.0.0.0/8`)",
                                               lambda env, name, _default: _proxies(env, name))
    anon_workspaces_per_address_day: int = setting("ANON_WORKSPACES_PER_ADDRESS_DAY", 50, "new anonymous "
                                                   "workspaces one client address may make per UTC day", number(1))
    anon_workspaces_per_day: int = setting("ANON_WORKSPACES_PER_DAY", 5000, "new anonymous workspaces all clients "
                                           "together may make per UTC day", number(1))

    section("Edges: what one turn may produce")  # --- #22 edges ---
    final_answer_max_chars: int = setting("FINAL_ANSWER_MAX_CHARS", 20_000, "a longer final answer is cut here, "
                                          "with a note saying so", number(100))
    provenance_max_figures: int = setting("PROVENANCE_MAX_FIGURES", 200, "figures of one answer checked against "
                                          "tool output; the rest are said to be unchecked", number(1))
    tickets_max_pending: int = setting("TICKETS_MAX_PENDING", 10, "order tickets awaiting a decision per workspace; "
                                       "proposing more is refused", number(1))

    section("Edges: outbound work and workers")  # --- #22 edges: bounds ---
    web_total_timeout_s: float = setting("WEB_TOTAL_TIMEOUT_S", 20.0, "one outbound request (read_page, a webhook), "
                                         "connect and every read together, seconds", number(0.1))
    html_text_cpu_s: float = setting("HTML_TEXT_CPU_S", 2.0, "CPU seconds HTML-to-text may spend on one page before "
                                     "it is refused", number(0.05))
    worker_cpu_s: int = setting("WORKER_CPU_S", 300, "CPU seconds one model-code worker may use in its whole life "
                                "(RLIMIT_CPU)", number(1))
    worker_max_processes: int = setting("WORKER_MAX_PROCESSES", 256, "processes and threads the model-code workers "
                                        "may run together as their user, nobody (RLIMIT_NPROC)", number(8))

    section("Market data sources")  # --- #27 market data sources ---
    market_sources: str = setting("MARKET_SOURCES", "yahoo,alpaca,stooq", "the chain of market-data sources, in "
                                  "order (alpaca only when its keys are set)")
    market_breaker_failures: int = setting("MARKET_BREAKER_FAILURES", 3, "failures in a row that make a source rest",
                                           number(1))
    market_breaker_cooldown_s: float = setting("MARKET_BREAKER_COOLDOWN_S", 60.0, "how long a failing source rests "
                                               "before one probe request, seconds")
    market_yahoo_per_minute: float = setting("MARKET_YAHOO_PER_MINUTE", 50.0, "requests a minute to Yahoo (it "
                                             "blocks at about 60); 0: no limit")
    market_alpaca_per_minute: float = setting("MARKET_ALPACA_PER_MINUTE", 180.0, "requests a minute to Alpaca's data "
                                              "API (free plan: 200)")
    market_stooq_per_minute: float = setting("MARKET_STOOQ_PER_MINUTE", 30.0, "requests a minute to Stooq (it also "
                                             "caps hits per day)")
    market_limiter_wait_s: float = setting("MARKET_LIMITER_WAIT_S", 3.0, "longest wait for a source's token before a "
                                           "request goes to the next source, seconds")
    market_bar_cache: bool = setting("MARKET_BAR_CACHE", True, "keep daily bars in `DATA_DIR/market_bars.sqlite3` "
                                     "(a restart refetches nothing)")
    alpaca_data_url: str = setting("ALPACA_DATA_URL", "", "base URL of Alpaca's market data API (empty: "
                                   "data.alpaca.markets)", url())
    alpaca_data_feed: str = setting("ALPACA_DATA_FEED", "iex", "`iex` (free, IEX trades only) or `sip` "
                                    "(consolidated tape; paid for recent data)", choice("iex", "sip"))
    stooq_base_url: str = setting("STOOQ_BASE_URL", "", "base URL of Stooq's daily CSV (empty: https://stooq.com)",
                                  url())

    section("Replicas on PostgreSQL")  # --- #26 replicas on PostgreSQL ---
    database_url: Secret = setting("DATABASE_URL", Secret(""), "`postgresql://…`: every store lives in that "
                                   "database (replicas share it); empty: SQLite files in `DATA_DIR`")
    database_pool_size: int = setting("DATABASE_POOL_SIZE", 10, "PostgreSQL connections per process (the pool may "
                                      "grow to twice this)", number(1))
    replica_name: str = setting("REPLICA_NAME", "", "names this process in job slots and logs (empty: host name and "
                                "process id)")

    section("The chat page")  # --- #23 the face ---
    slash_commands_per_minute: int = setting("SLASH_COMMANDS_PER_MINUTE", 60, "slash commands per visitor per minute "
                                             "(they cost no model tokens); 0: unlimited")

    section("Model servers and bounded calls")  # --- #29/#30 model servers and bounded calls ---
    model_context_tokens: int = setting("MODEL_CONTEXT_TOKENS", 0, "the model's context window in tokens; 0: ask the "
                                        "server (llama.cpp `/props`, vLLM `/v1/models`, Ollama `/api/show`), else "
                                        "8,192")
    model_max_output_tokens: int = setting("MODEL_MAX_OUTPUT_TOKENS", 0, "`max_tokens` of one model call; 0: per role "
                                           "(manager and trader 1,536, web agent 1,024)")
    model_format_strikes: int = setting("MODEL_FORMAT_STRIKES", 3, "code-format failures in a row before the model "
                                        "is told the format in plain words; one more ends the turn", number(1))

    @property
    def alpaca_configured(self) -> bool:
        return bool(self.alpaca_api_key) and bool(self.alpaca_secret_key)

    @property
    def metrics_exposed(self) -> bool:
        """/metrics is served when a token protects it, or when the app is not a public Space."""
        return bool(self.metrics_token) or not self.space_id

    @property
    def live_trading(self) -> bool:
        """Live only when both explicit settings say so and keys exist."""
        return self.alpaca_configured and not self.alpaca_paper and self.trading_live_enabled

    def secret_values(self) -> list[str]:
        """Every non-empty secret value, for leak checks and log scrubbing."""
        return [v.reveal() for f in fields(self) if isinstance(v := getattr(self, f.name), Secret) and v]


# The one list of the places outside this module that touch the process environment, and why. Nothing else
# reads it (tests/test_settings_docs.py); a secret is read only here and by the standalone Hub tool.
ENVIRONMENT_READERS: dict[str, str] = {
    "app.py": "writes library defaults before start (GRADIO_ANALYTICS_ENABLED, LITELLM_LOCAL_MODEL_COST_MAP) and "
              "GRADIO_DEFAULT_CONCURRENCY_LIMIT while the page's Blocks is made (restoring what was there)",
    "standins/stack.py": "SMOL_TEST_DATABASE_URL, set by tests/conftest.py when the suite runs on PostgreSQL: each "
                         "test's stack gets its own database",
    "api/request_limits.py": "writes FORWARDED_ALLOW_IPS (from TRUSTED_PROXIES) for uvicorn, which reads it when "
                             "the server starts",
    "sandbox/process.py": "copies only ENV_ALLOWLIST (PATH, LANG, LC_*, TZ) into a code worker's environment",
    "hub/client.py": "HF_ENDPOINT, the Hub URL huggingface_hub itself reads at import (not a secret)",
    "hub/market_client.py": "YAHOO_BASE_URL and MARKET_TIMEOUT_S: embedded in the published market tools, whose "
                            "copy on its own Space is configured like the app",
    "hub/alpaca_order.py": "the standalone Alpaca tool runs alone on its own Space and reads that Space's secrets "
                           "(ALPACA_API_KEY, ALPACA_SECRET_KEY) and live-trading switches inside forward()",
    "hub/deploy.py": "which secret NAMES are set locally, to say which Space secrets to add (never a value)",
    "evals/runner.py": "hands the person's model variables to the eval stack, which reads them with load_settings",
    "standins/hub.py": "builds the environment of a child process pointed at the local Hub stand-in (tests, "
                       "benchmarks)",
}


def specs() -> list[tuple[str, Spec]]:
    """Every setting's field name and declaration, in declaration order (for docs and checks)."""
    return [(item.name, item.metadata["setting"]) for item in fields(Settings)]


def _data_dir(env: Mapping[str, str], space_storage: str = "/data") -> tuple[str, bool]:
    """DATA_DIR; on a Space, its persistent storage when mounted, else `data` (flagged as lost on restart)."""
    explicit = _text(env, "DATA_DIR")
    if explicit:
        return explicit, False
    if _text(env, "SPACE_ID"):
        if os.path.isdir(space_storage) and os.access(space_storage, os.W_OK):
            return space_storage, False
        return "data", True
    return "data", False


def read_dotenv(path: str | os.PathLike = ".env") -> dict[str, str]:
    """Values from a .env file (python-dotenv's parser), or {} when there is none."""
    if not Path(path).is_file():
        return {}
    from dotenv import dotenv_values

    return {k: v for k, v in dotenv_values(path).items() if v is not None}


def load_settings(env: Mapping[str, str] | None = None, dotenv_path: str | None = ".env") -> Settings:
    """Settings from `env` (default: os.environ over .env)."""
    if env is None:
        merged = dict(read_dotenv(dotenv_path)) if dotenv_path else {}
        merged.update(os.environ)
        env = merged
    values = {}
    for item in fields(Settings):
        spec = item.metadata.get("setting")
        if spec is None:
            raise TypeError(f"Settings.{item.name} must be declared with setting(variable, default, help)")
        default = item.default_factory() if item.default_factory is not MISSING else item.default
        values[item.name] = spec.read(env, spec.env or "", default)
    return Settings(**values)
