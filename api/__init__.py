"""Every public entry point outside the browser page: the Gradio API endpoints and, beside the UI, MCP tools, the
runs API and /metrics. `api.surface` declares them all; `api.server.Integrations.app_kwargs()` is the one place the
plain HTTP routes are put on Gradio's FastAPI app.
"""
