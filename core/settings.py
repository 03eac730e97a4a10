"""All settings, read once from the environment (and `.env` when present).

Every setting has one environment variable. `load_settings()` fails fast with
`SettingsError` naming the variable that is malformed. Secrets are kept in
`Secret` wrappers whose repr never shows the value, so a settings object can be
logged or shown without leaking keys.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path


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


def _url(env: Mapping[str, str], name: str, default: str = "", keep_slash: bool = False) -> str:
    value = _text(env, name, default)
    value = value if keep_slash else value.rstrip("/")
    if value and not value.startswith(("http://", "https://")):
        raise SettingsError(f"{name} must start with http:// or https://, got {value!r}")
    return value


@dataclass(frozen=True)
class Settings:
    # --- model -------------------------------------------------------------
    model_backend: str = ""  # "hf" | "openai" | "litellm" | "" (auto)
    model_id: str = ""
    hf_token: Secret = field(default_factory=lambda: Secret(""))
    hf_provider: str = ""
    openai_api_base: str = ""
    openai_api_key: Secret = field(default_factory=lambda: Secret(""))
    model_timeout_s: float = 120.0  # total deadline of one model call, streaming included
    manager_max_steps: int = 8
    sub_agent_max_steps: int = 6

    # --- chat / sessions -----------------------------------------------------
    concurrency_limit: int = 32
    session_idle_minutes: float = 30.0
    max_message_chars: int = 8000
    turn_timeout_s: float = 600.0
    web_output_chars: int = 6000

    # --- web search ------------------------------------------------------------
    ddg_html_url: str = "https://html.duckduckgo.com/html/"
    web_timeout_s: float = 10.0
    web_allow_private_hosts: bool = False  # let read_page fetch localhost / private addresses (tests, intranets)

    # --- market data -----------------------------------------------------------
    yahoo_base_url: str = ""  # empty: Yahoo's own hosts; set to route yfinance elsewhere
    market_timeout_s: float = 10.0
    quote_ttl_s: float = 15.0
    history_ttl_s: float = 3600.0

    # --- trading ---------------------------------------------------------------
    alpaca_api_key: Secret = field(default_factory=lambda: Secret(""))
    alpaca_secret_key: Secret = field(default_factory=lambda: Secret(""))
    alpaca_paper: bool = True
    trading_live_enabled: bool = False
    alpaca_url_override: str = ""
    paper_ledger_path: str = "data/paper_ledger.sqlite3"
    paper_starting_cash: float = 100_000.0
    risk_max_order_notional: float = 25_000.0
    risk_max_position_pct: float = 25.0
    risk_max_orders_per_day: int = 20
    trading_kill_switch: bool = False
    ticket_ttl_s: float = 300.0
    trading_allowlist: tuple[str, ...] = ()
    app_username: str = ""
    app_password: Secret = field(default_factory=lambda: Secret(""))

    # --- tracing -----------------------------------------------------------------
    langfuse_public_key: Secret = field(default_factory=lambda: Secret(""))
    langfuse_secret_key: Secret = field(default_factory=lambda: Secret(""))
    langfuse_host: str = "https://cloud.langfuse.com"
    otel_endpoint: str = ""  # OTEL_EXPORTER_OTLP_TRACES_ENDPOINT or OTEL_EXPORTER_OTLP_ENDPOINT
    otel_headers: Secret = field(default_factory=lambda: Secret(""))

    # --- hub -------------------------------------------------------------------
    hub_tools: tuple[str, ...] = ()
    hub_tools_trusted: bool = False

    # --- #12 model code isolation ---
    worker_memory_mb: int = 1024  # address-space limit of one model-code worker process (RLIMIT_AS)
    worker_idle_s: float = 600.0  # a worker without a code step for this long is ended (its variables go)

    # --- #12 egress and visitor limits ---
    rate_limit_turns_per_minute: int = 6  # messages per visitor per minute (slash commands too); 0 = unlimited
    token_budget_per_day: int = 200_000  # model tokens per visitor and UTC day on the owner's model; 0 = unlimited
    token_budget_per_turn: int = 100_000  # a turn using more model tokens is stopped; 0 = unlimited
    token_budget_anonymous_per_day: int = 2_000_000  # all anonymous visitors together per UTC day; 0 = unlimited
    unlimited_users: tuple[str, ...] = ()  # signed-in names exempt from every limit
    anonymous_model: str = "owner"  # "owner": anonymous visitors use the owner's model (within the budget); "none"

    # --- #14 workspace and storage ---
    data_dir: str = "data"  # every database of the app lives here (/data on a Space with persistent storage)
    data_ephemeral: bool = False  # on a Space without persistent storage: data goes away on restart
    anon_workspace_days: float = 30.0
    workspace_max_conversations: int = 200
    workspace_max_mb: float = 50.0
    workspace_backup_repo: str = ""  # owner/name of a private HF dataset; empty: no backup
    workspace_backup_minutes: float = 5.0

    # --- #15 watchlists, alerts, briefs ---
    alert_check_seconds: float = 60.0  # how often alerts are checked while the exchange is open
    watchlist_max_symbols: int = 50  # per workspace
    alerts_max_per_workspace: int = 100
    briefs_max_per_workspace: int = 3

    # --- #17 forecasts, news, sizing ---
    sentiment_model: str = ""  # optional transformers text classifier for headline tone (off when empty)

    # --- #18 MCP, runs API, metrics ---
    mcp_enabled: bool = True  # serve the read-only analysis tools over MCP at /mcp
    runs_max_queued: int = 3  # unfinished runs one workspace may have at once
    runs_keep: int = 200  # finished runs kept per workspace (oldest dropped first)
    metrics_token: Secret = field(default_factory=lambda: Secret(""))  # bearer token for /metrics
    space_id: str = ""  # set by Hugging Face on a Space; /metrics is off there unless METRICS_TOKEN is set

    # --- #11 streaming ---

    # --- #16/#19 provenance and evals ---

    # --- #29/#30 model servers and bounded calls ---
    model_context_tokens: int = 0  # model's context window (tokens); 0 = ask the server, else a safe default
    model_max_output_tokens: int = 0  # max_tokens of one model call; 0 = per role (1536, web_agent 1024)
    model_format_strikes: int = 3  # format failures in a row, then told once more, then turn ends

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
    backend = _text(env, "MODEL_BACKEND").lower()
    if backend not in ("", "hf", "openai", "litellm"):
        raise SettingsError(f"MODEL_BACKEND must be hf, openai or litellm, got {backend!r}")
    otel_endpoint = _url(env, "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
    data_dir, data_ephemeral = _data_dir(env)  # #14 workspace and storage
    if not otel_endpoint and _text(env, "OTEL_EXPORTER_OTLP_ENDPOINT"):
        otel_endpoint = _url(env, "OTEL_EXPORTER_OTLP_ENDPOINT") + "/v1/traces"
    return Settings(
        model_backend=backend,
        model_id=_text(env, "MODEL_ID"),
        hf_token=_secret(env, "HF_TOKEN"),
        hf_provider=_text(env, "HF_PROVIDER"),
        openai_api_base=_url(env, "OPENAI_API_BASE"),
        openai_api_key=_secret(env, "OPENAI_API_KEY"),
        model_timeout_s=_number(env, "MODEL_TIMEOUT_S", 120.0, minimum=1),
        manager_max_steps=_number(env, "MANAGER_MAX_STEPS", 8, minimum=1, cast=int),
        sub_agent_max_steps=_number(env, "SUB_AGENT_MAX_STEPS", 6, minimum=1, cast=int),
        concurrency_limit=_number(env, "CONCURRENCY_LIMIT", 32, minimum=1, cast=int),
        session_idle_minutes=_number(env, "SESSION_IDLE_MINUTES", 30.0, minimum=0.01),
        max_message_chars=_number(env, "MAX_MESSAGE_CHARS", 8000, minimum=1, cast=int),
        turn_timeout_s=_number(env, "TURN_TIMEOUT_S", 600.0, minimum=1),
        web_output_chars=_number(env, "WEB_OUTPUT_CHARS", 6000, minimum=200, cast=int),
        ddg_html_url=_url(env, "DDG_HTML_URL", "https://html.duckduckgo.com/html/", keep_slash=True),
        web_timeout_s=_number(env, "WEB_TIMEOUT_S", 10.0, minimum=0.1),
        web_allow_private_hosts=_bool(env, "WEB_ALLOW_PRIVATE_HOSTS", False),
        yahoo_base_url=_url(env, "YAHOO_BASE_URL"),
        market_timeout_s=_number(env, "MARKET_TIMEOUT_S", 10.0, minimum=0.1),
        quote_ttl_s=_number(env, "QUOTE_TTL_S", 15.0),
        history_ttl_s=_number(env, "HISTORY_TTL_S", 3600.0),
        alpaca_api_key=_secret(env, "ALPACA_API_KEY"),
        alpaca_secret_key=_secret(env, "ALPACA_SECRET_KEY"),
        alpaca_paper=_bool(env, "ALPACA_PAPER", True),
        trading_live_enabled=_bool(env, "TRADING_LIVE_ENABLED", False),
        alpaca_url_override=_url(env, "ALPACA_URL_OVERRIDE"),
        paper_ledger_path=_text(env, "PAPER_LEDGER_PATH") or str(Path(data_dir) / "paper_ledger.sqlite3"),
        paper_starting_cash=_number(env, "PAPER_STARTING_CASH", 100_000.0, minimum=0),
        risk_max_order_notional=_number(env, "RISK_MAX_ORDER_NOTIONAL", 25_000.0),
        risk_max_position_pct=_number(env, "RISK_MAX_POSITION_PCT", 25.0),
        risk_max_orders_per_day=_number(env, "RISK_MAX_ORDERS_PER_DAY", 20, cast=int),
        trading_kill_switch=_bool(env, "TRADING_KILL_SWITCH", False),
        ticket_ttl_s=_number(env, "TICKET_TTL_S", 300.0, minimum=1),
        trading_allowlist=_list(env, "TRADING_ALLOWLIST"),
        app_username=_text(env, "APP_USERNAME"),
        app_password=_secret(env, "APP_PASSWORD"),
        langfuse_public_key=_secret(env, "LANGFUSE_PUBLIC_KEY"),
        langfuse_secret_key=_secret(env, "LANGFUSE_SECRET_KEY"),
        langfuse_host=_url(env, "LANGFUSE_HOST", "https://cloud.langfuse.com"),
        otel_endpoint=otel_endpoint,
        otel_headers=_secret(env, "OTEL_EXPORTER_OTLP_HEADERS"),
        hub_tools=_list(env, "HUB_TOOLS"),
        hub_tools_trusted=_bool(env, "HUB_TOOLS_TRUSTED", False),
        # --- #12 model code isolation ---
        worker_memory_mb=_number(env, "WORKER_MEMORY_MB", 1024, minimum=256, cast=int),
        worker_idle_s=_number(env, "WORKER_IDLE_S", 600.0, minimum=1),
        # --- #12 egress and visitor limits ---
        rate_limit_turns_per_minute=_number(env, "RATE_LIMIT_TURNS_PER_MINUTE", 6, cast=int),
        token_budget_per_day=_number(env, "TOKEN_BUDGET_PER_DAY", 200_000, cast=int),
        token_budget_per_turn=_number(env, "TOKEN_BUDGET_PER_TURN", 100_000, cast=int),
        token_budget_anonymous_per_day=_number(env, "TOKEN_BUDGET_ANONYMOUS_PER_DAY", 2_000_000, cast=int),
        unlimited_users=_list(env, "UNLIMITED_USERS"),
        anonymous_model=_choice(env, "ANONYMOUS_MODEL", ("owner", "none")),
        # --- #14 workspace and storage ---
        data_dir=data_dir,
        data_ephemeral=data_ephemeral,
        anon_workspace_days=_number(env, "ANON_WORKSPACE_DAYS", 30.0, minimum=0.001),
        workspace_max_conversations=_number(env, "WORKSPACE_MAX_CONVERSATIONS", 200, minimum=1, cast=int),
        workspace_max_mb=_number(env, "WORKSPACE_MAX_MB", 50.0, minimum=0.001),
        workspace_backup_repo=_text(env, "WORKSPACE_BACKUP_REPO"),
        workspace_backup_minutes=_number(env, "WORKSPACE_BACKUP_MINUTES", 5.0, minimum=0.1),
        # --- #15 watchlists, alerts, briefs ---
        alert_check_seconds=_number(env, "ALERT_CHECK_SECONDS", 60.0, minimum=5),
        watchlist_max_symbols=_number(env, "WATCHLIST_MAX_SYMBOLS", 50, minimum=1, cast=int),
        alerts_max_per_workspace=_number(env, "ALERTS_MAX_PER_WORKSPACE", 100, minimum=1, cast=int),
        briefs_max_per_workspace=_number(env, "BRIEFS_MAX_PER_WORKSPACE", 3, minimum=0, cast=int),
        # --- #17 forecasts, news, sizing ---
        sentiment_model=_text(env, "SENTIMENT_MODEL", ""),
        # --- #18 MCP, runs API, metrics ---
        mcp_enabled=_bool(env, "MCP_ENABLED", True),
        runs_max_queued=_number(env, "RUNS_MAX_QUEUED", 3, minimum=1, cast=int),
        runs_keep=_number(env, "RUNS_KEEP", 200, minimum=1, cast=int),
        metrics_token=_secret(env, "METRICS_TOKEN"),
        space_id=_text(env, "SPACE_ID"),
        # --- #11 streaming ---
        # --- #16/#19 provenance and evals ---
        # --- #29/#30 model servers and bounded calls ---
        model_context_tokens=_number(env, "MODEL_CONTEXT_TOKENS", 0, minimum=0, cast=int),
        model_max_output_tokens=_number(env, "MODEL_MAX_OUTPUT_TOKENS", 0, minimum=0, cast=int),
        model_format_strikes=_number(env, "MODEL_FORMAT_STRIKES", 3, minimum=1, cast=int),
    )
