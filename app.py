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
from agents.services import Services, build_services  # noqa: E402
from agents.session import SessionStore  # noqa: E402
from agents.settings import Settings, load_settings  # noqa: E402

EXAMPLES = [
    "How did NVDA do this month, and what does the news say?",
    "Compare AAPL, MSFT and GOOG over the last year, with a chart.",
    "Show me a candlestick chart of TSLA with RSI and MACD.",
    "What's the ticker for Nvidia?",
    "/help",
]

CSS = """
#status-line {font-size: 0.85em; opacity: 0.85}
"""


def user_of(request: gr.Request | None) -> str | None:
    """The logged-in person's name (HF OAuth or username/password login), or None for a visitor."""
    if request is None:
        return None
    return getattr(request, "username", None) or None


def session_id_of(request: gr.Request | None) -> str | None:
    return getattr(request, "session_hash", None) if request is not None else None


def trading_mode(settings: Settings) -> str:
    broker = "Alpaca" if settings.alpaca_configured else "built-in paper broker"
    return f"{'LIVE' if settings.live_trading else 'Paper'} · {broker}"


def status_line(chat: ChatService, services: Services) -> str:
    tracing = services.tracing
    tracing_label = "on" if tracing is not None and getattr(tracing, "enabled", False) else "off"
    return (f"**Model:** {chat.model_choice.label()} · **Trading:** {trading_mode(services.settings)} · "
            f"**Tracing:** {tracing_label}")


def create_app(settings: Settings | None = None, services: Services | None = None, model_factory=None) -> gr.Blocks:
    settings = settings or load_settings()
    services = services or build_services(settings)
    chat = ChatService(services, model_factory=model_factory)
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

    with gr.Blocks(title="Smol Trader", fill_height=True) as demo:
        gr.Markdown("# 📈 Smol Trader\nTalk to a small team of AI agents about the stock market. "
                    "Information, not financial advice.")
        gr.Markdown(status_line(chat, services), elem_id="status-line")
        if not chat.model_choice.available:
            gr.Markdown("> " + chat.model_choice.problem.replace("\n", "\n> "), elem_id="model-missing")
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
        pending = gr.State("")

        for trigger in (textbox.submit, send.click):
            trigger(add_user_message, [textbox, chatbot], [textbox, chatbot, pending], queue=False,
                    api_visibility="private").then(respond, [pending, chatbot], [chatbot], api_visibility="private")
        stop_button.click(stop, None, None, queue=False, api_visibility="private")
        demo.unload(forget)

        gr.api(api_chat, api_name="chat")
        gr.api(api_stop, api_name="stop")

    demo.queue(default_concurrency_limit=settings.concurrency_limit)
    demo.smol = {"chat": chat, "sessions": sessions, "services": services}  # for tests and benchmarks
    return demo


def main() -> None:
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
