"""HTML to readable text in one streaming pass: linear in the page's size, bounded in CPU time, depth and output.

The page reader's old path (a BeautifulSoup tree, then markdownify walking it recursively) cost time quadratic in
the nesting depth: a 20,000-deep page of 220 kB held a turn for minutes. Here the standard library's tokenizer
(`html.parser`) calls back per tag and per run of text; each callback does constant work (an end tag looks for
its start among the innermost `SEARCH_DEPTH` open elements only), so the cost is linear in the bytes, however
deep the nesting (the stack of open elements is a list, never recursion). On top:

- the page is fed in chunks and the thread's CPU time is checked after each one: past `cpu_s` the page is
  refused with `HtmlTooCostly` (a `UserError` saying so), never half-read silently;
- reading stops once `max_chars` of text are collected (the tool shows a capped excerpt anyway).

Scripts, styles, templates, SVG, iframes, the head and hidden elements (`hidden`, `aria-hidden="true"`,
`display:none`, `visibility:hidden`, `font-size:0`) are dropped: hidden text is a common prompt-injection vector.
"""

from __future__ import annotations

import re
import time
from html.parser import HTMLParser

from core.errors import UserError

CHUNK_CHARS = 16_384
SEARCH_DEPTH = 64  # an end tag closes an open element among the innermost 64, else it is ignored
DEFAULT_CPU_S = 2.0
DEFAULT_MAX_CHARS = 200_000

DROPPED = frozenset({"script", "style", "noscript", "template", "svg", "iframe", "head", "object", "canvas"})
VOID = frozenset({"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source",
                  "track", "wbr"})
BLOCKS = frozenset({"p", "div", "section", "article", "header", "footer", "main", "nav", "aside", "blockquote",
                    "pre", "table", "tr", "ul", "ol", "dl", "dt", "dd", "figure", "figcaption", "form", "hr",
                    "address", "details", "summary", "caption", "tbody", "thead", "tfoot", "body", "html"})
HEADINGS = {f"h{n}": n for n in range(1, 7)}
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden|font-size\s*:\s*0(?![.\d])", re.IGNORECASE)
_SPACES = re.compile(r"\s+")


class HtmlTooCostly(UserError):
    """The page would take more CPU time than allowed to turn into text; nothing of it was used."""


class _Enough(Exception):
    """Enough text was collected: stop reading the page."""


class _OverBudget(Exception):
    """The CPU budget ran out inside the tokenizer (e.g. in `close()`, which rescans an unfinished construct)."""


TICK_EVERY = 16  # callbacks between CPU-time checks inside the tokenizer


class _TextParser(HTMLParser):
    def __init__(self, max_chars: int, cpu_deadline: float = float("inf")):
        super().__init__(convert_charrefs=True)
        self.max_chars = max_chars
        # thread CPU time past which the tokenizer stops: html.parser's close() treats an unfinished construct
        # (`<a b='`, `</`, `<!--` repeated) as text one character run at a time and rescans the rest of the page
        # for each run (quadratic: 200 kB of `<a b='` took 120 s), with nothing between feeds to check the clock.
        self.cpu_deadline = cpu_deadline
        self.ticks = 0
        self.parts: list[str] = []
        self.chars = 0
        self.stack: list[str] = []  # open elements, the innermost last
        self.hidden_at: int | None = None  # stack height of the hidden element text is dropped under
        self.pre = 0
        self.links: list[str | None] = []
        self.at_break = True  # the text so far ends with a paragraph break (or is empty): breaks do not pile up

    def tick(self) -> None:
        """Called from every tokenizer callback: each is preceded by at most one scan of the unread page."""
        self.ticks += 1
        if self.ticks % TICK_EVERY == 0 and time.thread_time() > self.cpu_deadline:
            raise _OverBudget()

    def handle_comment(self, data: str) -> None:
        self.tick()

    def handle_decl(self, decl: str) -> None:
        self.tick()

    def handle_pi(self, data: str) -> None:
        self.tick()

    def unknown_decl(self, data: str) -> None:
        self.tick()

    # -- output -------------------------------------------------------------------------------
    def emit(self, text: str) -> None:
        if self.at_break and text.isspace():
            return
        self.at_break = False
        if self.chars + len(text) >= self.max_chars:  # one run of text (close() hands the rest as one) is cut too
            self.parts.append(text[:self.max_chars - self.chars])
            self.chars = self.max_chars
            raise _Enough()
        self.parts.append(text)
        self.chars += len(text)

    def block(self) -> None:
        if self.hidden_at is None and not self.at_break:
            self.emit("\n\n")
            self.at_break = True

    # -- tags -----------------------------------------------------------------------------------
    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tick()
        if tag == "body" and self.hidden_at is not None and "head" in self.stack[self.hidden_at - 1:]:
            del self.stack[self.hidden_at - 1:]  # an unclosed <head> ends where <body> starts
            self.hidden_at = None
        if tag in VOID:
            if self.hidden_at is None:
                if tag == "br":
                    self.emit("\n")
                elif tag == "hr":
                    self.block()
            return
        self.stack.append(tag)
        if self.hidden_at is not None:
            return
        if tag in DROPPED or self._is_hidden(attrs):
            self.hidden_at = len(self.stack)
            return
        if tag in HEADINGS:
            self.emit("\n\n" + "#" * HEADINGS[tag] + " ")
        elif tag == "li":
            self.emit("\n- ")
        elif tag in ("td", "th"):
            self.emit(" | ")
        elif tag in BLOCKS:
            self.block()
        if tag == "pre":
            self.pre += 1
        if tag == "a":
            href = dict(attrs).get("href") or ""
            link = href if href.startswith(("http://", "https://")) else None
            self.links.append(link)
            if link:
                self.emit("[")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tick()
        if tag in VOID:
            self.handle_starttag(tag, attrs)
        # <div/> and the like open and close nothing

    def handle_endtag(self, tag: str) -> None:
        self.tick()
        if tag in VOID:
            return
        stack = self.stack
        low = max(0, len(stack) - SEARCH_DEPTH)
        for index in range(len(stack) - 1, low - 1, -1):
            if stack[index] == tag:
                break
        else:
            return  # a stray end tag: nothing to close
        for closed in reversed(stack[index:]):  # implied ends of elements left open inside it
            self._close(closed, len(stack))
            stack.pop()

    def _close(self, tag: str, height: int) -> None:
        if self.hidden_at is not None:
            if height == self.hidden_at:
                self.hidden_at = None
            return
        if tag in HEADINGS or tag in BLOCKS:
            self.block()
        elif tag == "tr":
            self.emit("\n")
        if tag == "pre":
            self.pre = max(0, self.pre - 1)
        if tag == "a" and self.links:
            link = self.links.pop()
            if link:
                self.emit(f"]({link})")

    def handle_data(self, data: str) -> None:
        self.tick()
        if self.hidden_at is not None or not data:
            return
        self.emit(data if self.pre else _SPACES.sub(" ", data))

    @staticmethod
    def _is_hidden(attrs: list[tuple[str, str | None]]) -> bool:
        for name, value in attrs:
            if name == "hidden" or (name == "aria-hidden" and (value or "").lower() == "true"):
                return True
            if name == "style" and value and _HIDDEN_STYLE.search(value):
                return True
        return False

    def text(self) -> str:
        text = "".join(self.parts)
        text = re.sub(r"[ \t]+\n", "\n", text)
        text = re.sub(r"\n[ \t]+", "\n", text)
        return re.sub(r"\n{3,}", "\n\n", text).strip()


def html_to_text(html: str, *, cpu_s: float = DEFAULT_CPU_S, max_chars: int = DEFAULT_MAX_CHARS) -> str:
    """Readable markdown-ish text of `html` (headings, lists, links, paragraphs), without hidden content.

    Linear in len(html); raises `HtmlTooCostly` when it would take more than `cpu_s` seconds of this thread's CPU.
    """
    started = time.thread_time()
    parser = _TextParser(max_chars=max_chars, cpu_deadline=started + cpu_s)
    offset = 0
    try:
        for offset in range(0, len(html), CHUNK_CHARS):
            parser.feed(html[offset:offset + CHUNK_CHARS])
            if time.thread_time() - started > cpu_s:
                raise _OverBudget()
        offset = len(html)
        parser.close()
    except _Enough:
        pass
    except _OverBudget:
        done = min(len(html), offset + CHUNK_CHARS)
        raise HtmlTooCostly(
            f"the page ({len(html) / 1000:,.0f} kB) took more than {cpu_s:g} s of CPU to turn into text "
            f"(stopped at {done * 100 // max(1, len(html))}%), so it was not read.") from None
    return parser.text()
