"""What the browser may fetch from what we render: safe markdown/HTML for the chat, and the page's CSP.

`safe_markdown(text)` is applied where chat items become Gradio content (`chat.messages.ChatItem.to_gradio`):
external images become plain links, forms and scripts never render. `csp.content_security_policy()` is the
middleware the app adds to every response, the browser's own backstop.
"""

from safe_render.html import allowed_image_src, safe_html
from safe_render.markdown import safe_markdown

__all__ = ["allowed_image_src", "safe_html", "safe_markdown"]
