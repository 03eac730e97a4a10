"""Test-wide setup: nothing here may reach the internet."""

import os

# Before gradio / huggingface_hub are imported anywhere.
os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["HF_HUB_DISABLE_TELEMETRY"] = "1"
os.environ["DO_NOT_TRACK"] = "1"
os.environ["LITELLM_LOCAL_MODEL_COST_MAP"] = "True"
os.environ.setdefault("NO_PROXY", "127.0.0.1,localhost")
# Settings come only from what each test passes, never from a developer's .env or keys.
for _name in ("HF_TOKEN", "OPENAI_API_KEY", "OPENAI_API_BASE", "MODEL_ID", "MODEL_BACKEND", "ALPACA_API_KEY",
              "ALPACA_SECRET_KEY", "LANGFUSE_PUBLIC_KEY", "LANGFUSE_SECRET_KEY", "OTEL_EXPORTER_OTLP_ENDPOINT",
              "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_EXPORTER_OTLP_HEADERS"):
    os.environ.pop(_name, None)

# --- #26: the whole suite on PostgreSQL -------------------------------------------------------------------------
# `DATABASE_URL=postgresql://…/any python -m pytest`: every test's app settings (tests.harness.settings_for) get a
# fresh database of that server, copied from a template migrated once; tests marked `sqlite_only` are skipped.
import secrets  # noqa: E402

import pytest  # noqa: E402

SUITE_DATABASE_URL = os.environ.pop("DATABASE_URL", "")
_template: list[str] = []


def pytest_collection_modifyitems(config, items):
    if SUITE_DATABASE_URL:
        skip = pytest.mark.skip(reason="SQLite only (the suite runs on PostgreSQL)")
        for item in items:
            if "sqlite_only" in item.keywords:
                item.add_marker(skip)


def _admin(sql: str) -> None:
    import psycopg

    with psycopg.connect(SUITE_DATABASE_URL, autocommit=True) as conn:
        conn.execute(sql)


@pytest.fixture(autouse=True)
def _suite_database(request):
    if not SUITE_DATABASE_URL or "sqlite_only" in request.keywords:
        yield
        return
    base = SUITE_DATABASE_URL.rpartition("/")[0]
    if not _template:
        name = "smol_template_" + secrets.token_hex(4)
        _admin(f"CREATE DATABASE {name}")
        from core.db import Database, _engines

        Database(f"{base}/{name}").close()
        for url in [u for u in _engines if u.endswith("/" + name)]:
            _engines.pop(url).dispose()
        _template.append(name)
    name = "smol_test_" + secrets.token_hex(6)
    _admin(f"CREATE DATABASE {name} TEMPLATE {_template[0]}")
    os.environ["SMOL_TEST_DATABASE_URL"] = f"{base}/{name}"
    try:
        yield
    finally:
        os.environ.pop("SMOL_TEST_DATABASE_URL", None)
        from core.db import _engines

        for url in [u for u in _engines if u.endswith("/" + name)]:
            _engines.pop(url).dispose()
        _admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture
def stack_env() -> dict:
    """Settings for `stack`; a test module overrides this fixture to change them."""
    return {}


@pytest.fixture
def stack(tmp_path, stack_env):
    """The app's real services against the local Yahoo replay and web stand-in, with data in this test's folder."""
    from standins.stack import local_stack

    with local_stack(tmp_path, **stack_env) as stack:
        yield stack


@pytest.fixture(autouse=True)
def _close_runtimes():
    """Runtimes built by `tests.harness.runtime_for` are closed after their test (their database files with them)."""
    yield
    from tests.harness import close_test_runtimes

    close_test_runtimes()
