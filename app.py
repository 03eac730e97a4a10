"""Smol Trader: the Gradio UI. Layout, per-session wiring and launch; no domain logic here.

Run with `python app.py`. Hugging Face Spaces runs this file too.
"""

from __future__ import annotations

import gc
import os

if __name__ == "__main__":  # `python app.py`: no cyclic collection until the server answers (see main())
    gc.disable()

import gradio as gr

from agents.toolsets import local_tool_names
from api.gradio_endpoints import GradioEndpoints
from chat.conversation_log import ConversationLog
from chat.messages import ChatItem, to_gradio_messages
from chat.service import ChatService
from chat.session import Session
from core.settings import Settings, load_settings
from hub.remote_tools import active_tools_markdown, load_remote_tools
from runtime import Runtime, build_runtime
from safe_render.csp import content_security_policy
from trading.desk import TradingDesk
from ui.alerts_panel import AlertsPanel
from ui.binding import WorkspaceBinding, client_of, token_of, user_of
from ui.component_signatures import remember_signatures
from ui.page import CSS, JS
from ui.ticket_cards import refresh_ticket_cards
from ui.workspace_panel import WorkspacePanel

EXAMPLES = [
    "How did NVDA do this month, and what does the news say?",
    "Compare AAPL, MSFT and GOOG over the last year, with a chart.",
    "Show me a candlestick chart of TSLA with RSI and MACD.",
    "/help",
]

TICKET_POLL_S = 5.0  # how often an open page re-reads the pending tickets (decisions made in another tab)


def status_line(chat: ChatService, runtime: Runtime, trading_mode: str, tokens: str = "") -> str:
    tracing = runtime.tracing
    tracing_label = "on" if tracing is not None and tracing.enabled else "off"
    return (f"Model: **{chat.model_choice.label()}** · Trading: **{trading_mode}** · "
            f"Tracing: {tracing_label}" + (f" · Usage: {tokens}" if tokens else "")
            + f" · Data: {runtime.market.health_line()}")


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
    """The whole UI: the browser handlers and the layout (`build()`) over one runtime and its chat service."""

    def __init__(self, settings: Settings | None = None, runtime: Runtime | None = None, model_factory=None):
        self.owns_runtime = runtime is None  # an app that built its runtime closes it (a given one: its owner does)
        self.runtime = runtime or build_runtime(settings or load_settings(), model_factory=model_factory)
        self.settings = self.runtime.settings
        reserved = local_tool_names() if self.settings.hub_tools else frozenset()  # imports every tool module
        self.remote_tools, self.remote_report = load_remote_tools(self.settings, reserved_names=reserved)
        extra_tools = {"trader": self.remote_tools.get("trader", []), "web_agent": self.remote_tools.get("web", [])}
        self.chat = ChatService(self.runtime, model_factory=model_factory, extra_tools=extra_tools,
                                conversations=ConversationLog(self.runtime.workspaces.store))
        self.binding = WorkspaceBinding(self.runtime.workspaces, self.chat.sessions)  # which workspace a request is
        self.workspace_panel = WorkspacePanel(self.runtime, self.chat, self.binding)
        self.endpoints = GradioEndpoints(self.runtime, self.chat, self.binding, self.workspace_panel)
        self.alerts_panel = AlertsPanel(lambda: self.runtime.alerts,
                                        lambda request: self.session_for(request).workspace_id,
                                        polled_workspace_of=self.binding.bound_workspace_of)
        self.integrations = None  # api.server.Integrations: MCP, runs API, /metrics (made by launch())

    # --- sessions -------------------------------------------------------------------------
    def session_for(self, request: gr.Request | None) -> Session:
        """The request's session, on its workspace (signed-in name, X-Smol-Workspace header, or browser key)."""
        return self.binding.session_for(request)

    def desk_of(self, request: gr.Request | None) -> TradingDesk:
        return self.chat.desk_of(self.session_for(request))

    def ticket_decision(self, request: gr.Request | None, decision: str, ticket_id: str) -> list[ChatItem]:
        return self.chat.decide_ticket(self.session_for(request), decision, ticket_id, user_of(request))

    def start(self) -> None:
        """Background work that lives as long as the app: the runtime's (model client, code workers, warm-up after
        the server answers, the scheduler of alerts, briefs, equity and the workspace sweep, backups) and the
        chat's idle-session sweepers."""
        self.runtime.start()
        self.chat.start()

    def close(self) -> None:
        self.chat.close()
        if self.integrations is not None:
            self.integrations.close()
        if self.owns_runtime:
            self.runtime.close()
        else:
            self.runtime.stop()

    def launch(self, **options) -> gr.Blocks:
        """Build the UI and serve it with the MCP, runs and /metrics routes (`python app.py` and the tests)."""
        from api.request_limits import trust_proxies
        from api.server import Integrations

        trust_proxies(self.settings)  # X-Forwarded-For is believed only from TRUSTED_PROXIES (default: no one)
        demo = self.build()
        self.integrations = Integrations(self.runtime, self.chat)
        # mcp_server=False: Gradio's own MCP server would publish every API endpoint, confirm_ticket included.
        block = not options.pop("prevent_thread_lock", False)
        app_kwargs = self.integrations.app_kwargs()  # the body cap first, then the CSP (safe_render.csp) on answers
        app_kwargs["middleware"] = [*app_kwargs.get("middleware", []), content_security_policy()]
        demo.launch(app_kwargs=app_kwargs, mcp_server=False, ssr_mode=False, css=CSS, js=JS,
                    prevent_thread_lock=True, footer_links=[], **options)
        self.runtime.served.set()  # the server answers: background warm-ups may start now
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
                desk = self.chat.desk_of(session)  # a /confirm or /reject: the cards above say it too
                shown = refresh_ticket_cards(shown, desk)
            yield [*shown, *to_gradio_messages(items)], gr.skip()

    def stop(self, request: gr.Request):
        self.chat.stop(self.session_for(request))

    def status_of(self, request: gr.Request, oauth: gr.OAuthToken | None = None) -> str:
        session = self.session_for(request)
        tokens = self.chat.visitors.usage_label(session, client_of(request), token_of(oauth))
        return status_line(self.chat, self.runtime, self.chat.desk_of(session).mode_label(), tokens)

    def on_load(self, request: gr.Request, oauth: gr.OAuthToken | None = None):
        desk = self.desk_of(request)
        return self.status_of(request, oauth), *tickets_update(desk)

    def refresh_tickets(self, chosen: str | None, request: gr.Request):
        return tickets_update(self.desk_of(request), chosen)

    def poll_tickets(self, chosen: str | None, seen: str, request: gr.Request):
        """The timer's refresh: a decision made in another tab of the workspace reaches this one, its tickets and,
        when a ticket changed since this tab last looked, its account summary (never opens a workspace: a page
        still loading is left alone)."""
        if self.binding.bound_workspace_of(request) is None:
            return gr.skip(), gr.skip(), gr.skip(), gr.skip()
        desk = self.desk_of(request)
        version = desk.tickets.version()
        summary = gr.skip() if version == seen else self.workspace_panel.summary(self.binding.session_for(request))
        return *tickets_update(desk, chosen), summary, version

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
        self.binding.forget(request)

    # --- layout -----------------------------------------------------------------------------
    def build(self) -> gr.Blocks:
        settings, chat = self.settings, self.chat
        private = {"api_visibility": "private"}
        with concurrent_blocks(settings.concurrency_limit, title="Smol Trader", fill_height=True,
                               analytics_enabled=False) as demo:
            # The public Gradio API endpoints first (api/surface.py): Gradio names a later event whose function has
            # the same name `<name>_1`, and the page's private `stop` click took `/stop` from the API's `stop`.
            self.endpoints.register()
            with gr.Row(elem_id="page-header", equal_height=True):
                gr.Markdown("# 📈 Smol Trader", elem_id="page-title")
                status = gr.Markdown(status_line(chat, self.runtime, "…"), elem_id="status-line")
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
                panel = self.workspace_panel.build_panel(demo, chatbot)
                alerts_panel = self.alerts_panel
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
                 .then(self.workspace_panel.refresh, None, [panel["conversations"], panel["summary"]],
                       show_progress="hidden", **private))

            for trigger in (textbox.submit, send.click):
                after_reply(trigger(self.add_user_message, [textbox, chatbot], [textbox, chatbot, pending],
                                    queue=False, **private))
            after_reply(chatbot.example_select(self.example_selected, [chatbot], [textbox, chatbot, pending],
                                               queue=False, **private))
            stop_button.click(self.stop, None, None, queue=False, **private)
            confirm_button.click(self.confirm_clicked, [tickets, chatbot], [chatbot, tickets, ticket_panel],
                                 **private).then(self.workspace_panel.refresh, None,
                                                 [panel["conversations"], panel["summary"]], **private)
            reject_button.click(self.reject_clicked, [tickets, chatbot], [chatbot, tickets, ticket_panel],
                                **private)
            panel["decided"].then(self.refresh_tickets, [tickets], [tickets, ticket_panel], **private)
            tickets_seen = gr.State("")  # the workspace's tickets version this tab's summary shows
            ticket_timer.tick(self.poll_tickets, [tickets, tickets_seen],
                              [tickets, ticket_panel, panel["summary"], tickets_seen], show_progress="hidden",
                              concurrency_limit=None, **private)
            (demo.load(*panel["load"], js=panel["load_js"], **private)  # the browser's workspace first
             .then(self.on_load, None, [status, tickets, ticket_panel], **private))
            demo.unload(self.forget)
            alerts_panel.wire(demo)

        remember_signatures(demo)  # each new session describes every block: its constructor's signature read once
        return demo


def create_app(settings: Settings | None = None, runtime: Runtime | None = None, model_factory=None) -> gr.Blocks:
    """The Gradio app (`SmolTraderApp(...).build()` with its background work started)."""
    ui = SmolTraderApp(settings, runtime, model_factory)
    ui.start()
    return ui.build()


def quiet_library_warnings(warnings) -> None:
    """yfinance 1.7 under pandas 3.1 warns (Pandas4Warning) about its own inplace calls on every fetch: filtered by
    category, so the filter holds whichever module the warning is attributed to."""
    from pandas.errors import Pandas4Warning

    warnings.filterwarnings("ignore", category=Pandas4Warning)


def startup_log():
    """The start-up's own log (stderr, INFO and up), whatever a library did to the root logger's configuration."""
    import logging

    log = logging.getLogger("smol_trader")
    if not log.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
        log.addHandler(handler)
        log.setLevel(logging.INFO)
        log.propagate = False
    return log


def collect_from_now_on() -> None:
    """The cyclic garbage collector back on once the server answers, with start-up's objects out of its way.

    Start-up makes ~570,000 objects (gradio, openai's types, the app) that live as long as the process and no
    cyclic garbage; collecting while making them took about a second of a 4-second start on 2 cores. `python app.py`
    pauses the collector before its first import; here everything made so far is frozen (`gc.freeze`: a permanent
    generation no later collection walks, so a full collection during a turn does not scan the libraries either)
    and collection resumes."""
    gc.freeze()
    gc.enable()
    startup_log().info("Serving: %d start-up objects frozen out of garbage collection; the collector is on.",
                       gc.get_freeze_count())


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
    demo = ui.launch(
        server_name=settings.server_name,
        server_port=settings.server_port,
        max_threads=max(40, settings.concurrency_limit * 2 + 8),
        auth=auth,
        prevent_thread_lock=True,
    )
    collect_from_now_on()
    demo.block_thread()


if __name__ == "__main__":
    main()
