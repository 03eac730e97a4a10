"""Every public endpoint of the app, declared here and only here.

A public endpoint is one a client outside the browser page may call: the Gradio API endpoints (`/gradio_api/...`,
by `gradio_client` or the "Use via API" page; `api.gradio_endpoints`) and the plain HTTP routes beside them (the
runs API, /metrics, MCP; `api.server.Integrations.routes`). The browser page's own events are private. The test
`tests/test_public_surface.py` serves the app and checks that what it exposes is exactly this, nothing more.
"""

from __future__ import annotations

# Gradio API endpoints, by api_name (each a method of api.gradio_endpoints.GradioEndpoints).
GRADIO_ENDPOINTS = ("chat", "stop", "tickets", "confirm_ticket", "reject_ticket", "workspace", "open_conversation",
                    "export_workspace", "portfolio_analytics", "delete_workspace")

# Plain HTTP routes served beside Gradio: (methods, path, what it is, when it is served).
HTTP_ROUTES = (
    ("POST", "/api/runs", "start a run (a chat turn in the background)", "always"),
    ("GET", "/api/runs", "the workspace's runs", "always"),
    ("GET", "/api/runs/{run_id}", "one run: status, events, answer", "always"),
    ("POST", "/api/runs/{run_id}/stop", "stop a run", "always"),
    ("GET", "/api/openapi.json", "the runs API's OpenAPI document", "always"),
    ("GET", "/metrics", "Prometheus metrics (bearer token; 404 on a public Space without one)", "always"),
    ("GET POST DELETE", "/mcp", "the MCP server (streamable HTTP), read-only market tools", "MCP_ENABLED"),
)
