"""The public Gradio API endpoints (JSON-safe; charts as plotly JSON); their names are declared in `api.surface`.

`GradioEndpoints.register()` is called inside `SmolTraderApp.build()`'s Blocks; the browser's own events are private
(`api_visibility="private"`).
"""

from __future__ import annotations

from collections.abc import Iterator

import gradio as gr

from api.surface import GRADIO_ENDPOINTS
from chat.service import ChatService
from runtime import Runtime
from ui.binding import WorkspaceBinding, client_of, user_of
from ui.workspace_panel import WorkspacePanel


class GradioEndpoints:
    def __init__(self, runtime: Runtime, chat: ChatService, binding: WorkspaceBinding, panel: WorkspacePanel):
        self.runtime = runtime
        self.chat_service = chat
        self.binding = binding
        self.panel = panel  # the export and the analytics are the panel's figures

    def register(self) -> None:
        for name in GRADIO_ENDPOINTS:
            gr.api(getattr(self, name), api_name=name)

    # --- the chat ----------------------------------------------------------------------------------
    def chat(self, message: str, request: gr.Request) -> Iterator[list[dict]]:
        """Send a message (or a slash command) and stream the reply as JSON messages."""
        # No gr.OAuthToken here: a Hugging Face sign-in lives in the browser's session cookie, which API clients do
        # not carry, so their turns run on the owner's model within the limits (the parameter cost ~10 ms a request).
        session = self.binding.session_for(request)
        for items in self.chat_service.respond(session, message, client=client_of(request)):
            yield [item.to_json() for item in items]

    def stop(self, request: gr.Request) -> bool:
        """Stop the running turn of this client's session."""
        return self.chat_service.stop(self.binding.session_for(request))

    # --- order tickets -----------------------------------------------------------------------------
    def tickets(self, request: gr.Request) -> list[dict]:
        """This session's order tickets awaiting confirmation."""
        session = self.binding.session_for(request)
        return [ticket.to_dict() for ticket in self.chat_service.desk_of(session).pending_tickets()]

    def confirm_ticket(self, ticket_id: str, request: gr.Request) -> list[dict]:
        """Confirm (execute) one of this session's tickets. Access and risk are checked here, in code."""
        return [item.to_json() for item in self._decide(request, "confirm", ticket_id)]

    def reject_ticket(self, ticket_id: str, request: gr.Request) -> list[dict]:
        """Reject one of this session's tickets; nothing is sent to the broker."""
        return [item.to_json() for item in self._decide(request, "reject", ticket_id)]

    def _decide(self, request: gr.Request, decision: str, ticket_id: str):
        session = self.binding.session_for(request)
        return self.chat_service.decide_ticket(session, decision, ticket_id, user_of(request))

    # --- the workspace -----------------------------------------------------------------------------
    def workspace(self, request: gr.Request) -> dict:
        """This client's workspace: its key (send it as the X-Smol-Workspace header to come back) and contents."""
        session = self.binding.session_for(request)
        store = self.runtime.workspaces.store
        return {"key": session.workspace_key, "signed_in_as": session.user,
                "conversation": session.conversation,
                "conversations": [{"id": c.id, "title": c.title, "updated_at": c.updated_at}
                                  for c in store.conversations(session.workspace_id)]}

    def open_conversation(self, conversation_id: str, request: gr.Request) -> list[dict]:
        """Continue an earlier conversation ('' starts a new one); returns its saved messages."""
        session = self.binding.session_for(request)
        store = self.runtime.workspaces.store
        if conversation_id and store.conversation(session.workspace_id, conversation_id) is None:
            raise gr.Error("There is no such conversation in this workspace.")
        if conversation_id != session.conversation:
            session.open_conversation(conversation_id or None)
        if not session.conversation:
            return []
        return [item.to_json() for item in self.panel.log.items(session.workspace_id, session.conversation)]

    def portfolio_analytics(self, request: gr.Request) -> dict:
        """Performance and risk from this workspace's daily equity snapshots, each figure with its period."""
        return self.panel.analytics(self.binding.session_for(request)).to_dict()

    def export_workspace(self, request: gr.Request) -> dict:
        """The whole workspace as JSON (conversations, paper account, tickets, equity history). No secrets."""
        return self.panel.export(self.binding.session_for(request))

    def delete_workspace(self, confirm: str, request: gr.Request) -> str:
        """Delete this workspace and everything in it; pass confirm='DELETE'."""
        if confirm != "DELETE":
            raise gr.Error("Nothing was deleted: pass confirm='DELETE' to delete this workspace for good.")
        session = self.binding.session_for(request)
        self.runtime.workspaces.delete(session.workspace_id)
        session.unbind_workspace()
        return "Your workspace was deleted."
