"""Screenshots of the real app for the docs (docs/img/*.png), made with the offline stand-ins.

    python scripts/screenshot.py [--out docs/img]

The app runs on 127.0.0.1 with the test servers standing in for Yahoo and the web (recorded responses) and a
scripted model standing in for the LLM, so the pictures can be redone at any time, without network or keys. Debian's
Chromium (`/usr/bin/chromium`) is driven by Playwright at 1366x768 and 400x800, light and dark.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

SIZES = {"desktop": (1366, 768), "phone": (400, 800)}


def scripted_team():
    """A turn with nested steps that ends in a ticket for a resting limit order (the trader proposes it)."""
    from tests.scripted_model import ScriptedModel, call, code, final

    return {
        "manager": ScriptedModel([code('print(web_agent(task="AAPL news"))', "Ask the web agent."),
                                  code('print(trader(task="Propose buying 1 AAPL with a limit of 100"))',
                                       "Ask the trader."),
                                  final("AAPL is near its high; I proposed a limit buy below the market.")]),
        "web_agent": ScriptedModel([call("web_search", query="AAPL news"),
                                    call("final_answer", answer="Headlines about AAPL.")]),
        "trader": ScriptedModel([
            code('print(propose_order(symbol="AAPL", side="buy", qty=1, order_type="limit", limit_price=100))',
                 "Propose it."),
            final("Ticket proposed."),
        ]),
    }


def open_page(browser, url: str, size: str, scheme: str):
    width, height = SIZES[size]
    context = browser.new_context(viewport={"width": width, "height": height}, color_scheme=scheme)
    page = context.new_page()
    page.set_default_timeout(30_000)
    page.goto(url + ("?__theme=dark" if scheme == "dark" else "?__theme=light"))
    page.wait_for_selector("#message textarea")
    page.wait_for_timeout(500)
    return page


def shoot(out: Path) -> list[Path]:
    from playwright.sync_api import sync_playwright

    from tests.browser import CHROMIUM, CHROMIUM_ARGS, send_message
    from tests.live_app import running_app

    out.mkdir(parents=True, exist_ok=True)
    made: list[Path] = []
    with tempfile.TemporaryDirectory(prefix="smol-shots-") as tmp, \
            running_app(Path(tmp), scripted_team) as (url, _stack, _ui), sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            for size in SIZES:
                for scheme in ("light", "dark"):
                    page = open_page(browser, url, size, scheme)
                    made.append(out / f"first-page-{size}-{scheme}.png")
                    page.screenshot(path=str(made[-1]))
                    send_message(page, "/help")
                    page.locator("#chatbot").get_by_text("Workspace", exact=True).first.wait_for()
                    page.wait_for_timeout(400)
                    made.append(out / f"help-{size}-{scheme}.png")
                    page.screenshot(path=str(made[-1]))
                    send_message(page, "/chart AAPL 6mo")
                    page.locator("#chatbot .js-plotly-plot").first.wait_for()
                    page.wait_for_timeout(800)
                    made.append(out / f"chart-{size}-{scheme}.png")
                    page.screenshot(path=str(made[-1]))
                    send_message(page, "/forecast AAPL 10")  # the fan with room, in the app's chart template
                    page.locator("#chatbot .js-plotly-plot").nth(1).wait_for()
                    page.wait_for_timeout(800)
                    made.append(out / f"forecast-{size}-{scheme}.png")
                    page.screenshot(path=str(made[-1]))
                    send_message(page, "/buy 1 AAPL limit 100")
                    page.locator("#chatbot h2", has_text="Order ticket").last.wait_for()
                    page.wait_for_timeout(500)
                    made.append(out / f"ticket-{size}-{scheme}.png")
                    page.screenshot(path=str(made[-1]))
                    page.locator("#chatbot button.option").filter(has_text="Confirm").last.click()
                    page.locator("#chatbot").get_by_text("working until filled").first.wait_for()
                    page.wait_for_timeout(500)
                    made.append(out / f"ticket-decided-{size}-{scheme}.png")
                    page.screenshot(path=str(made[-1]))
                    if size == "desktop" and scheme == "light":
                        send_message(page, "What about AAPL?")
                        page.get_by_text("I proposed a limit buy below the market").last.wait_for()
                        page.wait_for_timeout(500)
                        made.append(out / "turn-desktop-light.png")
                        page.screenshot(path=str(made[-1]))
                        made.append(out / "app.png")  # README's picture: a turn with its steps and a ticket
                        page.screenshot(path=str(made[-1]))
                    page.context.close()
        finally:
            browser.close()
    return made


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(ROOT / "docs" / "img"), help="folder for the PNG files")
    args = parser.parse_args(argv)
    for path in shoot(Path(args.out)):
        print(path)


if __name__ == "__main__":
    main()
