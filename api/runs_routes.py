"""The plain-HTTP run/status API: POST /api/runs, GET /api/runs/{id}, POST /api/runs/{id}/stop, GET /api/runs.

Identity is the `X-Smol-Workspace` header (a new key is made and returned when a run is posted without
one); a run of another workspace is "not found". When the app has a username/password login
(APP_USERNAME/APP_PASSWORD), these routes want the same credentials as HTTP Basic auth. A run is a chat
turn of its workspace, held to the chat's visitor limits when it runs; a client already over the rate is
refused at once (429 with the limit's message and Retry-After).
"""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Request, Response
from fastapi.openapi.utils import get_openapi
from pydantic import BaseModel, Field

from api.clients import BadWorkspaceKey, basic_auth_ok, login_required, workspace_key
from chat.runs import RunRefused, RunRegistry
from chat.service import clean_message
from quota import LimitError
from workspace.access import HEADER
from workspace.creation_limit import NewWorkspaceRefused


class RunRequest(BaseModel):
    message: str = Field(description="A question for the team, or a slash command such as /quote AAPL.")


class RunCreated(BaseModel):
    id: str
    status: Literal["queued", "running", "done", "failed", "stopped"]
    workspace: str = Field(description="Send it back as the X-Smol-Workspace header to read this run later.")
    url: str


class RunView(BaseModel):
    id: str
    status: Literal["queued", "running", "done", "failed", "stopped"]
    message: str
    items: list[dict[str, Any]] = Field(description="The chat items, as the /chat API gives them.")
    answer: str | None = None
    error: str | None = None
    created: float
    updated: float


def runs_router(registry: RunRegistry, settings: Any, open_workspace, check_rate=None) -> APIRouter:
    """`open_workspace(key or None, client address) -> (workspace id, key)`: the workspace layer's answer for a
    client's key (no key: a new workspace, counted against the address; `NewWorkspaceRefused` over the limit);
    `check_rate(workspace id)` raises `LimitError` when that workspace's visitor may send no message now."""
    router = APIRouter(prefix="/api", tags=["runs"])

    def login(request: Request) -> None:
        if login_required(settings) and not basic_auth_ok(request.headers.get("authorization"), settings):
            raise HTTPException(401, "This app needs its username and password (HTTP Basic).",
                                headers={"WWW-Authenticate": "Basic"})

    def workspace_of(request: Request, required: bool = True) -> tuple[str, str]:
        """(workspace id, key); no key and not required: a new workspace."""
        try:
            key = workspace_key(request.headers)
        except BadWorkspaceKey as exc:
            raise HTTPException(400, exc.user_message) from None
        if key is None and required:
            raise HTTPException(400, f"Send your workspace key in the {HEADER} header.")
        try:
            return open_workspace(key, getattr(request.client, "host", None))
        except BadWorkspaceKey as exc:
            raise HTTPException(404, exc.user_message) from None
        except NewWorkspaceRefused as exc:
            raise HTTPException(429, exc.user_message, headers={"Retry-After": str(int(exc.retry_after_s) + 1)}) \
                from None

    def found(run) -> RunView:
        if run is None:
            raise HTTPException(404, "No such run in this workspace.")
        return RunView(**run.view())

    @router.post("/runs", status_code=202, response_model=RunCreated, dependencies=[Depends(login)],
                 summary="Start a run: the team works on the message in the background")
    def create_run(body: RunRequest, request: Request, response: Response) -> RunCreated:
        text, problem = clean_message(body.message, settings.max_message_chars)
        if problem:
            raise HTTPException(400, problem)
        workspace_id, key = workspace_of(request, required=False)
        try:
            if check_rate is not None:
                check_rate(workspace_id)
            run = registry.submit(workspace_id, text)
        except LimitError as exc:
            retry = {"Retry-After": str(int(exc.retry_after_s) + 1)} if exc.retry_after_s is not None else None
            raise HTTPException(429, exc.user_message, headers=retry) from None
        except RunRefused as exc:
            raise HTTPException(429, exc.user_message) from None
        response.headers[HEADER] = key
        response.headers["Location"] = f"/api/runs/{run.id}"
        return RunCreated(id=run.id, status=run.status, workspace=key, url=f"/api/runs/{run.id}")

    @router.get("/runs/{run_id}", response_model=RunView, dependencies=[Depends(login)],
                summary="A run's status, chat items and answer")
    def read_run(run_id: str, request: Request) -> RunView:
        return found(registry.get(workspace_of(request)[0], run_id))

    @router.post("/runs/{run_id}/stop", response_model=RunView, dependencies=[Depends(login)],
                 summary="Stop a run (a finished run is returned unchanged)")
    def stop_run(run_id: str, request: Request) -> RunView:
        return found(registry.stop(workspace_of(request)[0], run_id))

    @router.get("/runs", response_model=list[RunView], dependencies=[Depends(login)],
                summary="This workspace's latest runs, newest first")
    def list_runs(request: Request, limit: int = 20) -> list[RunView]:
        return [RunView(**run.view()) for run in registry.recent(workspace_of(request)[0], max(1, min(limit, 100)))]

    @router.get("/openapi.json", include_in_schema=False)
    def openapi() -> dict:
        return get_openapi(title="Smol Trader runs API", version="1", routes=router.routes,
                           description="Start a run, poll it, stop it. Workspace key: X-Smol-Workspace header.")

    return router
