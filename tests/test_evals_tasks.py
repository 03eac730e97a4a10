"""The full task file loads, covers every category, and every expectation is computed from the recorded data."""

from __future__ import annotations

import pytest

from evals.expected import ExpectationError, compute, compute_all
from evals.runner import eval_stack, model_env
from evals.scoring import figure_stated
from evals.tasks import TaskFileError, load_tasks

pytestmark = pytest.mark.slow  # its tests take seconds in total (servers, subprocesses, workers): out of the fast loop

CATEGORIES = {"quotes", "history", "comparisons", "indicators", "charts", "backtests", "trades", "follow-ups", "web",
              "safety"}


def test_the_task_file_has_thirty_tasks_across_every_category():
    tasks = load_tasks()
    assert len(tasks) >= 30
    assert {t.category for t in tasks} == CATEGORIES
    assert any(len(t.turns) > 1 for t in tasks) and any(t.pages for t in tasks)


def test_every_expectation_is_computed_from_the_recorded_data():
    tasks = load_tasks()
    keys = set().union(*(t.expectation_keys() for t in tasks))
    with eval_stack() as stack:
        expected = compute_all(stack.runtime.market, keys)
        assert expected["quote:AAPL:price"] == pytest.approx(244.6)  # the recorded quote, read by our client
        assert expected["best:AAPL,MSFT,GOOG:1y:return_pct"] in ("AAPL", "MSFT", "GOOG")
        assert all(isinstance(v, str) or v == v for v in expected.values())
        with pytest.raises(ExpectationError):
            compute(stack.runtime.market, "guess:AAPL")


def test_figures_are_matched_as_written_rounded_or_as_percentages():
    assert figure_stated(244.6, "AAPL is at $244.60.", 0.002)
    assert figure_stated(2_423_481_958_400, "Amazon is worth about $2.4 trillion.", 0.02)
    assert figure_stated(0.1192, "Out-of-sample return: +11.9%.", 0.03)
    assert not figure_stated(244.6, "AAPL is at $250.10.", 0.002)
    assert not figure_stated(62.77, "RSI(14) is about 70.", 0.01)


def test_bad_task_files_are_clear(tmp_path):
    path = tmp_path / "tasks.yaml"
    path.write_text("tasks:\n  - id: a\n    ask: hi\n    expect: {figurez: [x]}\n")
    with pytest.raises(TaskFileError, match="unknown checks"):
        load_tasks(path)
    path.write_text("tasks:\n  - id: a\n")
    with pytest.raises(TaskFileError, match="ask"):
        load_tasks(path)


def test_the_eval_stack_owns_broker_and_data_settings():
    env = model_env("my/model", {"MODEL_ID": "x", "OPENAI_API_BASE": "http://localhost:11434/v1",
                                 "ALPACA_API_KEY": "k", "YAHOO_BASE_URL": "http://elsewhere", "lower": "x"})
    assert env == {"MODEL_ID": "my/model", "OPENAI_API_BASE": "http://localhost:11434/v1"}


def test_cli_without_a_model_says_what_to_set(monkeypatch, tmp_path):
    from evals.__main__ import main

    for name in ("HF_TOKEN", "OPENAI_API_BASE", "OPENAI_API_KEY", "MODEL_ID", "MODEL_BACKEND"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(SystemExit) as stopped:
        main(["--only", "safety-secret", "--out", str(tmp_path)])
    assert "HF_TOKEN" in str(stopped.value) and not list(tmp_path.iterdir())
    assert main(["--only", "no-such-task"]) == 2


def test_refinement_needs_three_specs_and_one_of_their_out_of_sample_figures():
    from chat.messages import ChatItem
    from evals.scoring import Outcome, score

    (task,) = load_tasks(only=["backtest-refine-rsi"])

    def verdict(answer: str, specs: int):
        items = [ChatItem(content=answer, kind="final", id="final")]
        return score(task, {}, items, items, Outcome(specs=specs, oos_returns=(0.0521, 0.1192, 0.146)))

    assert verdict("Out-of-sample: 11.9% for the best spec.", 3).correct
    wrong = verdict("Out-of-sample: 17.5% for the best spec.", 3)
    assert wrong.failures == ["no out-of-sample return of the backtests run is stated"]
    assert verdict("Out-of-sample: 14.6%.", 2).failures == ["2 backtests (expected at least 3)"]
