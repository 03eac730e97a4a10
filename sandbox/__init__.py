"""Model-written code runs here: in a separate, confined worker process that holds no secret.

Layer: imports only the standard library, smolagents and `core`; never agents, tools or app.
`sandbox.executor.SandboxExecutor` is the app side; `sandbox.worker` is the process entry.
(Nothing is imported here, so the worker's imports stay minimal.)
"""
