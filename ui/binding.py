"""Which person and which workspace a Gradio request is: its session, bound to its workspace.

Every browser handler and every Gradio API endpoint starts with `WorkspaceBinding.session_for(request)`.
"""

from __future__ import annotations

import gradio as gr

from chat.session import Session, SessionStore
from workspace.access import HEADER, Workspaces
from workspace.creation_limit import NewWorkspaceRefused
from workspace.store import WorkspaceKeyError


def user_of(request: gr.Request | None) -> str | None:
    """The logged-in person's name (HF OAuth or username/password login), or None for a visitor."""
    if request is None:
        return None
    return getattr(request, "username", None) or None


def session_id_of(request: gr.Request | None) -> str | None:
    return getattr(request, "session_hash", None) if request is not None else None


def client_of(request: gr.Request | None) -> str | None:
    """The client's address as the server resolved it (X-Forwarded-For only from TRUSTED_PROXIES); a visitor's
    identity of last resort for the limits."""
    client = getattr(request, "client", None) if request is not None else None
    return getattr(client, "host", None)


def token_of(oauth: gr.OAuthToken | None) -> str | None:
    """A visitor's own Hugging Face token, when it may call inference (`hf_oauth_scopes: [inference-api]`)."""
    if oauth is None or "inference-api" not in (getattr(oauth, "scope", "") or "").split():
        return None
    return oauth.token or None


def header_key(request: gr.Request | None) -> str | None:
    headers = getattr(request, "headers", None)
    return headers.get(HEADER.lower()) if headers is not None else None


class WorkspaceBinding:
    """Binds a request's session (`sessions`: the chat's browser sessions) to the workspace it opens."""

    def __init__(self, workspaces: Workspaces, sessions: SessionStore):
        self.workspaces = workspaces
        self.sessions = sessions

    def session_for(self, request: gr.Request | None) -> Session:
        """The request's session, on its workspace (signed-in name, X-Smol-Workspace header, or browser key)."""
        session = self.sessions.get(session_id_of(request), user_of(request))
        self.bind(session, request)
        return session

    def unbound_session_for(self, request: gr.Request | None) -> Session:
        """The request's session as it is (the page's load binds it with the browser's key)."""
        return self.sessions.get(session_id_of(request), user_of(request))

    def bound_workspace_of(self, request: gr.Request | None) -> str | None:
        """The workspace the request's session is already bound to (None before the page's load binds it)."""
        return self.unbound_session_for(request).workspace

    def forget(self, request: gr.Request | None) -> None:
        """The tab closed: its session goes."""
        session_id = session_id_of(request)
        if session_id:
            self.sessions.drop(session_id)

    def bind(self, session: Session, request: gr.Request | None, browser_key: str | None = None,
             client: str | None = None) -> str | None:
        """Put the request's workspace on `session`; returns a notice to show, if any.

        A signed-in name wins; then an `X-Smol-Workspace` header (refused with `gr.Error` when it opens
        nothing); then the browser's key; a session with none of these keeps (or gets) a new anonymous one, counted
        against the client's address (`client`, else the request's; `gr.Error` when over the day's limit).
        Nothing else names a workspace: the session is the one of the Gradio session hash, which the browser (or
        client) made and which never leaves the process (spans carry a keyed hash of it).
        """
        key = header_key(request)
        via = ("user", session.user) if session.user else ("key", key.strip()) if key else None
        if via is None and browser_key is not None:
            via = ("browser", browser_key)
        if via is None:
            if session.workspace is not None:
                return None
            via = ("new", None)
        if session.workspace_via == via and session.workspace is not None:
            return None
        try:
            opened = self.workspaces.open(user=session.user, header_key=key if via[0] == "key" else None,
                                          browser_key=browser_key if via[0] == "browser" else None,
                                          client=client or client_of(request))
        except (WorkspaceKeyError, NewWorkspaceRefused) as exc:
            raise gr.Error(exc.user_message) from None
        session.bind_workspace(opened.workspace_id, via if via[0] != "browser" else ("browser", opened.key),
                               opened.key)
        return opened.notice
