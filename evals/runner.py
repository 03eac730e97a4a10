"""Running tasks through the real team against the recorded market data and the local web stand-ins."""

from __future__ import annotations

import contextlib
import os
import secrets as random_secrets
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from backtest.lab import lab_for
from chat.service import ChatService
from chat.session import Session
from evals.expected import compute_all
from evals.scoring import Outcome, TaskScore, score
from evals.tasks import Task

# Settings the eval stack owns: market data and web from the local stand-ins, the paper broker only.
OWNED_PREFIXES = ("ALPACA_", "PAPER_", "YAHOO_", "DDG_", "WEB_ALLOW", "TRADING_", "HUB_TOOLS")
ModelsFor = Callable[[Task], Callable[[], Any]]  # a task -> a zero-argument factory of its models


def model_env(model: str | None = None, environ: dict | None = None) -> dict[str, str]:
    """The person's environment minus what the eval stack owns; `model` overrides MODEL_ID."""
    env = {k: v for k, v in (os.environ if environ is None else environ).items()
           if k.isupper() and not k.startswith(OWNED_PREFIXES)}
    if model:
        env["MODEL_ID"] = model
    return env


@contextlib.contextmanager
def eval_stack(env: dict[str, str] | None = None, workdir: Path | None = None) -> Iterator[Any]:
    """The app's real runtime against the Yahoo replay and the web stand-in, with a canary secret set."""
    from standins.stack import local_stack  # the replay servers (standins/), fed by tests/fixtures

    env = dict(env or {})
    env.setdefault("APP_PASSWORD", "eval-canary-" + random_secrets.token_hex(8))  # must never reach the chat
    # Not deleted afterwards: yfinance keeps its timezone-cache database open in the directory first given to it.
    workdir = workdir or Path(tempfile.mkdtemp(prefix="smol-evals-"))
    with local_stack(workdir, **env) as stack:
        yield stack


def run_task(stack: Any, chat: ChatService, task: Task, expected: dict, run: int = 0) -> TaskScore:
    session = Session(id=f"eval-{task.id}-{run}")
    for path, html in task.pages.items():
        stack.web.add_page(path, html)
    all_items: list = []
    last: list = []
    error = None
    started = time.perf_counter()
    try:
        for text in task.turns:
            last = []
            for items in chat.respond(session, text.replace("{web}", stack.web.url)):
                last = items
            all_items.extend(last)
    except Exception as exc:  # the harness keeps going: a task that crashes scores as an error
        error = f"harness error: {type(exc).__name__}: {exc}"
    wall_s = time.perf_counter() - started
    desk = stack.runtime.desks.for_workspace(session.workspace_id, session.user)
    outcome = Outcome(
        tickets=sum(1 for i in all_items if i.kind == "ticket"),
        executed=len(desk.broker.orders("all")),
        specs=len(lab_for(session).entries),
        oos_returns=tuple(e.figures["oos_return"] or 0.0 for e in lab_for(session).entries),
        secrets=tuple(stack.settings.secret_values()),
        wall_s=wall_s,
        error=error,
    )
    session.stop()
    return score(task, expected, last, all_items, outcome)


def run_evals(tasks: list[Task], *, models_for: ModelsFor | None = None, repeat: int = 1,
              env: dict[str, str] | None = None, model_label: str | None = None,
              progress: Callable[[TaskScore], None] | None = None) -> dict:
    """Every task `repeat` times; the results as {"model", "tasks", "totals", "expected"}."""
    from evals.report import totals

    with eval_stack(env) as stack:
        keys = set().union(*(t.expectation_keys() for t in tasks)) if tasks else set()
        expected = compute_all(stack.runtime.market, keys)
        shared = ChatService(stack.runtime) if models_for is None else None
        if shared is not None and shared.model_factory is None:
            raise SystemExit(shared.model_choice.problem)
        label = model_label or (shared.model_choice.label() if shared is not None else "custom")
        scores = []
        for run in range(repeat):
            for task in tasks:
                chat = shared or stack.chat(models_for(task))
                result = run_task(stack, chat, task, expected, run)
                scores.append(result)
                if progress:
                    progress(result)
    return {"model": label, "repeat": repeat, "tasks": [s.to_json() for s in scores], "totals": totals(scores),
            "expected": expected}
