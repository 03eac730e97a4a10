"""The process's one composition root: every object that lives as long as the app, built in one function.

`build_runtime(settings)` makes a `Runtime` completely (nothing is added to it afterwards) and does no background
work; `start()` starts what runs in the background (the model client, the code-worker pool, the warm-up, the one
scheduler of every periodic job, the workspace backup) and `close()` stops it. The chat service, the UI and the API
receive the runtime; domain code receives only the parts it needs (`runtime.desks.for_workspace(id, user)`).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agents.brief_hooks import BriefHooks
from agents.models import ModelChoice, build_model, choose_model
from agents.warmup import Warmup
from alerts.scheduler import AlertScheduler, BriefDesk
from alerts.service import AlertService
from core.settings import Settings
from market.client import MarketData
from quota import Quota
from sandbox.pool import WorkerPool
from telemetry import Tracing
from telemetry.metrics import Metrics
from trading.desk import Desks
from workspace.access import Workspaces
from workspace.run_store import RUNS_DB, RunStore

WORKSPACE_SWEEP_HOURS = 1  # idle anonymous workspaces are looked for at start and then every hour
EQUITY_JOB_MINUTES = 15  # every workspace's equity is recorded once per NYSE session, after the close


@dataclass(frozen=True)
class Model:
    """The owner's model: which one (and why not, when none is configured) and how to make it."""

    choice: ModelChoice
    factory: Callable[[], Any] | None  # None: no model is configured (turns say so; `choice.problem`)


@dataclass
class _Lifecycle:
    """What `start()` started, for `close()` (the runtime's parts themselves never change)."""

    backup: Any = None  # huggingface_hub.CommitScheduler snapshotting DATA_DIR, when a backup repo is set
    started: bool = False


@dataclass(frozen=True)
class Runtime:
    settings: Settings
    metrics: Metrics  # this app's Prometheus metrics (its own registry)
    tracing: Tracing | None  # OpenTelemetry to Langfuse / OTLP, or None when nothing is configured
    market: MarketData  # the shared, cached market-data chain: the only thing shared between people
    model: Model
    quota: Quota  # rate limits and token budgets of every visitor (browser, /chat API, runs, MCP, briefs)
    workspaces: Workspaces  # lasting workspaces; deleting one deletes its desks, ledger, tickets, alerts and runs
    restored: list[str]  # databases restored from WORKSPACE_BACKUP_REPO at start (DATA_DIR was empty)
    desks: Desks  # one trading desk per workspace
    alerts: AlertService  # watchlists, alerts, notifications, webhooks
    runs: RunStore  # the runs of the plain-HTTP API (chat.runs.RunRegistry runs them), kept per workspace
    briefs: BriefDesk  # scheduled briefs: the workspace's positions and the model's commentary
    scheduler: AlertScheduler  # the one scheduler: alerts, briefs, equity, workspace sweep
    warmup: Warmup  # what a first turn needs, made ready right after the server answers
    served: threading.Event  # set once the server answers (the warm-up starts then)
    _lifecycle: _Lifecycle = field(default_factory=_Lifecycle, repr=False)

    def pool(self) -> WorkerPool:
        """The code-worker pool of the settings' limits (the team's code runs in its workers; made on first use)."""
        from sandbox.pool import shared_pool

        settings = self.settings
        return shared_pool(settings.worker_memory_mb, settings.worker_idle_s, settings.worker_cpu_s,
                           settings.worker_max_processes)

    def warm_model(self) -> None:
        """Make one model now (start-up, before the server answers), so the first visitor's turn asks it at once."""
        if self.model.factory is None:
            return
        try:
            self.model.factory()
        except Exception as exc:  # noqa: BLE001 - the first turn reports the problem to the person
            import logging

            logging.getLogger(__name__).warning("The model could not be prepared at start-up: %s", exc)

    def start(self) -> None:
        """Background work that lives as long as the app: the model client (now, before the server answers), the
        code-worker pool (its clean zygote and a spare start now, so no visitor's first code step waits for them),
        the warm-up after the server answers, the scheduler (also with no tab open), the backup."""
        if self._lifecycle.started:
            return
        self._lifecycle.started = True
        self.warm_model()
        self.pool()
        self.warmup.run_after(self.served)
        self.scheduler.start()
        if not self.settings.database_url:  # PostgreSQL is backed up with pg_dump (docs/scaling.md)
            from workspace.backup import start_backup

            self._lifecycle.backup = start_backup(self.settings)

    def stop(self) -> None:
        """Stop the background work `start()` started (the parts stay usable; `start()` may run them again)."""
        self.warmup.cancel()
        self.served.set()
        self.scheduler.stop()
        if self._lifecycle.backup is not None:
            self._lifecycle.backup.stop()
            self._lifecycle.backup = None
        self._lifecycle.started = False

    def close(self) -> None:
        """The process is done with the runtime: its background work stops and its stores' connections close."""
        self.stop()
        self.desks.close_all()
        self.alerts.close()
        self.workspaces.close()
        self.quota.store.close()
        self.runs.close()
        if self.market.bar_store is not None:
            self.market.bar_store.close()


def build_runtime(settings: Settings, model_factory: Callable[[], Any] | None = None,
                  market: MarketData | None = None) -> Runtime:
    """Every process-wide object, built now and wired together; nothing starts until `Runtime.start()`.

    `model_factory`: the owner's model (default: the one the settings choose; tests give a scripted one);
    `market`: the market-data chain (default: the settings' sources; tests give one over recorded data)."""
    from agents import compat
    from agents.toolsets import local_tool_names
    from agents.warmup import compile_prompt_templates, import_first_turn_modules, rehearse_openai_stream
    from core.db import store_target
    from forecast.model import warm_up as forecast_warm_up
    from market.calendar import exchange_calendar
    from market.chain import market_from_settings
    from quota import quota_from_settings
    from quota.limits import SIGN_IN
    from trading.desk import paper_account_id
    from trading.paper_ledger import delete_paper_account
    from trading.portfolio_analytics import record_closing_equity
    from trading.tickets import delete_tickets
    from workspace.backup import restore_if_missing

    compat.install()
    metrics = Metrics()
    if market is None:
        market = market_from_settings(settings)
        market.metrics = metrics
    if model_factory is None:
        choice = choose_model(settings)
        model = Model(choice, (lambda: build_model(settings, choice)) if choice.available else None)
    else:
        model = Model(ModelChoice("custom", "custom"), model_factory)
    quota = quota_from_settings(settings, sign_in_hint=SIGN_IN)
    restored = restore_if_missing(settings)  # from WORKSPACE_BACKUP_REPO when DATA_DIR is empty
    workspaces = Workspaces.from_settings(settings)
    desks = Desks(settings, market, metrics)
    alerts = AlertService.from_settings(settings, market, metrics=metrics)
    runs = RunStore(store_target(settings, Path(settings.data_dir) / RUNS_DB), settings.runs_keep)

    def delete_workspace_data(workspace_id: str) -> None:  # the delete cascade across the stores
        desks.drop(workspace_id)
        user = workspaces.store.username(workspace_id)
        ledger = store_target(settings, settings.paper_ledger_path)
        delete_paper_account(ledger, paper_account_id(user, workspace_id, ""))
        delete_tickets(ledger, workspace_id)
        alerts.store.delete_workspace(workspace_id)  # watchlist, alerts, notifications
        runs.delete_workspace(workspace_id)  # the API's runs go with their workspace

    workspaces.on_delete.append(delete_workspace_data)
    hooks = BriefHooks(settings, desks, workspaces.store, model.factory, quota)
    briefs = BriefDesk(alerts, positions_of=hooks.positions_of, commentary=hooks.commentary)
    scheduler = AlertScheduler(alerts, briefs, interval_s=settings.alert_check_seconds, owner=settings.replica_name)
    scheduler.add_job("equity", lambda: record_closing_equity(desks, workspaces.store),
                      trigger="interval", minutes=EQUITY_JOB_MINUTES)
    scheduler.add_job("workspace-sweep", workspaces.remove_idle, trigger="interval", hours=WORKSPACE_SWEEP_HOURS,
                      at_start=True)  # once an hour across replicas sharing one database
    rehearsal = [("model call path", rehearse_openai_stream)] if model.choice.backend == "openai" else []
    warmup = Warmup([
        *rehearsal,
        ("prompt templates", compile_prompt_templates),
        ("tools", local_tool_names),  # imports every tool module
        ("first-turn modules", import_first_turn_modules),
        ("exchange calendar", lambda: exchange_calendar().warm()),
        ("forecast library", forecast_warm_up),  # its import and a first fit
    ])
    return Runtime(settings=settings, metrics=metrics, tracing=Tracing.from_settings(settings), market=market,
                   model=model, quota=quota, workspaces=workspaces, restored=restored, desks=desks, alerts=alerts,
                   runs=runs, briefs=briefs, scheduler=scheduler, warmup=warmup, served=threading.Event())
