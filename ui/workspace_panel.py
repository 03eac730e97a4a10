"""The workspace side panel: conversations, the account summary, performance and risk, export and delete.

`WorkspacePanel(runtime, chat, binding)` is made by `SmolTraderApp`; `build_panel()` lays out the panel inside
`SmolTraderApp.build()`. What a request's workspace is, is `ui.binding`'s; the JSON endpoints are in
`api.gradio_endpoints`; backup and the idle-workspace sweep are the runtime's scheduled jobs.
"""

from __future__ import annotations

import json
import tempfile
import time
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import gradio as gr

from chat.messages import TICKET_OPTION, ChatItem, to_gradio_messages
from chat.service import ChatService
from chat.session import Session
from core.errors import UserError
from runtime import Runtime
from trading.analytics import Analytics
from trading.broker import BrokerError
from trading.desk import TradingDesk
from trading.portfolio_analytics import equity_now, workspace_analytics
from ui.binding import WorkspaceBinding, client_of, user_of
from ui.ticket_cards import refresh_ticket_cards

STORAGE_KEY = "smol-trader-workspace"
# The load event sends the browser's IANA time zone with the workspace key (Intl; empty where it is unavailable).
LOAD_JS = "(key, zone) => [key, (Intl.DateTimeFormat().resolvedOptions().timeZone || '')]"


class WorkspacePanel:
    def __init__(self, runtime: Runtime, chat: ChatService, binding: WorkspaceBinding):
        self.runtime = runtime
        self.chat = chat
        self.binding = binding
        self.workspaces = runtime.workspaces
        self.log = chat.conversations  # the saved conversations (chat.conversation_log.ConversationLog)

    def desk(self, session: Session) -> TradingDesk:
        return self.runtime.desks.for_workspace(session.workspace_id, session.user)

    # --- what the panel shows -----------------------------------------------------------------------
    def conversation_choices(self, session: Session) -> list[tuple[str, str]]:
        return [(f"{c.title} · {_when(c.updated_at, session.time_zone)}", c.id)
                for c in self.workspaces.store.conversations(session.workspace_id)]

    def history(self, session: Session) -> list:
        """The open conversation as chat messages; ticket cards show their current outcome."""
        if session.conversation is None:
            return []
        desk = self.desk(session)
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

    def summary(self, session: Session) -> str:
        """Equity and day P&L, open positions with value, pending tickets (a read: nothing is recorded)."""
        desk = self.desk(session)
        try:
            account, positions, earlier = equity_now(desk, self.workspaces.store, session.workspace_id)
        except BrokerError as exc:
            return f"**Account:** unavailable ({exc.user_message})"
        now = desk.now()
        day = (f"{account.equity - earlier[-1][1]:+,.2f} since {earlier[-1][0]}" if earlier
               else "n/a (first day of this account)")
        lines = [f"**Equity** ${account.equity:,.2f} · **cash** ${account.cash:,.2f}",
                 f"**Day P&L** {day}", f"<sub>{desk.mode_label()}, as of {now:%Y-%m-%d %H:%M:%S} UTC</sub>", ""]
        lines += [f"- {p.symbol}: {p.qty:g} × ${p.current_price:,.2f} = **${p.market_value:,.2f}** "
                  f"({p.unrealized_pl:+,.2f})" for p in positions] or ["No open positions."]
        pending = desk.pending_tickets()
        if pending:
            lines += ["", f"**{len(pending)} ticket(s) awaiting you:**"]
            lines += [f"- `{t.id}` {t.order.describe()}" for t in pending]
        return "\n".join(lines)

    def analytics(self, session: Session) -> Analytics:
        """Return vs SPY, volatility, beta, VaR, drawdown, concentration over the workspace's daily equity."""
        desk = self.desk(session)
        market = self.runtime.market
        return workspace_analytics(desk, self.workspaces.store, session.workspace_id, market).analytics

    # --- browser handlers ---------------------------------------------------------------------------
    def load(self, browser_key: str | None, request: gr.Request, time_zone: str = ""):
        """The page's first event: its workspace (the browser's key), its conversation and panel, and the browser's
        time zone (sent by the page's `Intl` settings; an unknown name is ignored: UTC)."""
        session = self.binding.unbound_session_for(request)
        session.time_zone = known_zone(time_zone)
        notice = self.binding.bind(session, request, browser_key or "")
        if session.conversation is None:
            newest = self.workspaces.store.conversations(session.workspace_id)[:1]
            session.conversation = newest[0].id if newest else None
        notices = [n for n in (self.workspaces.notice, notice) if n]
        return (session.workspace_key or browser_key or "", self.history(session),
                gr.update(choices=self.conversation_choices(session), value=session.conversation),
                self.summary(session), gr.update(value="\n\n".join(notices), visible=bool(notices)))

    def refresh(self, request: gr.Request):
        session = self.binding.session_for(request)
        return (gr.update(choices=self.conversation_choices(session), value=session.conversation),
                self.summary(session))

    def switch(self, conversation_id: str | None, request: gr.Request):
        session = self.binding.session_for(request)
        if session.running is None and conversation_id != session.conversation:
            session.open_conversation(conversation_id)  # the team is rebuilt with its turns
        return self.history(session), gr.update(choices=self.conversation_choices(session),
                                                value=session.conversation)

    def new_chat(self, request: gr.Request):
        return self.switch(None, request)

    def rename(self, title: str, request: gr.Request):
        session = self.binding.session_for(request)
        if session.conversation and (title or "").strip():
            self.workspaces.store.rename(session.workspace_id, session.conversation, title)
        return "", gr.update(choices=self.conversation_choices(session), value=session.conversation)

    def delete_conversation(self, request: gr.Request):
        session = self.binding.session_for(request)
        if session.conversation and session.running is None:
            self.workspaces.store.delete_conversation(session.workspace_id, session.conversation)
            session.open_conversation(None)
        return [], gr.update(choices=self.conversation_choices(session), value=None), gr.update(visible=False)

    def analytics_clicked(self, request: gr.Request) -> str:
        return self.analytics(self.binding.session_for(request)).markdown()

    def export_file(self, request: gr.Request):
        session = self.binding.session_for(request)
        folder = Path(tempfile.mkdtemp(prefix="smol-export-"))
        path = folder / f"smol-trader-workspace-{datetime.now(UTC):%Y%m%d-%H%M%S}.json"
        path.write_text(json.dumps(self.export(session), indent=1, default=str), encoding="utf-8")
        return gr.update(value=str(path), visible=True)

    def delete_workspace_clicked(self, request: gr.Request):
        session = self.binding.session_for(request)
        self.workspaces.delete(session.workspace_id)
        session.unbind_workspace(keep_key=True)
        self.binding.bind(session, None, client=client_of(request))  # a fresh, empty workspace for this tab
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
        session = self.binding.session_for(request)
        items = self.chat.decide_ticket(session, decision, ticket_id, user_of(request))
        shown = [_without_options(message, ticket_id) for message in history]
        shown = refresh_ticket_cards(shown, self.desk(session))  # the card says what happened
        return [*shown, *to_gradio_messages(items)], self.summary(session)

    # --- the export ---------------------------------------------------------------------------------
    def export(self, session: Session) -> dict:
        data = self.workspaces.store.export(session.workspace_id)
        desk = self.desk(session)
        data["paper_account"] = _account_data(desk)
        data["tickets"] = [t.to_dict() for t in desk.tickets.all()]
        data["analytics"] = self.analytics(session).to_dict()
        data["watch_and_alerts"] = self.runtime.alerts.store.export(session.workspace_id)
        return data

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
        # the browser's time zone, filled in by the load event's JS (widget labels cannot be converted on the page)
        zone = gr.Textbox(visible=False, elem_id="browser-time-zone")
        parts: dict = {"summary": summary, "decided": decided, "load_js": LOAD_JS,
                       "load": (self.load, [key_state, zone], [key_state, chatbot, None, summary, notice])}

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
            parts["load"] = (self.load, [key_state, zone], [key_state, chatbot, conversations, summary, notice])

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


def known_zone(name: str | None) -> str | None:
    """`name` when it is an IANA time zone this machine knows (a browser sends e.g. "Europe/Paris"), else None."""
    if not name or len(name) > 64:
        return None
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None
    return name


def _when(timestamp: float, zone: str | None = None) -> str:
    """A conversation's last change, short: the time today, else the day; in the browser's zone (UTC if unknown,
    then said)."""
    moment = datetime.fromtimestamp(timestamp, ZoneInfo(zone) if zone else UTC)
    shown = moment.strftime("%H:%M") if time.time() - timestamp < 86400 else moment.strftime("%b %d")
    return shown if zone else f"{shown} UTC"
