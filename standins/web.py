"""A 127.0.0.1 web server: DuckDuckGo's HTML search endpoint (real recorded result pages) and plain pages.

- `POST /html/` (what ddgs' DuckDuckGo engine sends, form field `q`) answers a recorded
  `html.duckduckgo.com` results page: the one registered for that query, else the default.
- Any other path answers the page registered with `add_page(path, html)`, else 404.
- `fail_next(status)` / `delay` simulate an unhealthy service.
Every request is recorded in `requests` as (method, path, form/body text).
"""

from __future__ import annotations

import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs

from standins import LocalServer

FIXTURES = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "duckduckgo"
DEFAULT_RESULTS = FIXTURES / "ddg_html_2026-02-27_graph_database.html"


class WebServer(LocalServer):
    def __init__(self):
        self.pages: dict[str, tuple[int, str, bytes]] = {}
        self.results_by_query: dict[str, bytes] = {}
        self.default_results = DEFAULT_RESULTS.read_bytes()
        self.requests: list[tuple[str, str, str]] = []
        self.delay_s = 0.0
        self._fail: list[int] = []

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def search_url(self) -> str:
        return self.url + "/html/"

    def add_page(self, path: str, html: str, status: int = 200, content_type: str = "text/html; charset=utf-8") -> str:
        self.pages[path] = (status, content_type, html.encode("utf-8"))
        return self.url + path

    def add_results(self, query: str, fixture_name: str) -> None:
        self.results_by_query[query] = (FIXTURES / fixture_name).read_bytes()

    def fail_next(self, status: int, times: int = 1) -> None:
        self._fail.extend([status] * times)

    def _handler(self):
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def _send(self, status: int, content_type: str, body: bytes):
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def _handle(self, method: str):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length).decode("utf-8", "replace") if length else ""
                server.requests.append((method, self.path, body))
                if server.delay_s:
                    time.sleep(server.delay_s)
                if server._fail:
                    status = server._fail.pop(0)
                    return self._send(status, "text/plain", f"error {status}".encode())
                path = self.path.split("?", 1)[0]
                if path == "/html/":
                    query = parse_qs(body).get("q", [""])[0] or parse_qs(self.path.partition("?")[2]).get("q", [""])[0]
                    page = server.results_by_query.get(query, server.default_results)
                    return self._send(200, "text/html; charset=utf-8", page)
                if path in server.pages:
                    status, content_type, page = server.pages[path]
                    return self._send(status, content_type, page)
                return self._send(404, "text/html", b"<html><body>Not found</body></html>")

            def do_GET(self):
                self._handle("GET")

            def do_POST(self):
                self._handle("POST")

        return Handler

    def start(self) -> WebServer:
        return self._serve(ThreadingHTTPServer(("127.0.0.1", 0), self._handler()), "web-server")
