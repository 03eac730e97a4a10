"""Smol Trader: the Gradio UI. Layout, per-session wiring and launch; no domain logic here.

Run with `python app.py`. Hugging Face Spaces runs this file too.
"""

from __future__ import annotations

import os
from typing import Iterator

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

import gradio as gr  # noqa: E402

from agents.chat import ChatService  # noqa: E402
from agents.messages import ChatItem  # noqa: E402
from agents.runner import trace_turn  # noqa: E402
from agents.services import Services, build_services  # noqa: E402
from agents.session import SessionStore  # noqa: E402
from agents.trading_items import outcome_items  # noqa: E402
from core.settings import Settings, load_settings  # noqa: E402
from hub.remote_tools import active_tools_markdown, load_remote_tools  # noqa: E402
from trading.desk import desk_for  # noqa: E402

EXAMPLES = [
    "How did NVDA do this month, and what does the news say?",
    "Compare AAPL, MSFT and GOOG over the last year, with a chart.",
    "Show me a candlestick chart of TSLA with RSI and MACD.",
    "What's the ticker for Nvidia?",
    "/help",
]

CSS = """
#status-line {font-size: 0.85em; opacity: 0.85}
/* Gradio sizes a bot bubble to its content: give interactive charts the chat's width. */
#chatbot .message-row:has(.js-plotly-plot), #chatbot .message-row:has(.js-plotly-plot) .role,
#chatbot .message-row:has(.js-plotly-plot) .message, #chatbot .message-row:has(.js-plotly-plot) .thought-group
{width: 100% !important; max-width: 100% !important;}
#chatbot .js-plotly-plot {min-width: min(860px, 100%);}
"""


def user_of(request: gr.Request | None) -> str | None:
    """The logged-in person's name (HF OAuth or username/password login), or None for a visitor."""
    if request is None:
        return None
    return getattr(request, "username", None) or None


def session_id_of(request: gr.Request | None) -> str | None:
    return getattr(request, "session_hash", None) if request is not None else None


def status_line(chat: ChatService, services: Services, trading_mode: str) -> str:
    tracing = services.tracing
    tracing_label = "on" if tracing is not None and getattr(tracing, "enabled", False) else "off"
    return (f"**Model:** {chat.model_choice.label()} · **Trading:** {trading_mode} · "
            f"**Tracing:** {tracing_label}")


def ticket_choices(desk) -> list[tuple[str, str]]:
    return [(f"{t.id} · {t.order.describe()}", t.id) for t in desk.pending_tickets()]


def create_app(settings: Settings | None = None, services: Services | None = None, model_factory=None) -> gr.Blocks:
    settings = settings or load_settings()
    services = services or build_services(settings)
    chat = ChatService(services, model_factory=model_factory)
    remote_tools, remote_report = load_remote_tools(settings)
    chat.extra_tools = {"trader": remote_tools.get("trader", []), "web_agent": remote_tools.get("web", [])}
    sessions = SessionStore(idle_seconds=settings.session_idle_minutes * 60)
    sessions.start_sweeper(min(60.0, settings.session_idle_minutes * 60 / 2))

    def session_for(request: gr.Request | None):
        return sessions.get(session_id_of(request), user_of(request))

    # --- browser handlers ---------------------------------------------------------------
    def add_user_message(message: str, history: list):
        text = message if isinstance(message, str) else ""
        return "", [*history, gr.ChatMessage(role="user", content=text)], text

    def respond(pending: str, history: list, request: gr.Request):
        session = session_for(request)
        shown = list(history)
        for items in chat.respond(session, pending):
            yield [*shown, *(item.to_gradio() for item in items)]

    def stop(request: gr.Request):
        chat.stop(session_for(request))

    def desk_of(request: gr.Request | None):
        return desk_for(session_for(request), services)

    def on_load(request: gr.Request):
        desk = desk_of(request)
        return status_line(chat, services, desk.mode_label()), gr.update(choices=ticket_choices(desk), value=None)

    def refresh_tickets(request: gr.Request):
        return gr.update(choices=ticket_choices(desk_of(request)), value=None)

    def ticket_decision(request: gr.Request | None, decision: str, ticket_id: str) -> list[ChatItem]:
        """Confirm or reject exactly that ticket, in code no model output passes through; traced."""
        session = session_for(request)
        desk = desk_for(session, services)
        act = desk.confirm if decision == "confirm" else desk.reject
        with trace_turn(services.tracing, session.id, session.user, f"{decision} ticket {ticket_id}",
                        "confirm") as trace:
            items = outcome_items(act(ticket_id, user_of(request)))
            trace.set_output("\n".join(str(i.content) for i in items if isinstance(i.content, str))[:2000])
        return items

    def decide(decision: str, ticket_id: str | None, history: list, request: gr.Request):
        """Confirm/Reject buttons."""
        if not ticket_id:
            items = [ChatItem(content="Pick a ticket first.", kind="notice")]
        else:
            items = ticket_decision(request, decision, ticket_id)
        shown = [*history, *(item.to_gradio() for item in items)]
        return shown, gr.update(choices=ticket_choices(desk_of(request)), value=None)

    def confirm_clicked(ticket_id, history, request: gr.Request):
        return decide("confirm", ticket_id, history, request)

    def reject_clicked(ticket_id, history, request: gr.Request):
        return decide("reject", ticket_id, history, request)

    def forget(request: gr.Request):
        session_id = session_id_of(request)
        if session_id:
            sessions.drop(session_id)

    # --- API handlers (JSON-safe; charts as plotly JSON) ----------------------------------
    def api_chat(message: str, request: gr.Request) -> Iterator[list[dict]]:
        """Send a message (or a slash command) and stream the reply as JSON messages."""
        session = session_for(request)
        for items in chat.respond(session, message):
            yield [item.to_json() for item in items]

    def api_stop(request: gr.Request) -> bool:
        """Stop the running turn of this client's session."""
        return chat.stop(session_for(request))

    def api_tickets(request: gr.Request) -> list[dict]:
        """This session's order tickets awaiting confirmation."""
        return [ticket.to_dict() for ticket in desk_of(request).pending_tickets()]

    def api_confirm_ticket(ticket_id: str, request: gr.Request) -> list[dict]:
        """Confirm (execute) one of this session's tickets. Access and risk are checked here, in code."""
        return [item.to_json() for item in ticket_decision(request, "confirm", ticket_id)]

    def api_reject_ticket(ticket_id: str, request: gr.Request) -> list[dict]:
        """Reject one of this session's tickets; nothing is sent to the broker."""
        return [item.to_json() for item in ticket_decision(request, "reject", ticket_id)]

    with gr.Blocks(title="Smol Trader", fill_height=True) as demo:
        gr.Markdown("# 📈 Smol Trader\nTalk to a small team of AI agents about the stock market. "
                    "Information, not financial advice.")
        status = gr.Markdown(status_line(chat, services, "…"), elem_id="status-line")
        if os.environ.get("OAUTH_CLIENT_ID"):  # a Space with `hf_oauth: true`
            gr.LoginButton()
        if not chat.model_choice.available:
            gr.Markdown("> " + chat.model_choice.problem.replace("\n", "\n> "), elem_id="model-missing")
        with gr.Row():
            with gr.Column(scale=4):
                chatbot = gr.Chatbot(
                    label="Smol Trader",
                    elem_id="chatbot",
                    height=640,
                    buttons=["copy"],
                    layout="bubble",
                    placeholder="Ask about a stock, or type /help.",
                )
                with gr.Row():
                    textbox = gr.Textbox(placeholder="Ask about the market, or type a /command…", show_label=False,
                                         scale=8, elem_id="message", autofocus=True, max_lines=8)
                    send = gr.Button("Send", variant="primary", scale=1, elem_id="send")
                    stop_button = gr.Button("Stop", variant="stop", scale=1, elem_id="stop")
                gr.Examples(EXAMPLES, inputs=[textbox], label="Try")
            with gr.Column(scale=1, min_width=260):
                gr.Markdown("### Order tickets\nOrders run only when you confirm them here or with `/confirm ID`.")
                tickets = gr.Dropdown(choices=[], label="Awaiting your decision", elem_id="tickets",
                                      interactive=True)
                with gr.Row():
                    confirm_button = gr.Button("Confirm", variant="primary", elem_id="confirm")
                    reject_button = gr.Button("Reject", elem_id="reject")
                if settings.hub_tools:
                    gr.Markdown(active_tools_markdown(remote_tools, remote_report), elem_id="remote-tools")
        pending = gr.State("")

        for trigger in (textbox.submit, send.click):
            (trigger(add_user_message, [textbox, chatbot], [textbox, chatbot, pending], queue=False,
                     api_visibility="private")
             .then(respond, [pending, chatbot], [chatbot], api_visibility="private")
             .then(refresh_tickets, None, [tickets], api_visibility="private"))
        stop_button.click(stop, None, None, queue=False, api_visibility="private")
        confirm_button.click(confirm_clicked, [tickets, chatbot], [chatbot, tickets], api_visibility="private")
        reject_button.click(reject_clicked, [tickets, chatbot], [chatbot, tickets], api_visibility="private")
        demo.load(on_load, None, [status, tickets], api_visibility="private")
        demo.unload(forget)

        gr.api(api_chat, api_name="chat")
        gr.api(api_stop, api_name="stop")
        gr.api(api_tickets, api_name="tickets")
        gr.api(api_confirm_ticket, api_name="confirm_ticket")
        gr.api(api_reject_ticket, api_name="reject_ticket")

    demo.queue(default_concurrency_limit=settings.concurrency_limit)
    demo.smol = {"chat": chat, "sessions": sessions, "services": services}  # for tests and benchmarks
    return demo


def main() -> None:
    import warnings

    # yfinance 1.7 under pandas 3.1 warns about its own inplace calls on every fetch; keep the Space logs readable.
    warnings.filterwarnings("ignore", message=".*inplace.*", module="yfinance")
    settings = load_settings()
    demo = create_app(settings)
    auth = None
    if settings.app_username and settings.app_password:
        auth = [(settings.app_username, settings.app_password.reveal())]
    demo.launch(
        server_name=os.environ.get("GRADIO_SERVER_NAME", "0.0.0.0" if os.environ.get("SPACE_ID") else "127.0.0.1"),
        server_port=int(os.environ.get("GRADIO_SERVER_PORT", "7860")),
        max_threads=max(40, settings.concurrency_limit * 2 + 8),
        auth=auth,
        ssr_mode=False,
        css=CSS,
    )


if __name__ == "__main__":
    main()
