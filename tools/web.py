"""The web agent's tools: DuckDuckGo search through ddgs, and a page reader.

Both outputs are capped and wrapped as untrusted web content; problems raise `WebError` (a `UserError`),
which smolagents reports to the model. The page reader fetches through
`egress` (every redirect hop checked, connections pinned to the checked address, one total deadline per
request); a URL or a search query carrying a secret in any spelling is refused. Pages become text in one
streaming pass with a CPU budget (`tools.html_text`).
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

from smolagents import Tool

from core.errors import UserError
from core.text import cap
from egress import Egress, EgressError
from tools.html_text import DEFAULT_CPU_S, HtmlTooCostly, html_to_text
from tools.untrusted import label_untrusted

MAX_PAGE_BYTES = 3_000_000


class WebError(UserError):
    """The web could not be searched or read; the message says why."""


def unwrap_ddg_link(href: str) -> str:
    """DuckDuckGo's HTML results link through `//duckduckgo.com/l/?uddg=<target>`; return the target."""
    parsed = urlparse(href if "://" in href else "https:" + href if href.startswith("//") else href)
    if parsed.path == "/l/" and "uddg" in parse_qs(parsed.query):
        return parse_qs(parsed.query)["uddg"][0]
    return href


class WebSearchTool(Tool):
    name = "web_search"
    description = (
        "Searches the web with DuckDuckGo and returns the top results (title, URL, snippet) as untrusted web content."
    )
    inputs = {
        "query": {"type": "string", "description": "What to search for, e.g. 'NVDA earnings November 2026'."},
        "max_results": {"type": "integer", "description": "How many results, 1 to 10 (default 5).", "nullable": True},
    }
    output_type = "string"

    def __init__(self, search_url: str, timeout_s: float = 10.0, max_chars: int = 6000, egress: Egress | None = None):
        super().__init__()
        self.search_url = search_url
        self.timeout_s = timeout_s
        self.max_chars = max_chars
        self.egress = egress or Egress(timeout_s=timeout_s)  # only its secret check: the endpoint is configured

    def _engine(self):
        from ddgs.engines.duckduckgo import Duckduckgo

        engine = Duckduckgo(timeout=int(max(1, self.timeout_s)))
        engine.search_url = self.search_url  # instance attribute: DuckDuckGo's HTML endpoint, or a mirror
        return engine

    def forward(self, query: str, max_results: int | None = None) -> str:
        from ddgs.exceptions import DDGSException

        query = (query or "").strip()
        if not query:
            raise WebError("The search query is empty.")
        limit = min(max(int(max_results or 5), 1), 10)
        try:
            self.egress.check_text(query, "search query")
        except EgressError as exc:
            raise WebError(exc.user_message) from None
        try:
            results = self._engine().search(query[:500])
        except DDGSException as exc:
            raise WebError(f"Web search is unavailable right now ({type(exc).__name__}). Try again later.") from None
        if not results:
            return f"No web results for {query!r} (or the search service refused the request)."
        lines = []
        for i, result in enumerate(results[:limit], 1):
            lines.append(f"{i}. {result.title}\n   URL: {unwrap_ddg_link(result.href)}\n   {result.body}")
        return label_untrusted(cap("\n".join(lines), self.max_chars), source=f"DuckDuckGo search: {query}")


class ReadPageTool(Tool):
    name = "read_page"
    description = "Fetches a web page (http/https URL) and returns its readable text as untrusted web content."
    inputs = {"url": {"type": "string", "description": "The full http(s) URL of the page."}}
    output_type = "string"

    def __init__(self, timeout_s: float = 10.0, max_chars: int = 6000, allow_private_hosts: bool = False,
                 egress: Egress | None = None, total_timeout_s: float = 20.0, html_cpu_s: float = DEFAULT_CPU_S):
        super().__init__()
        self.timeout_s = timeout_s
        self.max_chars = max_chars
        self.html_cpu_s = html_cpu_s  # CPU seconds one page may cost to turn into text (HTML_TEXT_CPU_S)
        self.egress = egress or Egress(allow_private=allow_private_hosts, timeout_s=timeout_s,
                                       total_timeout_s=total_timeout_s)

    def fetch(self, url: str) -> tuple[str, str]:
        """(readable text, content type) of the page at `url`; every redirect hop is checked (see `egress`)."""
        try:
            response = self.egress.get(url, max_bytes=MAX_PAGE_BYTES)
        except EgressError as exc:
            raise WebError(exc.user_message) from None
        if response.status >= 400:
            raise WebError(f"the site answered HTTP {response.status}.")
        content_type = response.content_type
        text = response.text()
        if "html" in content_type or text.lstrip()[:1] == "<":
            try:
                text = html_to_text(text, cpu_s=self.html_cpu_s, max_chars=max(20 * self.max_chars, 50_000))
            except HtmlTooCostly as exc:
                raise WebError(exc.user_message) from None
        elif not content_type.startswith("text/") and "json" not in content_type:
            raise WebError(f"the page is {content_type or 'not text'}, which I cannot read.")
        return text, content_type

    def forward(self, url: str) -> str:
        try:
            text, _ = self.fetch((url or "").strip())
        except WebError as exc:
            raise WebError(f"Error reading {url}: {exc.user_message}") from None
        if not text:
            return f"The page {url} has no readable text."
        return label_untrusted(cap(text, self.max_chars), source=url)
