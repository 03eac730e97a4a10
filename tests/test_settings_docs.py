"""Every setting is declared once, documented from that declaration, and read only where the list says.

docs/configuration.md and .env.example are generated from `Settings` by scripts/gen_settings_docs.py; a setting
without help, or a generated file that no longer matches, fails here. Nothing outside
core.settings.ENVIRONMENT_READERS touches os.environ.
"""

from __future__ import annotations

import importlib.util
import re
from dataclasses import fields
from pathlib import Path

import pytest

from core.settings import ENVIRONMENT_READERS, Secret, Settings, SettingsError, load_settings, specs

ROOT = Path(__file__).resolve().parent.parent
NOT_PRODUCT = {"tests", "benchmarks", "scripts", "docs", ".git", ".ci", "data", "site"}


def generator():
    spec = importlib.util.spec_from_file_location("gen_settings_docs", ROOT / "scripts" / "gen_settings_docs.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_setting_has_help_a_section_and_one_variable():
    names = [spec.env for _, spec in specs() if spec.env]
    assert len(names) == len(set(names)), "two settings read the same variable"
    for name, spec in specs():
        assert len(spec.help.strip()) >= 10, f"Settings.{name} has no help text: give setting() one"
        assert spec.section, f"Settings.{name} has no section"
        assert spec.env or spec.help.startswith("derived"), f"Settings.{name} has no variable"
    assert len(specs()) == len(fields(Settings)), "every field of Settings is declared with setting()"


def test_the_configuration_page_and_env_example_are_current():
    module = generator()
    for path, text in module.outputs().items():
        assert path.is_file(), f"{path.name} is missing: run python scripts/gen_settings_docs.py"
        assert path.read_text(encoding="utf-8") == text, \
            f"{path.relative_to(ROOT)} is stale: run python scripts/gen_settings_docs.py"
    page = module.configuration_page()
    for _, spec in specs():
        if spec.env:
            assert f"`{spec.env}`" in page


def test_the_staleness_check_fails_when_a_setting_changes(monkeypatch):
    module = generator()
    real = module.specs
    monkeypatch.setattr(module, "specs", lambda: [(n, s if s.env != "RUNS_KEEP" else
                                                    type(s)(**{**vars(s), "help": "another text here"}))
                                                   for n, s in real()])
    assert module.main(["--check"]) == 1


def test_env_example_sets_nothing_and_holds_no_secret_value():
    text = (ROOT / ".env.example").read_text(encoding="utf-8")
    assert all(line.startswith("#") or not line.strip() for line in text.splitlines()), \
        ".env.example only comments: an empty NAME= would override a default"
    # every documented variable loads back to its default when uncommented as written
    env = dict(re.findall(r"^# ([A-Z][A-Z0-9_]+)=(.*)$", text, flags=re.M))
    assert {spec.env for _, spec in specs() if spec.env} == set(env)
    loaded = load_settings({k: v for k, v in env.items() if v}, dotenv_path=None)
    defaults = load_settings({}, dotenv_path=None)
    assert loaded == defaults


def test_load_settings_reads_each_declared_variable():
    for name, spec in specs():
        if not spec.env or isinstance(getattr(Settings(), name), Secret):
            continue
        default = getattr(Settings(), name)
        if isinstance(default, bool):
            assert getattr(load_settings({spec.env: str(not default)}, dotenv_path=None), name) is (not default)
        elif isinstance(default, (int, float)):
            assert getattr(load_settings({spec.env: "4000"}, dotenv_path=None), name) == 4000
            with pytest.raises(SettingsError, match=spec.env):
                load_settings({spec.env: "many"}, dotenv_path=None)


def product_files():
    for path in sorted(ROOT.rglob("*.py")):
        rel = path.relative_to(ROOT)
        if rel.parts[0] not in NOT_PRODUCT and not any(part.startswith(".") for part in rel.parts):
            yield rel.as_posix(), path.read_text(encoding="utf-8")


ENVIRON = re.compile(r"\bos\.environ\b|\bgetenv\s*\(|\bfrom\s+os\s+import\b[^\n]*\b(environ|getenv)\b")


def test_only_the_listed_places_touch_the_environment():
    touching = {rel for rel, text in product_files() if ENVIRON.search(text)} - {"core/settings.py"}
    unlisted = sorted(touching - set(ENVIRONMENT_READERS))
    assert not unlisted, f"read settings through core.settings, or add to ENVIRONMENT_READERS with why: {unlisted}"
    stale = sorted(set(ENVIRONMENT_READERS) - touching)
    assert not stale, f"ENVIRONMENT_READERS lists places that no longer touch the environment: {stale}"


def test_no_secret_variable_is_read_outside_settings_but_by_the_standalone_hub_tool():
    secret_names = {spec.env for name, spec in specs() if isinstance(getattr(Settings(), name), Secret)}
    # hub/deploy.py names secrets (never reads a value); evals/runner.py sets a canary APP_PASSWORD for its stack;
    # standins/hub.py leaves HF_TOKEN out of a child process's environment; standins/stack.py hands a test's own
    # database to its settings as DATABASE_URL (it reads SMOL_TEST_DATABASE_URL, no secret)
    readers = set(ENVIRONMENT_READERS) - {"hub/alpaca_order.py", "hub/deploy.py", "evals/runner.py", "standins/hub.py",
                                          "standins/stack.py"}
    for rel, text in product_files():
        if rel in readers:
            found = sorted(name for name in secret_names if f'"{name}"' in text)
            assert not found, f"{rel} reads secrets {found}: read them through core.settings"
