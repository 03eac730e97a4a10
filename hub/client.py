"""How this project talks to the Hugging Face Hub: one endpoint, clear errors.

`huggingface_hub` reads `HF_ENDPOINT` once, when it is imported, and sends
every call there except one: card validation (`RepoCard.validate`, used by
`Tool.push_to_hub` and `RepoCard.push_to_hub`) is hard-coded to
https://huggingface.co/api/validate-yaml. With a private Hub (or an offline
stand-in) that call would leave the configured Hub, so `use_configured_endpoint()`
routes the huggingface.co host to `HF_ENDPOINT` through the library's own
`set_client_factory` hook.

`explain_hub_error()` turns whatever the Hub client raised into one sentence a
person can act on, without tokens or tracebacks.
"""

from __future__ import annotations

import os

import httpx

DEFAULT_ENDPOINT = "https://huggingface.co"


class HubCommandError(RuntimeError):
    """A Hub command cannot go on; the message says why and what to do."""


def configured_endpoint() -> str:
    """The Hub base URL huggingface_hub uses (HF_ENDPOINT, else huggingface.co)."""
    return os.environ.get("HF_ENDPOINT", DEFAULT_ENDPOINT).rstrip("/") or DEFAULT_ENDPOINT


class _ToEndpointTransport(httpx.BaseTransport):
    """Sends requests for huggingface.co to the configured endpoint instead."""

    def __init__(self, endpoint: str):
        self._target = httpx.URL(endpoint)
        self._inner = httpx.HTTPTransport()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        request.url = request.url.copy_with(scheme=self._target.scheme, host=self._target.host,
                                            port=self._target.port)
        request.headers["Host"] = request.url.netloc.decode("ascii")
        return self._inner.handle_request(request)

    def close(self) -> None:
        self._inner.close()


def use_configured_endpoint() -> None:
    """Make every huggingface_hub call go to HF_ENDPOINT (no-op for the public Hub)."""
    endpoint = configured_endpoint()
    if endpoint == DEFAULT_ENDPOINT:
        return
    from huggingface_hub import set_client_factory
    from huggingface_hub.utils._http import hf_request_event_hook

    def factory() -> httpx.Client:
        return httpx.Client(
            event_hooks={"request": [hf_request_event_hook]},
            follow_redirects=True,
            timeout=None,
            mounts={f"{DEFAULT_ENDPOINT}": _ToEndpointTransport(endpoint)},
        )

    set_client_factory(factory)


def explain_hub_error(exc: BaseException, *, action: str) -> str:
    """One line saying why `action` failed and what to do about it."""
    return f"Could not {action}: {hub_error_reason(exc)}"


def hub_error_reason(exc: BaseException) -> str:
    """Why a Hub call failed, in one sentence without tokens or tracebacks."""
    from huggingface_hub.errors import HfHubHTTPError, OfflineModeIsEnabled, RepositoryNotFoundError

    endpoint = configured_endpoint()
    if isinstance(exc, HubCommandError):
        return str(exc)
    chain = _cause_chain(exc)  # downloads wrap network errors (LocalEntryNotFoundError from ConnectError)
    if any(isinstance(e, OfflineModeIsEnabled) for e in chain):
        return "HF_HUB_OFFLINE is set, so the Hub cannot be reached. Unset it and retry."
    if any(isinstance(e, (httpx.ConnectError, httpx.TimeoutException, httpx.NetworkError, ConnectionError))
           for e in chain):
        return f"the Hugging Face Hub at {endpoint} cannot be reached (network down?). Retry when online."
    if isinstance(exc, HfHubHTTPError):
        status = exc.response.status_code if exc.response is not None else None
        if status == 401 and not isinstance(exc, RepositoryNotFoundError):
            return ("the Hub rejected the token (401 Unauthorized). Set HF_TOKEN to a valid token "
                    "with write access (https://huggingface.co/settings/tokens).")
        if isinstance(exc, RepositoryNotFoundError):
            return (f"the repository was not found, or HF_TOKEN may not access it ({status}). "
                    "Check the name and the token's permissions.")
        if status == 403:
            return "the token may not write to this namespace (403 Forbidden). Use a write token for it."
        if status == 409:
            return "it already exists on the Hub (409 Conflict)."
        server_message = (exc.server_message or "").strip().splitlines()
        detail = f": {server_message[0]}" if server_message else ""
        if status == 404:
            return f"not found on the Hub (404){detail}."
        return f"the Hub answered {status}{detail}."
    first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {first_line}" if first_line else type(exc).__name__


def _cause_chain(exc: BaseException) -> list[BaseException]:
    chain: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in chain:
        chain.append(current)
        current = current.__cause__ or current.__context__
    return chain
