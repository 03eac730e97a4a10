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


import pytest  # noqa: E402


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
