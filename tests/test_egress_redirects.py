"""Egress: every redirect hop is checked, names are resolved once per hop and the connection goes to that address."""

from __future__ import annotations

import json
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from egress import Egress, EgressError
from standins import LocalServer
from tools.web import ReadPageTool, WebError


class RedirectServer(LocalServer):
    """Pages and redirects on 127.0.0.1; records (method, path, Host header, body) of every request."""

    def __init__(self, ssl_context=None):
        self.routes: dict[str, tuple[int, dict, bytes]] = {}
        self.requests: list[tuple[str, str, str, str]] = []
        self.ssl_context = ssl_context  # serve HTTPS with it

    @property
    def port(self) -> int:
        return self._server.server_address[1]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def page(self, path: str, html: str) -> str:
        self.routes[path] = (200, {"Content-Type": "text/html; charset=utf-8"}, html.encode())
        return self.url + path

    def redirect(self, path: str, location: str, status: int = 302) -> str:
        self.routes[path] = (status, {"Location": location}, b"")
        return self.url + path

    def start(self) -> RedirectServer:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def _handle(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length).decode() if length else ""
                server.requests.append((self.command, self.path, self.headers.get("Host", ""), body))
                status, headers, page = server.routes.get(self.path, (404, {}, b"not found"))
                self.send_response(status)
                for key, value in headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(page)))
                self.end_headers()
                self.wfile.write(page)

            do_GET = do_POST = _handle

        http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        if self.ssl_context is not None:
            http.socket = self.ssl_context.wrap_socket(http.socket, server_side=True)
        return self._serve(http, "redirect-server")


class ScriptedResolver:
    """A resolver answering from a table; a list of answers is used one per call (a rebinding name)."""

    def __init__(self, table: dict[str, list]):
        self.table = table
        self.calls: list[str] = []

    def __call__(self, host: str, port: int) -> list[str]:
        self.calls.append(host)
        answer = self.table[host]
        if answer and isinstance(answer[0], list):
            return answer.pop(0) if len(answer) > 1 else answer[0]
        return answer


@pytest.fixture(scope="module")
def servers():
    with RedirectServer() as site, RedirectServer() as internal:
        internal.page("/secret", "<p>internal admin page</p>")
        yield site, internal


@pytest.fixture
def site(servers):
    servers[0].requests.clear()
    return servers[0]


@pytest.fixture
def internal(servers):
    """A second local service that must never be reached when private hosts are refused."""
    servers[1].requests.clear()
    return servers[1]


def strict(site: RedirectServer, resolver=None) -> Egress:
    """Private hosts refused; only the test site's own endpoint stands in for a public server."""
    return Egress(allow_private=False, timeout_s=3, resolver=resolver,
                  allowed_endpoints=[("127.0.0.1", site.port)])


def test_a_page_through_two_redirects_is_read(site):
    final = site.page("/article", "<html><body><h1>Earnings</h1><p>NVDA beat.</p></body></html>")
    site.redirect("/b", final, 301)
    start = site.redirect("/a", "/b")  # a relative Location
    response = Egress(allow_private=True, timeout_s=3).get(start)
    assert response.status == 200 and b"NVDA beat." in response.body
    assert response.hops == (start, site.url + "/b", final)
    text = ReadPageTool(timeout_s=3, allow_private_hosts=True).forward(start)
    assert "NVDA beat." in text and "untrusted_web_content" in text


@pytest.mark.parametrize("target, reason", [
    ("http://127.0.0.1:{internal}/secret", "loopback"),
    ("http://169.254.169.254/latest/meta-data/iam/security-credentials/", "metadata"),
    ("http://[fd00:ec2::254]/latest/meta-data/", "metadata"),
    ("http://metadata.google.internal/computeMetadata/v1/", "metadata"),
    ("http://intranet.test:{internal}/secret", "private"),
    ("http://zero.test:{internal}/secret", "unspecified"),
    ("http://[::ffff:127.0.0.1]:{internal}/secret", "loopback"),
    ("http://100.64.0.1:{internal}/secret", "shared"),
    ("http://100.127.255.254/secret", "shared"),
    ("http://[::ffff:100.64.0.1]/secret", "shared"),
    ("http://cgnat.test:{internal}/secret", "shared"),
    ("http://224.0.0.251:{internal}/secret", "multicast"),
    ("http://239.255.255.250/secret", "multicast"),
    ("http://[ff02::1]/secret", "multicast"),
    ("http://169.254.10.20:{internal}/secret", "link-local"),
    ("http://[fe80::1]/secret", "link-local"),
    ("http://linklocal.test/secret", "link-local"),
    ("http://240.0.0.1:{internal}/secret", "reserved"),
    ("http://255.255.255.255/secret", "reserved"),
])
def test_a_redirect_to_a_private_or_metadata_address_is_refused_at_that_hop(site, internal, target, reason):
    resolver = ScriptedResolver({"intranet.test": ["10.0.0.1"], "zero.test": ["0.0.0.0"],
                                 "cgnat.test": ["100.100.1.2"], "linklocal.test": ["169.254.3.4"]})
    start = site.redirect("/go", target.format(internal=internal.port))
    with pytest.raises(EgressError) as refused:
        strict(site, resolver).get(start)
    assert reason in refused.value.user_message
    assert [r[1] for r in site.requests] == ["/go"]  # the first hop was requested ...
    assert internal.requests == []  # ... the refused one never was


def test_the_page_reader_tells_the_model_why(site, internal):
    start = site.redirect("/go", f"http://127.0.0.1:{internal.port}/secret")
    tool = ReadPageTool(timeout_s=3, egress=strict(site))
    with pytest.raises(WebError) as refused:  # a UserError: smolagents reports its message to the model
        tool.forward(start)
    assert refused.value.user_message.startswith(f"Error reading {start}:")
    assert "loopback address" in refused.value.user_message
    assert internal.requests == []


def test_metadata_is_refused_even_when_private_hosts_are_allowed():
    egress = Egress(allow_private=True, timeout_s=1)
    for url in ("http://169.254.169.254/latest/", "http://metadata.google.internal/"):
        with pytest.raises(EgressError, match="metadata"):
            egress.get(url)


def test_more_than_five_redirects_are_not_followed(site):
    for i in range(7):
        site.redirect(f"/r{i}", f"/r{i + 1}")
    site.page("/r7", "<p>end</p>")
    with pytest.raises(EgressError, match="more than 5 times"):
        Egress(allow_private=True, timeout_s=3).get(site.url + "/r0")
    assert len(site.requests) == 6


def test_the_connection_goes_to_the_address_that_was_checked(site):
    """The name resolves only through the injected resolver: reaching the site proves the connection was pinned."""
    site.page("/quote", "<p>pinned</p>")
    resolver = ScriptedResolver({"shop.test": ["127.0.0.1"]})
    response = strict(site, resolver).get(f"http://shop.test:{site.port}/quote")
    assert b"pinned" in response.body and response.address == "127.0.0.1"
    assert site.requests[0][2] == f"shop.test:{site.port}"  # the Host header keeps the name
    assert resolver.calls == ["shop.test"]  # resolved once


def test_dns_rebinding_between_hops_is_refused(site, internal):
    """The name answers an allowed address first, then the metadata address: the second hop is refused."""
    resolver = ScriptedResolver({"rebind.test": [["127.0.0.1"], ["169.254.169.254"]]})
    site.redirect("/one", f"http://rebind.test:{site.port}/two")
    with pytest.raises(EgressError, match="metadata"):
        strict(site, resolver).get(f"http://rebind.test:{site.port}/one")
    assert resolver.calls == ["rebind.test", "rebind.test"]  # once per hop, never again for the same hop
    assert [r[1] for r in site.requests] == ["/one"]


def test_a_name_with_any_private_address_is_refused(site):
    resolver = ScriptedResolver({"mixed.test": ["127.0.0.1", "10.1.2.3"]})
    with pytest.raises(EgressError, match="private"):
        strict(site, resolver).get(f"http://mixed.test:{site.port}/")
    assert site.requests == []


def test_post_json_follows_the_same_rules(site, internal):
    site.page("/hook", "ok")
    site.redirect("/moved", "/hook", 307)
    response = strict(site).post_json(site.url + "/moved", {"alert": "NVDA crossed 200"})
    assert response.status == 200
    assert [(m, p) for m, p, _, _ in site.requests] == [("POST", "/moved"), ("POST", "/hook")]
    assert json.loads(site.requests[-1][3]) == {"alert": "NVDA crossed 200"}
    site.redirect("/evil", f"http://127.0.0.1:{internal.port}/secret", 307)
    with pytest.raises(EgressError, match="loopback"):
        strict(site).post_json(site.url + "/evil", {"alert": "x"})
    assert internal.requests == []


def _certificates(tmp_path, name: str):
    """A throwaway CA and a server certificate for `name` signed by it: (CA file, cert file, key file)."""
    import datetime

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    def build(subject: str, issuer: str, key, signer, *, ca: bool, san: str | None = None):
        now = datetime.datetime.now(datetime.UTC)
        builder = (x509.CertificateBuilder()
                   .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
                   .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, issuer)]))
                   .public_key(key.public_key()).serial_number(x509.random_serial_number())
                   .not_valid_before(now - datetime.timedelta(hours=1))
                   .not_valid_after(now + datetime.timedelta(days=1))
                   .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
        if san:
            builder = builder.add_extension(x509.SubjectAlternativeName([x509.DNSName(san)]), critical=False)
        return builder.sign(signer, hashes.SHA256())

    ca_key, leaf_key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca = build("test CA", "test CA", ca_key, ca_key, ca=True)
    leaf = build(name, "test CA", leaf_key, ca_key, ca=False, san=name)
    files = tmp_path / "ca.pem", tmp_path / "leaf.pem", tmp_path / "leaf.key"
    files[0].write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    files[1].write_bytes(leaf.public_bytes(serialization.Encoding.PEM))
    files[2].write_bytes(leaf_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                serialization.NoEncryption()))
    return [str(f) for f in files]


def test_https_to_the_pinned_address_still_verifies_the_certificate_for_the_name(tmp_path):
    import ssl

    ca_file, cert_file, key_file = _certificates(tmp_path, "shop.test")
    seen_sni: list[str] = []
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert_file, key_file)
    context.sni_callback = lambda sock, name, ctx: seen_sni.append(name)
    server = RedirectServer(ssl_context=context)
    server.routes["/"] = (200, {"Content-Type": "text/plain"}, b"over tls")
    with server:
        resolver = ScriptedResolver({"shop.test": ["127.0.0.1"], "other.test": ["127.0.0.1"]})
        egress = Egress(allow_private=True, timeout_s=3, resolver=resolver, ca_certs=ca_file)
        response = egress.get(f"https://shop.test:{server.port}/")
        assert response.body == b"over tls" and response.address == "127.0.0.1"
        assert seen_sni == ["shop.test"] and server.requests[0][2] == f"shop.test:{server.port}"
        with pytest.raises(EgressError, match="certificate could not be verified"):
            egress.get(f"https://other.test:{server.port}/")  # same address, but the certificate is for shop.test
        assert len(server.requests) == 1


def test_a_name_rebinding_to_a_private_address_after_the_check_is_not_reached(site):
    """The resolver answers the allowed address once, then a private one: the request still reaches the first."""
    site.page("/news", "<p>checked address</p>")
    resolver = ScriptedResolver({"rebind.test": [["127.0.0.1"], ["10.0.0.1"]]})
    response = strict(site, resolver).get(f"http://rebind.test:{site.port}/news")
    assert b"checked address" in response.body and response.address == "127.0.0.1"
    assert resolver.calls == ["rebind.test"]
