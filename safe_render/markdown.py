"""Markdown the chat shows, made safe to render: no external image, no live HTML beyond plain inline marks.

Gradio renders a chat message's markdown in the browser (marked, raw HTML allowed). Here the same text is parsed
with markdown-it-py (CommonMark, with GFM tables and strikethrough), one top-level block at a time:

- a block is kept byte for byte when its source has no `![` and every tag-like `<` in it is one of the plain
  inline marks markdown-it found (`<abbr title="…">`, `<sup>`, `<b>`, … with at most a title): normal answers,
  code blocks, tables and the provenance marks keep Gradio's own rendering (highlighting, copy buttons);
- any other block is rendered to HTML by markdown-it (markdown images become links unless they are this app's
  own files or `data:image/`), sanitised by `safe_render.html.safe_html` (nh3) and handed over as one HTML
  block (`<div>…</div>` with no blank line inside, so marked takes it whole);
- lines outside every block (reference definitions) that look like HTML or images are dropped.

Text without `<` followed by a letter, `!`, `?` or `/`, and without `![`, is returned as is (the common case).
Results are cached by text, so a snapshot re-sent while a turn streams costs a dictionary look-up.
"""

from __future__ import annotations

import re
from functools import cache, lru_cache
from html import escape

from safe_render.html import allowed_image_src, safe_html

SUSPICIOUS = re.compile(r"<[A-Za-z!?/]|!\[")
TAG_START = re.compile(r"<[A-Za-z!?/]")
PLAIN_INLINE_TAG = re.compile(
    r'</?(?:abbr|sup|sub|b|i|em|strong|kbd|code|s|del|u|mark|small|span)(?:\s+title="[^"<>]*")?\s*>|<br\s*/?>',
    re.IGNORECASE)
CACHED_CHARS = 200_000  # longer texts are sanitised every time (and are rare: answers are capped)


def safe_markdown(text: str) -> str:
    """`text` (markdown with inline HTML) such that rendering it fetches nothing and submits nothing."""
    if not text or _harmless(text):
        return text
    return _cached(text) if len(text) <= CACHED_CHARS else _sanitised(text)


def _harmless(text: str) -> bool:
    """No `![`, and every tag-like `<` starts a plain inline mark: then whatever a markdown renderer makes of the
    text (code or not, an HTML block or not), the only elements it can show are those marks."""
    if "![" in text:
        return False
    return all(PLAIN_INLINE_TAG.match(text, match.start()) for match in TAG_START.finditer(text))


@lru_cache(maxsize=2048)
def _cached(text: str) -> str:
    return _sanitised(text)


@cache
def _parsers():
    """(blocks only, full) markdown-it parsers: the first finds top-level blocks and reference definitions."""
    from markdown_it import MarkdownIt

    md = MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])
    default_image = md.renderer.rules["image"]

    def image(tokens, index, options, env):
        token = tokens[index]
        src = token.attrGet("src") or ""
        if allowed_image_src(src):
            return default_image(tokens, index, options, env)
        alt = md.renderer.renderInlineAsText(token.children or [], options, env)
        text = f"{alt} ({src})" if alt else src
        return f'<a href="{escape(src, quote=True)}">🖼️ {escape(text)}</a>'

    md.renderer.rules["image"] = image
    blocks = MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])
    blocks.core.ruler.disable("inline")
    return blocks, md


@lru_cache(maxsize=4096)
def _block_html(raw: str) -> str:
    return _render_block(raw, {})


def _render_block(raw: str, env: dict) -> str:
    """One top-level block, rendered by markdown-it, sanitised, as one HTML block ('' when nothing is left)."""
    rendered = safe_html(_parsers()[1].render(raw, env)).strip()
    return _as_html_block(rendered) if rendered else ""


def _as_html_block(rendered: str) -> str:
    """Rendered HTML as one CommonMark HTML block: wrapped in a div, with no blank (or blank-looking) line."""
    rendered = rendered.replace("![", "!&#91;")  # the same text for the browser, no image syntax for marked
    lines = rendered.strip("\n").split("\n")
    lines = [line + "<!---->" if not line.strip() else line for line in lines]
    return "<div>" + "\n".join(lines) + "</div>"


def _sanitised(text: str) -> str:
    blocks_parser, _ = _parsers()
    source = text.replace("\r\n", "\n").replace("\r", "\n")
    lines = source.split("\n")
    env: dict = {}
    tokens = blocks_parser.parse(source, env)
    references = env.get("references")
    out: list[str] = []
    cursor = 0
    for token in tokens:
        if token.level != 0 or token.nesting == -1 or token.map is None:
            continue
        start, stop = token.map
        if start < cursor:
            continue
        for line in lines[cursor:start]:  # between blocks: blank lines and reference definitions
            out.append(line if _harmless(line) else "")
        raw = "\n".join(lines[start:stop])
        if _harmless(raw):
            out.append(raw)
        else:
            if token.type in ("fence", "code_block"):  # code: its text, escaped (cheap while code streams)
                language = escape(token.info.strip().split(" ")[0]) if token.info.strip() else ""
                attribute = f' class="language-{language}"' if language else ""
                block = _as_html_block(f"<pre><code{attribute}>{escape(token.content)}</code></pre>")
            elif references:
                block = _render_block(raw, {"references": references})
            else:
                block = _block_html(raw)
            if block:
                if out and out[-1].strip():
                    out.append("")
                out += [block, ""]
        cursor = stop
    for line in lines[cursor:]:
        out.append(line if _harmless(line) else "")
    return "\n".join(out)
