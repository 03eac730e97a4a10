"""Launching the real app on 127.0.0.1 for API and browser tests."""

from __future__ import annotations

import contextlib
import socket
from collections.abc import Callable
from pathlib import Path
from typing import Any

from standins.stack import local_stack


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def running_app(tmp_path: Path, model_factory: Callable[[], Any] | None, **env: Any):
    """The Gradio app served on 127.0.0.1 with scripted models; yields (url, stack, ui) — ui is the SmolTraderApp."""
    import app

    with local_stack(tmp_path, model_factory=model_factory, **env) as stack:
        ui = app.SmolTraderApp(stack.settings, stack.runtime, model_factory=model_factory)
        ui.start()
        port = free_port()
        demo = ui.launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True)
        try:
            yield f"http://127.0.0.1:{port}/", stack, ui
        finally:
            demo.close()
            ui.close()
