"""The workspace in the UI: which workspace a request opens, the side panel, and the workspace API.

`WorkspaceUI(app)` is created by `SmolTraderApp`; `bind()` is called for every request
(browser or API) to put the right workspace on the session; `build_panel()` lays out the
side panel inside `SmolTraderApp.build()`; `register_api()` adds the JSON endpoints.
"""

from __future__ import annotations

import json
import tempfile
import threading
import time
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path

import gradio as gr

from agents.conversation_log import ConversationLog
from agents.messages import TICKET_OPTION, ChatItem, to_gradio_messages
from agents.portfolio_analytics import record_equity, workspace_analytics
from agents.session import Session
from agents.ticket_decisions import decide_ticket
from alerts.service import alert_service_for
from core.db import run_once, store_target
from core.errors import UserError
from trading.analytics import Analytics
from trading.broker import BrokerError
from trading.desk import desk_for, paper_account_id, workspace_desks
from trading.paper_ledger import delete_paper_account
from trading.tickets import delete_tickets
from ui.ticket_cards import refresh_ticket_cards
from workspace.access import HEADER, Workspaces
from workspace.backup import restore_if_missing, start_backup
from workspace.creation_limit import NewWorkspaceRefused
from workspace.store import WorkspaceKeyError

STORAGE_KEY = "smol-trader-workspace"


def header_key(request: gr.Request | None) -> str | None:
    headers = getattr(request, "headers", None)
    return headers.get(HEADER) if headers is not None else None


def address_of(request: gr.Request | None) -> str | None:
    """The client's address as the server resolved it (X-Forwarded-For only from TRUSTED_PROXIES)."""
    return getattr(getattr(request, "client", None), "host", None)


class WorkspaceUI:
    def __init__(self, app):
        self.app = app
        self.restored = restore_if_missing(app.settings)  # from WORKSPACE_BACKUP_REPO when DATA_DIR is empty
        self.workspaces = Workspaces.from_settings(app.settings)
        app.services.workspaces = self.workspaces.store  # commands (e.g. /portfolio) reach the store through services
        self._backup = None
        self.log = ConversationLog(self.workspaces.store)
        self.workspaces.on_delete.append(self._delete_trading_data)
        self._stop = threading.Event()

    def _delete_trading_data(self, workspace_id: str) -> None:
        workspace_desks(self.app.services).drop(workspace_id)
        user = self.workspaces.store.username(workspace_id)
        ledger = store_target(self.app.settings, self.app.settings.paper_ledger_path)
        delete_paper_account(ledger, paper_account_id(user, workspace_id, ""))
        delete_tickets(ledger, workspace_id)
        alert_service_for(self.app.services).store.delete_workspace(workspace_id)  # watchlist, alerts, notifications

    def start(self) -> None:
        """Remove idle anonymous workspaces now and then every hour (a daemon thread)."""
        def sweep():
            while True:
                try:  # once an hour across replicas sharing one database
                    run_once(self.workspaces.store.db, "workspace-sweep", 3600.0, self.workspaces.remove_idle)
                except Exception:  # a locked database now and then: try again at the next round
                    pass
                if self._stop.wait(3600):
                    return

        threading.Thread(target=sweep, name="workspace-sweeper", daemon=True).start()
        if not self.app.settings.database_url:  # PostgreSQL is backed up with pg_dump (docs/scaling.md)
            self._backup = start_backup(self.app.settings)

    def close(self) -> None:
        self._stop.set()
        if self._backup is not None:
            self._backup.stop()

    # --- which workspace --------------------------------------------------------------------------
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
                                          client=client or address_of(request))
        except (WorkspaceKeyError, NewWorkspaceRefused) as exc:
            raise gr.Error(exc.user_message) from None
        with session.lock:
            if session.workspace != opened.workspace_id:
                session.workspace, session.conversation, session.team = opened.workspace_id, None, None
            session.workspace_via = via if via[0] != "browser" else ("browser", opened.key)
            session.workspace_key = opened.key
        return opened.notice

    # --- what the panel shows -----------------------------------------------------------------------
    def conversation_choices(self, session: Session) -> list[tuple[str, str]]:
        return [(f"{c.title} · {_when(c.updated_at)}", c.id)
                for c in self.workspaces.store.conversations(session.workspace_id)]

    def history(self, session: Session) -> list:
        """The open conversation as chat messages; ticket cards show their current outcome."""
        if session.conversation is None:
            return []
        desk = desk_for(session, self.app.services)
        return to_gradio_messages([self._current(item, desk)
                                   for item in self.log.items(session.workspace_id, session.conversation)])

    def _current(self, item: ChatItem, desk) -> ChatItem:
        ticket = item.extra.get("ticket") if item.kind == "ticket" else None
        if not ticket or ticket.get("status") != "pending":
            return item
        live = desk.tickets.get(ticket["id"], desk.now())
        status = live.status if live is not None else "expired"
        if status == "pending":
            return item
        content = desk.ticket_card(live).markdown if live is not None else f"{item.content}\n\n**Expired.**"
        return item.with_(content=content, extra={**item.extra, "ticket": {**ticket, "status": status}})

    def record_equity(self, session: Session, desk):
        """Today's equity snapshot of the workspace (the true equity curve); returns (account, positions, earlier
        snapshots). Resting paper orders that crossed are filled first."""
        return record_equity(desk, self.workspaces.store, session.workspace_id)

    def summary(self, session: Session) -> str:
        """Equity and day P&L, open positions with value, pending tickets (the day's equity is recorded)."""
        desk = desk_for(session, self.app.services)
        try:
            account, positions, earlier = self.record_equity(session, desk)
        except BrokerError as exc:
            return f"**Account:** unavailable ({exc.user_message})"
        now = desk.now()
        day = (f"{account.equity - earlier[-1][1]:+,.2f} since {earlier[-1][0]}" if earlier
               else "n/a (first day of this account)")
        lines = [f"**Equity** ${account.equity:,.2f} · **cash** ${account.cash:,.2f}",
                 f"**Day P&L** {day}", f"<sub>{desk.mode_label()}, as of {now:%H:%M:%S %Z}</sub>", ""]
        lines += [f"- {p.symbol}: {p.qty:g} × ${p.current_price:,.2f} = **${p.market_value:,.2f}** "
                  f"({p.unrealized_pl:+,.2f})" for p in positions] or ["No open positions."]
        pending = desk.pending_tickets()
        if pending:
            lines += ["", f"**{len(pending)} ticket(s) awaiting you:**"]
            lines += [f"- `{t.id}` {t.order.describe()}" for t in pending]
        return "\n".join(lines)

    def analytics(self, session: Session) -> Analytics:
        """Return vs SPY, volatility, beta, VaR, drawdown, concentration over the workspace's daily equity."""
        desk = desk_for(session, self.app.services)
        market = self.app.services.market
        return workspace_analytics(desk, self.workspaces.store, session.workspace_id, market).analytics

    # --- browser handlers ---------------------------------------------------------------------------
    def load(self, browser_key: str | None, request: gr.Request):
        session = self.app.sessions.get(getattr(request, "session_hash", None), getattr(request, "username", None))
        notice = self.bind(session, request, browser_key or "")
        if session.conversation is None:
            newest = self.workspaces.store.conversations(session.workspace_id)[:1]
            session.conversation = newest[0].id if newest else None
        notices = [n for n in (self.workspaces.notice, notice) if n]
        return (session.workspace_key or browser_key or "", self.history(session),
                gr.update(choices=self.conversation_choices(session), value=session.conversation),
                self.summary(session), gr.update(value="\n\n".join(notices), visible=bool(notices)))

    def refresh(self, request: gr.Request):
        session = self.app.session_for(request)
        return (gr.update(choices=self.conversation_choices(session), value=session.conversation),
                self.summary(session))

    def switch(self, conversation_id: str | None, request: gr.Request):
        session = self.app.session_for(request)
        if session.running is None and conversation_id != session.conversation:
            session.conversation, session.team = conversation_id, None  # the team is rebuilt with its turns
        return self.history(session), gr.update(choices=self.conversation_choices(session),
                                                value=session.conversation)

    def new_chat(self, request: gr.Request):
        return self.switch(None, request)

    def rename(self, title: str, request: gr.Request):
        session = self.app.session_for(request)
        if session.conversation and (title or "").strip():
            self.workspaces.store.rename(session.workspace_id, session.conversation, title)
        return "", gr.update(choices=self.conversation_choices(session), value=session.conversation)

    def delete_conversation(self, request: gr.Request):
        session = self.app.session_for(request)
        if session.conversation and session.running is None:
            self.workspaces.store.delete_conversation(session.workspace_id, session.conversation)
            session.conversation, session.team = None, None
        return [], gr.update(choices=self.conversation_choices(session), value=None), gr.update(visible=False)

    def analytics_clicked(self, request: gr.Request) -> str:
        return self.analytics(self.app.session_for(request)).markdown()

    def export_file(self, request: gr.Request):
        session = self.app.session_for(request)
        folder = Path(tempfile.mkdtemp(prefix="smol-export-"))
        path = folder / f"smol-trader-workspace-{datetime.now(UTC):%Y%m%d-%H%M%S}.json"
        path.write_text(json.dumps(self.export(session), indent=1, default=str), encoding="utf-8")
        return gr.update(value=str(path), visible=True)

    def delete_workspace_clicked(self, request: gr.Request):
        session = self.app.session_for(request)
        self.workspaces.delete(session.workspace_id)
        with session.lock:
            session.workspace, session.conversation, session.team = None, None, None
            session.workspace_via = None
        self.bind(session, None, client=address_of(request))  # a fresh, empty workspace for this tab
        return (session.workspace_key or "", [], gr.update(choices=[], value=None), self.summary(session),
                gr.update(visible=False), gr.update(value="Your workspace was deleted. This is a new, empty one.",
                                                    visible=True))

    def option_selected(self, history: list, evt: gr.SelectData, request: gr.Request):
        """Confirm / Reject under a ticket card: the desk decides (decide_ticket); no model is involved."""
        value = str(getattr(evt, "value", "") or "")
        if isinstance(getattr(evt, "value", None), dict):
            value = str(evt.value.get("value", ""))
        if not value.startswith(TICKET_OPTION):
            return history, gr.skip()
        decision, _, ticket_id = value[len(TICKET_OPTION):].partition(" ")
        session = self.app.session_for(request)
        items = decide_ticket(self.app.services, session, decision, ticket_id, getattr(request, "username", None))
        self.log.append(session, items)
        shown = [_without_options(message, ticket_id) for message in history]
        shown = refresh_ticket_cards(shown, desk_for(session, self.app.services))  # the card says what happened
        return [*shown, *to_gradio_messages(items)], self.summary(session)

    # --- API ----------------------------------------------------------------------------------------
    def export(self, session: Session) -> dict:
        data = self.workspaces.store.export(session.workspace_id)
        desk = desk_for(session, self.app.services)
        data["paper_account"] = _account_data(desk)
        data["tickets"] = [t.to_dict() for t in desk.tickets.all()]
        data["analytics"] = self.analytics(session).to_dict()
        data["watch_and_alerts"] = alert_service_for(self.app.services).store.export(session.workspace_id)
        return data

    def api_workspace(self, request: gr.Request) -> dict:
        """This client's workspace: its key (send it as the X-Smol-Workspace header to come back) and contents."""
        session = self.app.session_for(request)
        return {"key": session.workspace_key, "signed_in_as": session.user,
                "conversation": session.conversation,
                "conversations": [{"id": c.id, "title": c.title, "updated_at": c.updated_at}
                                  for c in self.workspaces.store.conversations(session.workspace_id)]}

    def api_open_conversation(self, conversation_id: str, request: gr.Request) -> list[dict]:
        """Continue an earlier conversation ('' starts a new one); returns its saved messages."""
        session = self.app.session_for(request)
        if conversation_id and self.workspaces.store.conversation(session.workspace_id, conversation_id) is None:
            raise gr.Error("There is no such conversation in this workspace.")
        if conversation_id != session.conversation:
            session.conversation, session.team = conversation_id or None, None
        if not session.conversation:
            return []
        return [item.to_json() for item in self.log.items(session.workspace_id, session.conversation)]

    def api_analytics(self, request: gr.Request) -> dict:
        """Performance and risk from this workspace's daily equity snapshots, each figure with its period."""
        return self.analytics(self.app.session_for(request)).to_dict()

    def api_export(self, request: gr.Request) -> dict:
        """The whole workspace as JSON (conversations, paper account, tickets, equity history). No secrets."""
        return self.export(self.app.session_for(request))

    def api_delete(self, confirm: str, request: gr.Request) -> str:
        """Delete this workspace and everything in it; pass confirm='DELETE'."""
        if confirm != "DELETE":
            raise gr.Error("Nothing was deleted: pass confirm='DELETE' to delete this workspace for good.")
        session = self.app.session_for(request)
        self.workspaces.delete(session.workspace_id)
        with session.lock:
            session.workspace, session.conversation, session.team = None, None, None
            session.workspace_via = None
            session.workspace_key = None
        return "Your workspace was deleted."

    def register_api(self) -> None:
        gr.api(self.api_workspace, api_name="workspace")
        gr.api(self.api_open_conversation, api_name="open_conversation")
        gr.api(self.api_export, api_name="export_workspace")
        gr.api(self.api_analytics, api_name="portfolio_analytics")
        gr.api(self.api_delete, api_name="delete_workspace")

    # --- layout -------------------------------------------------------------------------------------
    def build_panel(self, demo: gr.Blocks, chatbot: gr.Chatbot) -> dict:
        """The side panel's account section (call inside the side panel); `build_rest()` of the returned dict lays
        out the conversations, performance and manage sections where the app wants them. Returns the components
        the app chains refreshes to."""
        # The person's own workspace key, kept in their browser's localStorage. Gradio's BrowserState "encrypts" it
        # with a secret it serves to every page in /config, so it is as good as plain text there: it protects
        # nothing and claims nothing (docs/safety-identity.md). Only that browser's own pages can read it.
        key_state = gr.BrowserState("", storage_key=STORAGE_KEY, secret=self.workspaces.browser_secret())
        notice = gr.Markdown(visible=False, elem_id="workspace-notice")
        with gr.Accordion("Account", open=True, elem_id="account-section"):
            summary = gr.Markdown("…", elem_id="workspace-summary")
        private = {"api_visibility": "private"}
        decided = chatbot.option_select(self.option_selected, [chatbot], [chatbot, summary], **private)
        parts: dict = {"summary": summary, "decided": decided,
                       "load": (self.load, [key_state], [key_state, chatbot, None, summary, notice])}

        def build_rest() -> None:
            with gr.Accordion("Conversations", open=True, elem_id="conversations-section"):
                new_chat = gr.Button("➕ New chat", elem_id="new-chat", size="sm")
                conversations = gr.Radio(choices=[], label="Your conversations", elem_id="conversations",
                                         interactive=True)
            with gr.Accordion("Performance & risk", open=False, elem_id="performance-section"):
                analytics_button = gr.Button("Compute from my equity history", size="sm", elem_id="analytics")
                analytics = gr.Markdown(elem_id="analytics-figures")
            with gr.Accordion("Manage", open=False, elem_id="manage-section"):
                with gr.Row():
                    title = gr.Textbox(placeholder="New title", show_label=False, scale=3, elem_id="rename-title",
                                       label="New title")
                    rename = gr.Button("Rename", size="sm", scale=1, elem_id="rename")
                delete = gr.Button("Delete this conversation", size="sm", variant="stop", elem_id="delete-chat")
                export = gr.Button("Export workspace (JSON)", size="sm", elem_id="export")
                export_file = gr.File(visible=False, label="Your export", elem_id="export-file")
                drop = gr.Button("Delete my workspace…", size="sm", variant="stop", elem_id="delete-workspace")
                with gr.Group(visible=False) as confirm_drop:
                    gr.Markdown("Delete every conversation, ticket and the paper account of this workspace? "
                                "This cannot be undone.")
                    really = gr.Button("Yes, delete everything", variant="stop", size="sm",
                                       elem_id="delete-confirm")
            conversations.input(self.switch, [conversations], [chatbot, conversations], **private)
            new_chat.click(self.new_chat, None, [chatbot, conversations], **private)
            rename.click(self.rename, [title], [title, conversations], **private)
            delete.click(self.delete_conversation, None, [chatbot, conversations, export_file], **private)
            export.click(self.export_file, None, [export_file], **private)
            analytics_button.click(self.analytics_clicked, None, [analytics], **private)
            drop.click(lambda: gr.update(visible=True), None, [confirm_drop], **private)
            really.click(self.delete_workspace_clicked, None,
                         [key_state, chatbot, conversations, summary, confirm_drop, notice], **private)
            parts["conversations"] = conversations
            parts["load"] = (self.load, [key_state], [key_state, chatbot, conversations, summary, notice])

        parts["build_rest"] = build_rest
        return parts


def _without_options(message, ticket_id: str):
    """A chat message (dict from the browser) with that ticket's Confirm / Reject options removed."""
    if isinstance(message, dict) and any(ticket_id in str(o.get("value", "")) for o in message.get("options") or []):
        return {**message, "options": []}
    return message


def _account_data(desk) -> dict:
    try:
        account = desk.broker.account()
        return {"mode": desk.mode_label(), "cash": account.cash, "equity": account.equity,
                "positions": [asdict(p) for p in desk.broker.positions()],
                "orders": [o.describe() for o in desk.broker.orders("all", limit=500)],
                "fills": [asdict(f) for f in getattr(desk.broker, "fills", lambda: [])()]}
    except (BrokerError, UserError) as exc:
        return {"mode": desk.mode_label(), "error": exc.user_message}


def _when(timestamp: float) -> str:
    moment = datetime.fromtimestamp(timestamp, UTC)
    return moment.strftime("%H:%M") if time.time() - timestamp < 86400 else moment.strftime("%b %d")
