"""Plain-HTTP and MCP entry points served beside the Gradio UI: MCP tools, the runs API, /metrics.

Everything here sits at the app layer (it may import agents/ and tools/); `api.server.serving_kwargs(ui)`
is the one place the routes are put on Gradio's FastAPI app.
"""
