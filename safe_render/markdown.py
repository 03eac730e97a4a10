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

from safe_render.html import allowed_image_src, safe_html

SUSPICIOUS = re.compile(r"<[A-Za-z!?/]|!\[")
TAG_START = re.compile(r"<[A-Za-z!?/]")
PLAIN_INLINE_TAG = re.compile(
    r'</?(?:abbr|sup|sub|b|i|em|strong|kbd|code|s|del|u|mark|small|span)(?:\s+title="[^"<>]*")?\s*>|<br\s*/?>',
    re.IGNORECASE)
CACHED_CHARS = 200_000  # longer texts are sanitised every time (and are rare: answers are capped)


def safe_markdown(text: str) -> str:
    """`text` (markdown with inline HTML) such that rendering it fetches nothing and submits nothing."""
    if not text or SUSPICIOUS.search(text) is None:
        return text
    return _cached(text) if len(text) <= CACHED_CHARS else _sanitised(text)


@lru_cache(maxsize=2048)
def _cached(text: str) -> str:
    return _sanitised(text)


@cache
def _parser():
    from markdown_it import MarkdownIt

    md = MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])
    default_image = md.renderer.rules["image"]

    def image(tokens, index, options, env):
        token = tokens[index]
        src = token.attrGet("src") or ""
        if allowed_image_src(src):
            return default_image(tokens, index, options, env)
        from html import escape

        alt = md.renderer.renderInlineAsText(token.children or [], options, env)
        text = f"{alt} ({src})" if alt else src
        return f'<a href="{escape(src, quote=True)}">🖼️ {escape(text)}</a>'

    md.renderer.rules["image"] = image
    return md


def _walk(tokens):
    for token in tokens:
        yield token
        if token.children:
            yield from _walk(token.children)


def _keeps_verbatim(raw: str, tokens) -> bool:
    """True when the block's source can go to the browser as is (see the module doc)."""
    if "![" in raw:
        return False
    plain_marks = 0
    for token in _walk(tokens):
        if token.type in ("html_block", "image"):
            return False
        if token.type == "html_inline":
            if not PLAIN_INLINE_TAG.fullmatch(token.content.strip()):
                return False
            plain_marks += 1
    # every tag-like `<` of the source is one of those marks (none hides where markdown-it saw code but a browser
    # markdown renderer might not)
    return len(TAG_START.findall(raw)) == plain_marks


def _as_html_block(rendered: str) -> str:
    """Rendered HTML as one CommonMark HTML block: wrapped in a div, with no blank (or blank-looking) line."""
    rendered = rendered.replace("![", "!&#91;")  # the same text for the browser, no image syntax for marked
    lines = rendered.strip("\n").split("\n")
    lines = [line + "<!---->" if not line.strip() else line for line in lines]
    return "<div>" + "\n".join(lines) + "</div>"


def _sanitised(text: str) -> str:
    md = _parser()
    source = text.replace("\r\n", "\n").replace("\r", "\n")
    lines = source.split("\n")
    env: dict = {}
    tokens = md.parse(source, env)
    out: list[str] = []
    cursor = 0
    index = 0
    while index < len(tokens):
        token = tokens[index]
        end = index + 1
        if token.nesting == 1:  # a container: up to its closing token at the same level
            depth = 1
            while end < len(tokens) and depth:
                depth += tokens[end].nesting
                end += 1
        block = tokens[index:end]
        index = end
        if token.map is None:
            continue
        start, stop = token.map
        for line in lines[cursor:start]:  # between blocks: blank lines and reference definitions
            out.append("" if SUSPICIOUS.search(line) else line)
        raw = "\n".join(lines[start:stop])
        if SUSPICIOUS.search(raw) is None or _keeps_verbatim(raw, block):
            out.append(raw)
        else:
            rendered = safe_html(md.renderer.render(block, md.options, env)).strip()
            if rendered:
                if out and out[-1].strip():
                    out.append("")
                out += [_as_html_block(rendered), ""]
        cursor = max(cursor, stop)
    for line in lines[cursor:]:
        out.append("" if SUSPICIOUS.search(line) else line)
    return "\n".join(out)
