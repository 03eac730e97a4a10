"""The Content-Security-Policy the app sends with every response: the browser's own backstop.

Whatever slips past the sanitiser (`safe_render.markdown`), the browser loads images only from this app (`'self'`,
`data:`, `blob:`), connects only to this app, and submits forms only to this app. Scripts and styles are left as
Gradio's page needs them (inline scripts carry its config; Google Fonts are its default theme's fonts); nothing
may be framed or embedded from elsewhere. `frame-ancestors` is not set: a Hugging Face Space shows the app in a
frame of huggingface.co.
"""

from __future__ import annotations

POLICY = "; ".join((
    "default-src 'self'",
    "script-src 'self' 'unsafe-inline' 'unsafe-eval'",
    "style-src 'self' 'unsafe-inline' https://fonts.googleapis.com",
    "font-src 'self' data: https://fonts.gstatic.com",
    "img-src 'self' data: blob:",
    "media-src 'self' data: blob:",
    "connect-src 'self'",
    "frame-src 'self'",
    "worker-src 'self' blob:",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
))
HEADER = b"content-security-policy"


class ContentSecurityPolicy:
    """Pure ASGI middleware (streamed responses pass through untouched) adding the policy to every HTTP response
    that does not already carry one."""

    def __init__(self, app, policy: str = POLICY):
        self.app = app
        self.header = (HEADER, policy.encode("latin-1"))

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_policy(message):
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                if not any(name.lower() == HEADER for name, _ in headers):
                    headers.append(self.header)
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_policy)


def content_security_policy(policy: str = POLICY):
    """The middleware entry for FastAPI's `middleware=` (Gradio's `launch(app_kwargs=...)`)."""
    from starlette.middleware import Middleware

    return Middleware(ContentSecurityPolicy, policy=policy)
