"""What the served app exposes to clients outside its page is exactly what `api.surface` declares: the Gradio API's
named endpoints and, beside Gradio's own routes, our plain HTTP routes. An endpoint added anywhere else fails here."""

from __future__ import annotations

import gradio as gr
import requests

import app
from api.surface import GRADIO_ENDPOINTS, HTTP_ROUTES
from standins.live_app import free_port
from standins.scripted_model import ScriptedModel, final
from standins.stack import local_stack


def routes_of(fastapi_app) -> dict[str, set[str] | None]:
    """path -> methods (None: any method, e.g. an ASGI app mounted at a path), included routers flattened."""
    found: dict[str, set[str] | None] = {}

    def walk(routes, prefix: str) -> None:
        for route in routes:
            if hasattr(route, "original_router"):  # FastAPI's included router (APIRouter given to include_router)
                walk(route.original_router.routes, prefix + route.include_context.prefix)
                continue
            methods = getattr(route, "methods", None)
            found[prefix + route.path] = None if methods is None else set(methods) - {"HEAD"}

    walk(fastapi_app.routes, "")
    return found


def bare_gradio_routes() -> set[str]:
    """The routes Gradio itself serves (a bare Blocks app of the same version)."""
    with gr.Blocks(analytics_enabled=False) as bare:
        gr.Markdown("bare")
    bare.launch(server_name="127.0.0.1", server_port=free_port(), prevent_thread_lock=True, quiet=True,
                ssr_mode=False)
    try:
        return set(routes_of(bare.app))
    finally:
        bare.close()


def test_the_served_app_exposes_exactly_the_declared_endpoints(tmp_path):
    team = lambda: {"manager": ScriptedModel([final("ok")]), "web_agent": ScriptedModel(), "trader": ScriptedModel()}  # noqa: E731
    with local_stack(tmp_path, model_factory=team, MCP_ENABLED="true") as stack:
        ui = app.SmolTraderApp(stack.settings, stack.runtime, model_factory=team)
        port = free_port()
        demo = ui.launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True)
        try:
            info = requests.get(f"http://127.0.0.1:{port}/gradio_api/info", timeout=10).json()
            served = routes_of(demo.app)
        finally:
            demo.close()
            ui.close()
    assert sorted(info["named_endpoints"]) == sorted(f"/{name}" for name in GRADIO_ENDPOINTS)
    assert not info.get("unnamed_endpoints")  # the page's own events are private

    gradio_own = bare_gradio_routes()
    ours = {path: methods for path, methods in served.items() if path not in gradio_own}
    declared = {path: set(methods.split()) for methods, path, _what, _when in HTTP_ROUTES}
    assert set(ours) == set(declared), "served beside Gradio but not declared in api/surface.py (or the reverse)"
    for path, methods in ours.items():
        assert methods is None or methods == declared[path], (path, methods)


def test_every_declared_endpoint_is_documented():
    from pathlib import Path

    page = (Path(__file__).resolve().parent.parent / "docs" / "api" / "gradio.md").read_text()
    for name in GRADIO_ENDPOINTS:
        assert f"`/{name}`" in page, name
    for _methods, path, _what, _when in HTTP_ROUTES:
        assert path in page, path
