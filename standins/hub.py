"""A 127.0.0.1 stand-in for the Hugging Face Hub HTTP API, for offline tests.

It speaks the subset of the Hub's wire protocol that `huggingface_hub` 1.33
uses for what this project does: create a repo, pre-upload + NDJSON commit
(`create_commit`, `upload_file`, `upload_folder`), list a repo tree, repo info,
resolve/download files (`hf_hub_download`: HEAD with `X-Repo-Commit` and
`ETag`, then GET), card validation (`/api/validate-yaml`), `whoami`, and
collections (create, add item, get). The real client library talks to it over
HTTP; every request is recorded so tests can check exactly what was sent.

Modes make the failure cases reproducible:
- "ok": a normal Hub;
- "401": every authenticated call is refused like a bad token;
- "409": every repo creation answers "already exists", like the real Hub
  does for a repo you already own;
- `HubServer.down()`: an address where nothing listens (network down).

Behaviour copied from the real Hub: creating a Space makes an initial commit
with a `.gitattributes` and a README whose front matter names the SDK;
small text files are stored "regular" (no LFS); file ids are git blob SHA-1s.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import secrets
import socket
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from standins import LocalServer

REPO_PREFIXES = {"models": "model", "datasets": "dataset", "spaces": "space"}

SPACE_GITATTRIBUTES = b"*.bin filter=lfs diff=lfs merge=lfs -text\n*.pt filter=lfs diff=lfs merge=lfs -text\n"


def git_blob_sha1(data: bytes) -> str:
    """The id git (and the Hub) gives a file's content."""
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def default_space_readme(name: str, sdk: str) -> bytes:
    """What the Hub writes into a new Space's README.md."""
    return (
        f"---\ntitle: {name}\nemoji: 🐢\ncolorFrom: blue\ncolorTo: green\nsdk: {sdk}\n"
        f"sdk_version: 6.31.0\napp_file: app.py\npinned: false\n---\n\n"
        "Check out the configuration reference at https://huggingface.co/docs/hub/spaces-config-reference\n"
    ).encode()


@dataclass
class Commit:
    oid: str
    summary: str
    added: dict[str, bytes]
    deleted: list[str]


@dataclass
class Repo:
    repo_type: str
    repo_id: str
    private: bool = False
    sdk: str | None = None
    files: dict[str, bytes] = field(default_factory=dict)
    commits: list[Commit] = field(default_factory=list)

    @property
    def sha(self) -> str:
        return self.commits[-1].oid if self.commits else "0" * 40

    def commit(self, summary: str, added: dict[str, bytes], deleted: list[str]) -> Commit:
        for path in deleted:
            self.files.pop(path, None)
        self.files.update(added)
        oid = hashlib.sha1(f"{self.sha}{summary}{sorted(added)}{deleted}{time.time_ns()}".encode()).hexdigest()
        commit = Commit(oid=oid, summary=summary, added=dict(added), deleted=list(deleted))
        self.commits.append(commit)
        return commit


@dataclass
class Collection:
    slug: str
    title: str
    namespace: str
    private: bool
    description: str | None
    items: list[dict] = field(default_factory=list)


@dataclass
class Received:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


class HubState:
    """Everything the stand-in holds; tests read it after a run."""

    def __init__(self, mode: str = "ok", user: str = "tester"):
        self.mode = mode
        self.user = user
        self.repos: dict[tuple[str, str], Repo] = {}
        self.collections: dict[str, Collection] = {}
        self.received: list[Received] = []
        self.validated_cards: list[str] = []
        self.lock = threading.Lock()

    def repo(self, repo_type: str, repo_id: str) -> Repo | None:
        return self.repos.get((repo_type, repo_id))

    def add_repo(self, repo_type: str, repo_id: str, files: dict[str, bytes] | None = None,
                 sdk: str | None = None) -> Repo:
        """Put a repo on the Hub directly (e.g. one that exists before the test)."""
        repo = Repo(repo_type=repo_type, repo_id=repo_id, sdk=sdk)
        self.repos[(repo_type, repo_id)] = repo
        if files:
            repo.commit("initial commit", files, [])
        return repo

    def add_collection(self, namespace: str, title: str, items: list[tuple[str, str]]) -> str:
        """Put a collection on the Hub directly; items are (id, type). Returns its slug."""
        slug = f"{namespace}/{re.sub(r'[^a-z0-9]+', '-', title.lower()).strip('-')}-{secrets.token_hex(12)}"
        self.collections[slug] = Collection(slug, title, namespace, False, None, [
            {"_id": secrets.token_hex(12), "id": item_id, "type": item_type, "position": i}
            for i, (item_id, item_type) in enumerate(items)
        ])
        return slug

    def requests(self, method: str | None = None, path_contains: str = "") -> list[Received]:
        return [r for r in self.received if (method is None or r.method == method) and path_contains in r.path]


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format, *args):  # keep test output clean
        pass

    # --- plumbing -------------------------------------------------------------
    @property
    def state(self) -> HubState:
        return self.server.state

    def _body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _send(self, status: int, body: bytes = b"", content_type: str = "application/json",
              headers: dict[str, str] | None = None, head_only: bool = False) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        if not head_only and body:
            self.wfile.write(body)

    def _json(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
        self._send(status, json.dumps(payload).encode(), headers=headers)

    def _error(self, status: int, message: str, code: str | None = None, head_only: bool = False) -> None:
        headers = {"X-Error-Message": message}
        if code:
            headers["X-Error-Code"] = code
        self._send(status, json.dumps({"error": message}).encode(), headers=headers, head_only=head_only)

    def _token(self) -> str | None:
        auth = self.headers.get("Authorization", "")
        return auth[7:] if auth.startswith("Bearer ") else None

    def _auth_refused(self, required: bool, head_only: bool = False) -> bool:
        """Refuse like the Hub: a bad token is 401 everywhere; no token is 401 on writes."""
        token = self._token()
        if self.state.mode == "401" and token is not None:
            self._error(401, "Invalid credentials in Authorization header", head_only=head_only)
            return True
        if required and not token:
            self._error(401, "Invalid credentials in Authorization header", head_only=head_only)
            return True
        return False

    def _record(self, method: str, body: bytes) -> tuple[str, dict]:
        parts = urlsplit(self.path)
        path = unquote(parts.path)
        query = parse_qs(parts.query)
        headers = {k.lower(): v for k, v in self.headers.items()}
        with self.state.lock:
            self.state.received.append(Received(method, path, query, headers, body))
        return path, query

    # --- verbs ------------------------------------------------------------------
    def do_HEAD(self):
        path, _ = self._record("HEAD", b"")
        self._route("HEAD", path, {}, b"")

    def do_GET(self):
        path, query = self._record("GET", b"")
        self._route("GET", path, query, b"")

    def do_POST(self):
        body = self._body()
        path, query = self._record("POST", body)
        self._route("POST", path, query, body)

    def do_DELETE(self):
        body = self._body()
        path, query = self._record("DELETE", body)
        self._route("DELETE", path, query, body)

    def _route(self, method: str, path: str, query: dict, body: bytes) -> None:
        try:
            self._dispatch(method, path, query, body)
        except Exception as exc:  # a stand-in bug must show up as a 500, not a hang
            self._error(500, f"stand-in error: {type(exc).__name__}: {exc}")

    def _dispatch(self, method: str, path: str, query: dict, body: bytes) -> None:
        head = method == "HEAD"
        if method == "POST" and path == "/api/validate-yaml":
            return self._validate_yaml(body)
        if method == "GET" and path == "/api/agent-harnesses":
            return self._json(200, {"standardEnvVars": ["AI_AGENT", "AGENT"], "harnesses": {}})
        if method == "GET" and path == "/api/whoami-v2":
            if self._auth_refused(required=True):
                return
            return self._json(200, {"type": "user", "name": self.state.user, "auth": {"type": "access_token"}})
        if method == "POST" and path == "/api/repos/create":
            return self._create_repo(body)
        if path.startswith("/api/collections"):
            return self._collections(method, path[len("/api/collections"):].strip("/"), body)
        m = re.fullmatch(r"/api/(models|datasets|spaces)/([^/]+/[^/]+)(?:/(.*))?", path)
        if m:
            return self._repo_api(method, REPO_PREFIXES[m.group(1)], m.group(2), m.group(3) or "", query, body)
        m = re.fullmatch(r"/(?:(datasets|spaces)/)?([^/]+/[^/]+)/resolve/([^/]+)/(.+)", path)
        if m and method in ("GET", "HEAD"):
            repo_type = REPO_PREFIXES[m.group(1)] if m.group(1) else "model"
            return self._resolve(repo_type, m.group(2), m.group(3), m.group(4), head)
        self._error(404, f"Sorry, we can't find the page you are looking for: {path}", head_only=head)

    # --- endpoints ----------------------------------------------------------------
    def _validate_yaml(self, body: bytes) -> None:
        """The Hub's card check: front matter must be a YAML mapping (JSON errors/warnings back)."""
        import yaml

        content = json.loads(body).get("content", "")
        match = re.match(r"^---\n(.*?)\n---", content, flags=re.DOTALL)
        error = None
        try:
            data = yaml.safe_load(match.group(1)) if match else {}
            if not isinstance(data, dict):
                error = "metadata must be a mapping"
        except yaml.YAMLError as exc:
            error = f"Invalid YAML: {exc}"
        if error:
            return self._json(400, {"errors": [{"message": error}], "warnings": []})
        with self.state.lock:
            self.state.validated_cards.append(content)
        self._json(200, {"errors": [], "warnings": []})

    def _create_repo(self, body: bytes) -> None:
        if self._auth_refused(required=True):
            return
        payload = json.loads(body)
        repo_type = payload.get("type") or "model"
        name = payload["name"]
        namespace = payload.get("organization") or self.state.user
        repo_id = f"{namespace}/{name}"
        prefix = "" if repo_type == "model" else f"{repo_type}s/"
        url = f"{self.server.url}/{prefix}{repo_id}"
        with self.state.lock:
            exists = self.state.repo(repo_type, repo_id) is not None
            if self.state.mode == "409" or exists:
                return self._json(409, {"error": f"You already created this {repo_type} repo", "url": url},
                                  headers={"X-Error-Message": f"You already created this {repo_type} repo"})
            if repo_type == "space" and not payload.get("sdk"):
                return self._error(400, "sdk is required for spaces")
            repo = Repo(repo_type=repo_type, repo_id=repo_id, private=bool(payload.get("private")),
                        sdk=payload.get("sdk"))
            self.state.repos[(repo_type, repo_id)] = repo
            files = {".gitattributes": SPACE_GITATTRIBUTES}
            if repo_type == "space":
                files["README.md"] = default_space_readme(name, payload["sdk"])
            repo.commit("initial commit", files, [])
        self._json(200, {"url": url, "name": repo_id, "id": secrets.token_hex(12)})

    def _find_repo(self, repo_type: str, repo_id: str, head: bool = False) -> Repo | None:
        repo = self.state.repo(repo_type, repo_id)
        if repo is None or (repo.private and not self._token()):
            self._error(404, "Repository not found", code="RepoNotFound", head_only=head)
            return None
        return repo

    def _check_revision(self, repo: Repo, revision: str, head: bool = False) -> bool:
        if unquote(revision) in ("main", repo.sha):
            return True
        self._error(404, f"Invalid rev id: {revision}", code="RevisionNotFound", head_only=head)
        return False

    def _repo_api(self, method: str, repo_type: str, repo_id: str, rest: str, query: dict, body: bytes) -> None:
        if self._auth_refused(required=method == "POST"):
            return
        repo = self._find_repo(repo_type, repo_id)
        if repo is None:
            return
        verb, _, tail = rest.partition("/")
        revision, _, subpath = tail.partition("/")
        if method == "GET" and verb in ("", "revision"):
            if verb == "revision" and not self._check_revision(repo, revision):
                return
            return self._json(200, self._repo_info(repo))
        if method == "GET" and verb == "tree":
            if not self._check_revision(repo, revision):
                return
            prefix = subpath.strip("/")
            entries = [
                {"type": "file", "oid": git_blob_sha1(data), "size": len(data), "path": path}
                for path, data in sorted(repo.files.items())
                if not prefix or path.startswith(prefix + "/")
            ]
            return self._json(200, entries)
        if method == "POST" and verb == "preupload":
            if not self._check_revision(repo, revision):
                return
            files = json.loads(body)["files"]
            return self._json(200, {"files": [
                {"path": f["path"], "uploadMode": "regular", "shouldIgnore": False,
                 "oid": git_blob_sha1(repo.files[f["path"]]) if f["path"] in repo.files else None}
                for f in files
            ], "commitOid": repo.sha})
        if method == "POST" and verb == "commit":
            if not self._check_revision(repo, revision):
                return
            return self._commit(repo, body)
        self._error(404, f"Unknown repo route: {method} {rest}")

    def _repo_info(self, repo: Repo) -> dict:
        card = {}
        readme = repo.files.get("README.md")
        if readme:
            import yaml

            match = re.match(r"^---\n(.*?)\n---", readme.decode("utf-8"), flags=re.DOTALL)
            card = (yaml.safe_load(match.group(1)) if match else None) or {}
        info = {
            "id": repo.repo_id,
            "author": repo.repo_id.split("/")[0],
            "sha": repo.sha,
            "private": repo.private,
            "lastModified": "2026-11-21T12:00:00.000Z",
            "tags": card.get("tags", []),
            "cardData": card,
            "siblings": [{"rfilename": path} for path in sorted(repo.files)],
        }
        if repo.repo_type == "space":
            info["sdk"] = repo.sdk
            info["runtime"] = {"stage": "BUILDING", "hardware": {"current": None, "requested": "cpu-basic"}}
        return info

    def _commit(self, repo: Repo, body: bytes) -> None:
        if self.headers.get("Content-Type", "").split(";")[0] != "application/x-ndjson":
            return self._error(400, "commit payload must be application/x-ndjson")
        summary, added, deleted = "", {}, []
        for line in body.splitlines():
            if not line.strip():
                continue
            item = json.loads(line)
            key, value = item["key"], item["value"]
            if key == "header":
                summary = value.get("summary") or ""
            elif key == "file":
                if value.get("encoding") != "base64":
                    return self._error(400, "only base64 file content is supported")
                added[value["path"]] = base64.b64decode(value["content"])
            elif key in ("deletedFile", "deletedFolder"):
                deleted.append(value["path"])
            else:
                return self._error(400, f"unsupported commit operation {key!r} "
                                        "(the stand-in stores regular files only)")
        if not summary:
            return self._error(400, "commit summary is required")
        with self.state.lock:
            commit = repo.commit(summary, added, deleted)
        prefix = "" if repo.repo_type == "model" else f"{repo.repo_type}s/"
        self._json(200, {
            "success": True,
            "commitOid": commit.oid,
            "commitUrl": f"{self.server.url}/{prefix}{repo.repo_id}/commit/{commit.oid}",
            "pullRequestUrl": None,
        })

    def _resolve(self, repo_type: str, repo_id: str, revision: str, filename: str, head: bool) -> None:
        if self._auth_refused(required=False, head_only=head):
            return
        repo = self._find_repo(repo_type, repo_id, head)
        if repo is None or not self._check_revision(repo, revision, head):
            return
        data = repo.files.get(filename)
        if data is None:
            return self._error(404, "Entry not found", code="EntryNotFound", head_only=head)
        etag = git_blob_sha1(data)
        self._send(200, data, "application/octet-stream", headers={
            "X-Repo-Commit": repo.sha,
            "ETag": f'"{etag}"',
            "Accept-Ranges": "bytes",
        }, head_only=head)

    def _collections(self, method: str, rest: str, body: bytes) -> None:
        if self._auth_refused(required=method != "GET"):
            return
        state = self.state
        if method == "POST" and rest == "":
            payload = json.loads(body)
            namespace, title = payload["namespace"], payload["title"]
            with state.lock:
                for existing in state.collections.values():
                    if existing.namespace == namespace and existing.title == title:
                        return self._json(409, {"error": "A collection with this title already exists",
                                                "slug": existing.slug})
                base = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")
                slug = f"{namespace}/{base}-{secrets.token_hex(12)}"
                state.collections[slug] = Collection(slug, title, namespace, bool(payload.get("private")),
                                                     payload.get("description"))
            return self._json(200, self._collection_json(state.collections[slug]))
        m = re.fullmatch(r"([^/]+/[^/]+?)(/items)?", rest)
        collection = state.collections.get(m.group(1)) if m else None
        if collection is None:
            return self._error(404, "Collection not found")
        if method == "GET" and not m.group(2):
            return self._json(200, self._collection_json(collection))
        if method == "POST" and m.group(2):
            payload = json.loads(body)
            item = payload["item"]
            with state.lock:
                if any(i["id"] == item["id"] and i["type"] == item["type"] for i in collection.items):
                    return self._json(409, {"error": "Item already in collection"})
                entry = {"_id": secrets.token_hex(12), "id": item["id"], "type": item["type"],
                         "position": len(collection.items)}
                if payload.get("note"):
                    entry["note"] = {"text": payload["note"], "html": payload["note"]}
                collection.items.append(entry)
            return self._json(200, self._collection_json(collection))
        self._error(404, f"Unknown collection route: {method} {rest}")

    @staticmethod
    def _collection_json(collection: Collection) -> dict:
        return {
            "slug": collection.slug,
            "title": collection.title,
            "owner": {"name": collection.namespace, "type": "user"},
            "items": [dict(i) for i in collection.items],
            "lastUpdated": "2026-11-21T12:00:00.000Z",
            "position": 0,
            "private": collection.private,
            "theme": "blue",
            "upvotes": 0,
            "description": collection.description,
        }


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    state: HubState
    url: str


class HubServer(LocalServer):
    """The stand-in, served from a thread. Use as a context manager."""

    def __init__(self, mode: str = "ok", user: str = "tester"):
        self.state = HubState(mode=mode, user=user)
        self._server: _Server | None = None
        self.url = ""

    def start(self) -> HubServer:
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.state = self.state
        self.url = self._server.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        return self._serve(self._server, "hub-stand-in")

    @staticmethod
    def down() -> str:
        """An http://127.0.0.1 URL where nothing listens: the network is down."""
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        return f"http://127.0.0.1:{port}"


# --- running our Hub commands against the stand-in ------------------------------------
# huggingface_hub reads HF_ENDPOINT once, at import, so every Hub operation under test runs
# in a fresh Python process whose environment points at the stand-in.

REPO_ROOT = __import__("pathlib").Path(__file__).resolve().parents[1]
FAKE_TOKEN = "hf_standInToken0123456789abcdefABCDEF"


def hub_env(endpoint: str, hf_home: str, token: str | None = FAKE_TOKEN, **extra: str) -> dict[str, str]:
    """An environment for a child process that talks only to `endpoint`."""
    import os

    env = {k: v for k, v in os.environ.items()
           if k not in ("HF_HUB_OFFLINE", "HF_TOKEN", "HF_ENDPOINT", "HUB_TOOLS", "HUB_TOOLS_TRUSTED")
           and not k.startswith(("ALPACA_", "PYTEST_"))}
    env.update(HF_ENDPOINT=endpoint, HF_HOME=hf_home, HF_HUB_DISABLE_TELEMETRY="1",
               HF_HUB_DISABLE_PROGRESS_BARS="1", PYTHONPATH=str(REPO_ROOT), NO_PROXY="127.0.0.1,localhost")
    if token:
        env["HF_TOKEN"] = token
    env.update(extra)
    return env


def run_python(args: list[str], env: dict[str, str], cwd: str | None = None, timeout: float = 180):
    """Run `python ARGS` in a child process; returns the CompletedProcess (text)."""
    import subprocess
    import sys

    return subprocess.run([sys.executable, *args], env=env, cwd=cwd or str(REPO_ROOT), capture_output=True,
                          text=True, timeout=timeout)
