"""A 127.0.0.1 HTTP server that answers slowly on purpose: one byte every `interval_s`, never idle long enough to
trip a per-read timeout (the attack on `requests`-style timeouts, which bound each read, not the request).

`drip="body"` sends the status line and headers at once and then drips the body; `drip="headers"` drips the
status line and headers themselves. Every request is recorded as (method, path); `open_connections` counts the
connections still being served (0 once the client has hung up and the server noticed).
"""

from __future__ import annotations

import socketserver
import threading
import time

from tests.servers import LocalServer


class DripServer(LocalServer):
    def __init__(self, interval_s: float = 0.25, body_bytes: int = 400, drip: str = "body"):
        self.interval_s = interval_s
        self.body_bytes = body_bytes
        self.drip = drip
        self.requests: list[tuple[str, str]] = []
        self.open_connections = 0
        self._lock = threading.Lock()

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> DripServer:
        server = self

        class Handler(socketserver.StreamRequestHandler):
            def handle(self):
                with server._lock:
                    server.open_connections += 1
                try:
                    request_line = self.rfile.readline().decode("latin-1").split()
                    length = 0
                    while True:  # the headers (and the length of a POST body, which is read and dropped)
                        line = self.rfile.readline()
                        if line in (b"\r\n", b"\n", b""):
                            break
                        name, _, value = line.decode("latin-1").partition(":")
                        if name.strip().lower() == "content-length":
                            length = int(value.strip())
                    if length:
                        self.rfile.read(length)
                    server.requests.append((request_line[0], request_line[1]) if len(request_line) > 1 else ("", ""))
                    body = b"<p>" + b"x" * max(0, server.body_bytes - 7) + b"</p>"
                    head = (f"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: {len(body)}\r\n"
                            "Connection: close\r\n\r\n").encode()
                    if server.drip == "headers":
                        self._drip(head + body)
                    else:
                        self.wfile.write(head)
                        self.wfile.flush()
                        self._drip(body)
                except OSError:  # the client hung up
                    pass
                finally:
                    with server._lock:
                        server.open_connections -= 1

            def _drip(self, data: bytes) -> None:
                for i in range(len(data)):
                    self.wfile.write(data[i:i + 1])
                    self.wfile.flush()
                    time.sleep(server.interval_s)

        class Server(socketserver.ThreadingTCPServer):
            allow_reuse_address = True

        return self._serve(Server(("127.0.0.1", 0), Handler), "drip-server")
