"""Smol Trader: the Gradio UI. Layout, per-session wiring and launch; no domain logic here.

Run with `python app.py`. Hugging Face Spaces runs this file too.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator

import gradio as gr

from agents.brief_hooks import BriefHooks
from agents.chat import ChatService
from agents.messages import ChatItem, to_gradio_messages
from agents.portfolio_analytics import record_closing_equity
from agents.services import Services, build_services
from agents.session import Session, SessionStore
from agents.ticket_decisions import decide_ticket
from agents.toolsets import local_tool_names
from agents.warmup import Warmup, compile_prompt_templates, import_first_turn_modules, rehearse_openai_stream
from alerts.scheduler import start_alert_scheduler
from alerts.service import alert_service_for
from core.settings import Settings, load_settings
from forecast.model import warm_up as forecast_warm_up
from hub.remote_tools import active_tools_markdown, load_remote_tools
from market.calendar import exchange_calendar
from safe_render.csp import content_security_policy
from sandbox.pool import shared_pool
from trading.desk import desk_for
from ui.alerts_panel import AlertsPanel
from ui.page import CSS, JS
from ui.ticket_cards import refresh_ticket_cards
from ui.workspace_panel import WorkspaceUI

EXAMPLES = [
    "How did NVDA do this month, and what does the news say?",
    "Compare AAPL, MSFT and GOOG over the last year, with a chart.",
    "Show me a candlestick chart of TSLA with RSI and MACD.",
    "/help",
]

TICKET_POLL_S = 5.0  # how often an open page re-reads the pending tickets (decisions made in another tab)


def user_of(request: gr.Request | None) -> str | None:
    """The logged-in person's name (HF OAuth or username/password login), or None for a visitor."""
    if request is None:
        return None
    return getattr(request, "username", None) or None


def session_id_of(request: gr.Request | None) -> str | None:
    return getattr(request, "session_hash", None) if request is not None else None


def client_of(request: gr.Request | None) -> str | None:
    """The client's address (a visitor's identity of last resort for the limits)."""
    client = getattr(request, "client", None) if request is not None else None
    return getattr(client, "host", None)


def token_of(oauth: gr.OAuthToken | None) -> str | None:
    """A visitor's own Hugging Face token, when it may call inference (`hf_oauth_scopes: [inference-api]`)."""
    if oauth is None or "inference-api" not in (getattr(oauth, "scope", "") or "").split():
        return None
    return oauth.token or None


def status_line(chat: ChatService, services: Services, trading_mode: str, tokens: str = "") -> str:
    tracing = services.tracing
    tracing_label = "on" if tracing is not None and getattr(tracing, "enabled", False) else "off"
    return (f"Model: **{chat.model_choice.label()}** · Trading: **{trading_mode}** · "
            f"Tracing: {tracing_label}" + (f" · Usage: {tokens}" if tokens else "")
            + (f" · Data: {services.market.health_line()}" if hasattr(services.market, "health_line") else ""))


def ticket_choices(desk) -> list[tuple[str, str]]:
    return [(f"{t.id} · {t.order.describe()}", t.id) for t in desk.pending_tickets()]


def tickets_update(desk, chosen: str | None = None):
    """The tickets dropdown (the person's choice kept while it is pending; preselected when exactly one ticket is
    pending) and the tickets section, shown only while some ticket awaits a decision."""
    choices = ticket_choices(desk)
    ids = [c[1] for c in choices]
    value = chosen if chosen in ids else ids[0] if len(ids) == 1 else None
    return gr.update(choices=choices, value=value), gr.update(visible=bool(choices))


def concurrent_blocks(concurrency_limit: int, **options) -> gr.Blocks:
    """`gr.Blocks(**options)` whose events run up to `concurrency_limit` at once (Gradio's default is 1 per event).

    Gradio reads the default from GRADIO_DEFAULT_CONCURRENCY_LIMIT when a Blocks makes its queue (in its
    constructor); calling `demo.queue(default_concurrency_limit=…)` afterwards would rebuild the whole FastAPI app
    (~0.3 s of start-up) just to change that number.
    """
    name = "GRADIO_DEFAULT_CONCURRENCY_LIMIT"
    before = os.environ.get(name)
    os.environ[name] = str(concurrency_limit)
    try:
        return gr.Blocks(**options)
    finally:
        if before is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = before


class SmolTraderApp:
    """The whole UI: per-session wiring, browser handlers, API endpoints and the layout (`build()`)."""

    def __init__(self, settings: Settings | None = None, services: Services | None = None, model_factory=None):
        self.settings = settings or load_settings()
        self.services = services or build_services(self.settings)
        reserved = local_tool_names() if self.settings.hub_tools else frozenset()  # imports every tool module
        self.remote_tools, self.remote_report = load_remote_tools(self.settings, reserved_names=reserved)
        extra_tools = {"trader": self.remote_tools.get("trader", []), "web_agent": self.remote_tools.get("web", [])}
        self.workspace_ui = WorkspaceUI(self)  # lasting workspaces: conversations, account, export/delete
        self.chat = ChatService(self.services, model_factory=model_factory, extra_tools=extra_tools,
                                conversations=self.workspace_ui.log)
        self.sessions = SessionStore(idle_seconds=self.settings.session_idle_minutes * 60)  # by Gradio session hash
        # Runs-API sessions, by workspace id after the key was checked: apart, so no session hash a client picks
        # reaches one (api.clients.session_for_workspace).
        self.api_sessions = SessionStore(idle_seconds=self.settings.session_idle_minutes * 60)
        self.integrations = None  # api.server.Integrations: MCP, runs API, /metrics (made by launch())
        self.alerts_panel = None  # ui.alerts_panel.AlertsPanel (made by build())
        self.alert_scheduler = None  # alerts.scheduler: alerts and briefs (made by start())
        self.served = threading.Event()  # set once launch() has the server answering
        rehearsal = [("model call path", rehearse_openai_stream)] if self.chat.model_choice.backend == "openai" else []
        self.warmup = Warmup([  # what a first turn needs, made ready right after the server answers
            *rehearsal,
            ("prompt templates", compile_prompt_templates),
            ("tools", local_tool_names),  # imports every tool module
            ("first-turn modules", import_first_turn_modules),
            ("exchange calendar", lambda: exchange_calendar().warm()),
            ("forecast library", forecast_warm_up),  # its import and a first fit
        ])

    # --- sessions -------------------------------------------------------------------------
    def session_for(self, request: gr.Request | None) -> Session:
        """The request's session, on its workspace (signed-in name, X-Smol-Workspace header, or browser key)."""
        session = self.sessions.get(session_id_of(request), user_of(request))
        self.workspace_ui.bind(session, request)
        return session

    def bound_workspace_of(self, request: gr.Request | None) -> str | None:
        """The workspace the request's session is already bound to (None before the page's load binds it)."""
        return self.sessions.get(session_id_of(request), user_of(request)).workspace

    def desk_of(self, request: gr.Request | None):
        return desk_for(self.session_for(request), self.services)

    def ticket_decision(self, request: gr.Request | None, decision: str, ticket_id: str) -> list[ChatItem]:
        session = self.session_for(request)
        items = decide_ticket(self.services, session, decision, ticket_id, user_of(request))
        self.workspace_ui.log.append(session, items)  # the decision stays in the conversation
        return items

    def start(self) -> None:
        """Background work that lives as long as the app: the model client (made now, before the server answers),
        the idle-session sweeper, the code-worker pool (its clean zygote and a spare start now, so no visitor's first
        code step waits for them), the warm-up after the server answers, the alert scheduler, the workspace sweeper."""
        self.chat.warm_model()
        self.sessions.start_sweeper(min(60.0, self.settings.session_idle_minutes * 60 / 2))
        self.api_sessions.start_sweeper(min(60.0, self.settings.session_idle_minutes * 60 / 2))
        shared_pool(self.settings.worker_memory_mb, self.settings.worker_idle_s, self.settings.worker_cpu_s,
                    self.settings.worker_max_processes)
        self.warmup.run_after(self.served)
        hooks = BriefHooks(self.services, self.chat, self.workspace_ui.workspaces.store)
        self.alert_scheduler = start_alert_scheduler(  # alerts and briefs, also with no tab open
            self.services, positions_of=hooks.positions_of, commentary=hooks.commentary)
        store = self.workspace_ui.workspaces.store  # every workspace's equity once per NYSE session, after the close
        self.alert_scheduler.add_job("equity", lambda: record_closing_equity(self.services, store),
                                     trigger="interval", minutes=15)
        self.workspace_ui.start()  # idle anonymous workspaces removed; backups when configured

    def close(self) -> None:
        self.warmup.cancel()
        self.served.set()
        self.sessions.stop_sweeper()
        self.api_sessions.stop_sweeper()
        self.workspace_ui.close()
        if self.integrations is not None:
            self.integrations.close()
        if self.alert_scheduler is not None:
            self.alert_scheduler.stop()

    def launch(self, **options) -> gr.Blocks:
        """Build the UI and serve it with the MCP, runs and /metrics routes (`python app.py` and the tests)."""
        from api.request_limits import trust_proxies
        from api.server import Integrations

        trust_proxies(self.settings)  # X-Forwarded-For is believed only from TRUSTED_PROXIES (default: no one)
        demo = self.build()
        self.integrations = Integrations(self)
        # mcp_server=False: Gradio's own MCP server would publish every API endpoint, confirm_ticket included.
        block = not options.pop("prevent_thread_lock", False)
        app_kwargs = self.integrations.app_kwargs()  # the body cap first, then the CSP (safe_render.csp) on answers
        app_kwargs["middleware"] = [*app_kwargs.get("middleware", []), content_security_policy()]
        demo.launch(app_kwargs=app_kwargs, mcp_server=False, ssr_mode=False, css=CSS, js=JS,
                    prevent_thread_lock=True, footer_links=[], **options)
        self.served.set()  # the server answers: background warm-ups may start now
        if block:
            demo.block_thread()
        return demo

    # --- browser handlers -------------------------------------------------------------------
    def add_user_message(self, message: str, history: list):
        text = message if isinstance(message, str) else ""
        return "", [*history, gr.ChatMessage(role="user", content=text)], text

    def example_selected(self, history: list, evt: gr.SelectData):
        """An example in the empty chat: sent as if typed."""
        value = evt.value if isinstance(evt.value, dict) else {"text": str(evt.value or "")}
        return self.add_user_message(str(value.get("text") or ""), history)

    def respond(self, pending: str, history: list, request: gr.Request, oauth: gr.OAuthToken | None = None):
        """The reply's snapshots; a message refused by a limit goes back into the box (nothing to retype)."""
        session = self.session_for(request)
        shown = list(history)
        desk = None
        for items in self.chat.respond(session, pending, hf_token=token_of(oauth), client=client_of(request)):
            if any(item.extra.get("refused") for item in items):
                yield shown[:-1] + to_gradio_messages(items), pending
                return
            if desk is None and any(item.kind == "notice" and item.extra.get("ticket") for item in items):
                desk = desk_for(session, self.services)  # a /confirm or /reject: the cards above say it too
                shown = refresh_ticket_cards(shown, desk)
            yield [*shown, *to_gradio_messages(items)], gr.skip()

    def stop(self, request: gr.Request):
        self.chat.stop(self.session_for(request))

    def status_of(self, request: gr.Request, oauth: gr.OAuthToken | None = None) -> str:
        session = self.session_for(request)
        tokens = self.chat.visitors.usage_label(session, client_of(request), token_of(oauth))
        return status_line(self.chat, self.services, desk_for(session, self.services).mode_label(), tokens)

    def on_load(self, request: gr.Request, oauth: gr.OAuthToken | None = None):
        desk = self.desk_of(request)
        return self.status_of(request, oauth), *tickets_update(desk)

    def refresh_tickets(self, chosen: str | None, request: gr.Request):
        return tickets_update(self.desk_of(request), chosen)

    def poll_tickets(self, chosen: str | None, request: gr.Request):
        """The timer's refresh: a decision made in another tab of the workspace reaches this one (never opens a
        workspace: a page still loading is left alone)."""
        if self.bound_workspace_of(request) is None:
            return gr.skip(), gr.skip()
        return tickets_update(self.desk_of(request), chosen)

    def decide(self, decision: str, ticket_id: str | None, history: list, request: gr.Request):
        """Confirm/Reject buttons of the side panel: the card in the chat and the panel say what happened."""
        desk = self.desk_of(request)
        if not ticket_id:
            items = [ChatItem(content="Pick a ticket first.", kind="notice")]
        else:
            items = self.ticket_decision(request, decision, ticket_id)
        shown = [*refresh_ticket_cards(history, desk), *(item.to_gradio() for item in items)]
        return shown, *tickets_update(desk)

    def confirm_clicked(self, ticket_id, history, request: gr.Request):
        return self.decide("confirm", ticket_id, history, request)

    def reject_clicked(self, ticket_id, history, request: gr.Request):
        return self.decide("reject", ticket_id, history, request)

    def forget(self, request: gr.Request):
        session_id = session_id_of(request)
        if session_id:
            self.sessions.drop(session_id)

    # --- API handlers (JSON-safe; charts as plotly JSON) ----------------------------------
    def api_chat(self, message: str, request: gr.Request) -> Iterator[list[dict]]:
        """Send a message (or a slash command) and stream the reply as JSON messages."""
        # No gr.OAuthToken here: a Hugging Face sign-in lives in the browser's session cookie, which API clients do
        # not carry, so their turns run on the owner's model within the limits (the parameter cost ~10 ms a request).
        session = self.session_for(request)
        for items in self.chat.respond(session, message, client=client_of(request)):
            yield [item.to_json() for item in items]

    def api_stop(self, request: gr.Request) -> bool:
        """Stop the running turn of this client's session."""
        return self.chat.stop(self.session_for(request))

    def api_tickets(self, request: gr.Request) -> list[dict]:
        """This session's order tickets awaiting confirmation."""
        return [ticket.to_dict() for ticket in self.desk_of(request).pending_tickets()]

    def api_confirm_ticket(self, ticket_id: str, request: gr.Request) -> list[dict]:
        """Confirm (execute) one of this session's tickets. Access and risk are checked here, in code."""
        return [item.to_json() for item in self.ticket_decision(request, "confirm", ticket_id)]

    def api_reject_ticket(self, ticket_id: str, request: gr.Request) -> list[dict]:
        """Reject one of this session's tickets; nothing is sent to the broker."""
        return [item.to_json() for item in self.ticket_decision(request, "reject", ticket_id)]

    # --- layout -----------------------------------------------------------------------------
    def build(self) -> gr.Blocks:
        settings, chat = self.settings, self.chat
        private = {"api_visibility": "private"}
        with concurrent_blocks(settings.concurrency_limit, title="Smol Trader", fill_height=True,
                               analytics_enabled=False) as demo:
            with gr.Row(elem_id="page-header", equal_height=True):
                gr.Markdown("# 📈 Smol Trader", elem_id="page-title")
                status = gr.Markdown(status_line(chat, self.services, "…"), elem_id="status-line")
                if settings.oauth_client_id:  # a Space with `hf_oauth: true`
                    gr.LoginButton(size="sm", scale=0)
            if not chat.model_choice.available:
                gr.Markdown("> " + chat.model_choice.problem.splitlines()[0], elem_id="model-missing")
            chatbot = gr.Chatbot(
                label="Conversation",
                show_label=False,
                elem_id="chatbot",
                scale=1,
                buttons=["copy"],
                layout="bubble",
                placeholder="**Talk to a small team of AI agents about the stock market.** "
                            "Information, not financial advice. Try one of these, or type `/help`:",
                examples=[{"text": text} for text in EXAMPLES],
            )
            with gr.Row(elem_id="composer"):
                textbox = gr.Textbox(placeholder="Ask, or type /help", show_label=False, scale=8,
                                     elem_id="message", max_lines=6, lines=1,
                                     label="Message")
                send = gr.Button("Send", variant="primary", scale=0, min_width=60, elem_id="send")
                stop_button = gr.Button("Stop", variant="stop", scale=0, min_width=60, elem_id="stop")
            with gr.Sidebar(label="Side panel", position="right", open=True, width=340, elem_id="side-panel"):
                with gr.Group(visible=False, elem_id="ticket-panel") as ticket_panel:
                    gr.Markdown("**Order tickets**: orders run only when you confirm them.")
                    tickets = gr.Dropdown(choices=[], label="Awaiting your decision", elem_id="tickets",
                                          interactive=True)
                    with gr.Row(elem_id="ticket-buttons"):
                        confirm_button = gr.Button("Confirm", variant="primary", size="sm", elem_id="confirm")
                        reject_button = gr.Button("Reject", variant="stop", size="sm", elem_id="reject")
                panel = self.workspace_ui.build_panel(demo, chatbot)
                alerts_panel = self.alerts_panel = AlertsPanel(
                    lambda: alert_service_for(self.services),
                    lambda request: self.session_for(request).workspace_id,
                    polled_workspace_of=self.bound_workspace_of)
                with gr.Accordion("Watchlist and alerts", open=True, elem_id="alerts-section"):
                    alerts_panel.build()
                panel["build_rest"]()
                if settings.hub_tools:
                    with gr.Accordion("Hub tools", open=False):
                        gr.Markdown(active_tools_markdown(self.remote_tools, self.remote_report),
                                    elem_id="remote-tools")
            pending = gr.State("")
            ticket_timer = gr.Timer(TICKET_POLL_S)

            def after_reply(chain):
                (chain.then(self.respond, [pending, chatbot], [chatbot, textbox], **private)
                 .then(self.refresh_tickets, [tickets], [tickets, ticket_panel], show_progress="hidden", **private)
                 .then(self.status_of, None, [status], show_progress="hidden", **private)
                 .then(self.workspace_ui.refresh, None, [panel["conversations"], panel["summary"]],
                       show_progress="hidden", **private))

            for trigger in (textbox.submit, send.click):
                after_reply(trigger(self.add_user_message, [textbox, chatbot], [textbox, chatbot, pending],
                                    queue=False, **private))
            after_reply(chatbot.example_select(self.example_selected, [chatbot], [textbox, chatbot, pending],
                                               queue=False, **private))
            stop_button.click(self.stop, None, None, queue=False, **private)
            confirm_button.click(self.confirm_clicked, [tickets, chatbot], [chatbot, tickets, ticket_panel],
                                 **private).then(self.workspace_ui.refresh, None,
                                                 [panel["conversations"], panel["summary"]], **private)
            reject_button.click(self.reject_clicked, [tickets, chatbot], [chatbot, tickets, ticket_panel],
                                **private)
            panel["decided"].then(self.refresh_tickets, [tickets], [tickets, ticket_panel], **private)
            ticket_timer.tick(self.poll_tickets, [tickets], [tickets, ticket_panel], show_progress="hidden",
                              concurrency_limit=None, **private)
            (demo.load(*panel["load"], **private)  # the browser's workspace first
             .then(self.on_load, None, [status, tickets, ticket_panel], **private))
            demo.unload(self.forget)
            alerts_panel.wire(demo)

            gr.api(self.api_chat, api_name="chat")
            gr.api(self.api_stop, api_name="stop")
            gr.api(self.api_tickets, api_name="tickets")
            gr.api(self.api_confirm_ticket, api_name="confirm_ticket")
            gr.api(self.api_reject_ticket, api_name="reject_ticket")
            self.workspace_ui.register_api()

        return demo


def create_app(settings: Settings | None = None, services: Services | None = None, model_factory=None) -> gr.Blocks:
    """The Gradio app (`SmolTraderApp(...).build()` with its background work started)."""
    ui = SmolTraderApp(settings, services, model_factory)
    ui.start()
    return ui.build()


def quiet_library_warnings(warnings) -> None:
    """yfinance 1.7 under pandas 3.1 warns (Pandas4Warning) about its own inplace calls on every fetch: filtered by
    category, so the filter holds whichever module the warning is attributed to."""
    from pandas.errors import Pandas4Warning

    warnings.filterwarnings("ignore", category=Pandas4Warning)


def startup_log():
    import logging

    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    return logging.getLogger("smol_trader")


def main() -> None:
    import warnings

    quiet_library_warnings(warnings)
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    settings = load_settings()
    ui = SmolTraderApp(settings)
    if not ui.chat.model_choice.available:  # a Space's log says what to set (the page says it too)
        startup_log().warning("No model: %s", " ".join(ui.chat.model_choice.problem.split()))
    ui.start()
    auth = None
    if settings.app_username and settings.app_password:
        auth = [(settings.app_username, settings.app_password.reveal())]
    ui.launch(
        server_name=settings.server_name,
        server_port=settings.server_port,
        max_threads=max(40, settings.concurrency_limit * 2 + 8),
        auth=auth,
    )


if __name__ == "__main__":
    main()
