"""Who is calling: the workspace key of an HTTP client and the session it maps to.

`open_workspace()` is the ONE function that turns an API client's workspace key into a workspace id, through
the workspace layer (keys are stored hashed; an unknown key is refused without saying whether it exists);
`session_for_workspace()` gives that workspace's API session, from the app's own store of API sessions (never the
store of Gradio sessions, whose ids a client chooses). Runs are stored by workspace id, never by key.
`api_visitor()` names an MCP client for the visitor limits the way the chat names a visitor.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import re
from collections.abc import Callable, Mapping
from typing import Any

from chat.session import Session, SessionStore
from core.errors import UserError
from quota import visitor_key
from workspace.access import HEADER

KEY_RE = re.compile(r"^[A-Za-z0-9_-]{16,128}$")


class BadWorkspaceKey(UserError):
    pass


def workspace_key(headers: Mapping[str, str]) -> str | None:
    """The client's workspace key from the `X-Smol-Workspace` header, None when absent; malformed keys raise."""
    raw = (headers.get(HEADER) or "").strip()
    if not raw:
        return None
    if not KEY_RE.match(raw):
        raise BadWorkspaceKey(f"{HEADER} must be 16-128 letters, digits, '-' or '_' "
                              "(keep it secret: whoever holds it sees the workspace).")
    return raw


def open_workspace(workspaces: Any, key: str | None, client: str | None = None) -> tuple[str, str]:
    """(workspace id, key) for an API client: its key opened through the workspace layer (an unknown or guessed
    key is refused with one message, `BadWorkspaceKey`), or a new anonymous workspace when it sent none (counted
    against its address `client`; `workspace.creation_limit.NewWorkspaceRefused` when over the day's limit)."""
    from workspace.store import WorkspaceKeyError

    try:
        opened = workspaces.open(header_key=key, client=client)  # workspace.access.Workspaces
    except WorkspaceKeyError as exc:
        raise BadWorkspaceKey(exc.user_message) from None
    return opened.workspace_id, opened.key or key


def session_for_workspace(api_sessions: SessionStore, workspace_id: str) -> Session:
    """The session an API client of workspace `workspace_id` works in, once its key was checked (`open_workspace`).

    Kept in the chat's `api_sessions`, apart from the Gradio sessions (`ChatService.sessions`): a Gradio client
    chooses its own session hash, so no name it can spell (`api-workspace:<id>`, the id itself, ...) reaches this
    session."""
    session = api_sessions.get("api:" + workspace_id)
    session.workspace = workspace_id
    return session


def api_visitor(headers: Mapping[str, str], host: str | None, settings: Any,
                workspace_of_key: Callable[[str], str]) -> tuple[str, str | None]:
    """(visitor key, signed-in name) of an API client, counted as the chat counts a visitor (`quota.visitor_key`):
    the app login's name (HTTP Basic with APP_USERNAME, as the browser signs in), else the workspace its
    `X-Smol-Workspace` key opens (`workspace_of_key(key) -> workspace id`; a bad or unknown key raises
    `BadWorkspaceKey`), else its address."""
    user = settings.app_username if login_required(settings) else None
    key = None if user else workspace_key(headers)
    return visitor_key(user, workspace_of_key(key) if key else None, host), user


def login_required(settings: Any) -> bool:
    """The app has a username/password login (APP_USERNAME/APP_PASSWORD): API clients need it too."""
    return bool(settings.app_username and settings.app_password)


def basic_auth_ok(authorization: str | None, settings: Any) -> bool:
    """Does an `Authorization: Basic ...` header carry the app's username and password?"""
    scheme, _, encoded = (authorization or "").partition(" ")
    if scheme.lower() != "basic":
        return False
    try:
        username, _, password = base64.b64decode(encoded.strip(), validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return False
    return hmac.compare_digest(username.encode(), settings.app_username.encode()) & \
        hmac.compare_digest(password.encode(), settings.app_password.reveal().encode())
