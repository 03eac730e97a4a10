"""Sanitising an HTML fragment so that showing it fetches nothing: nh3 (ammonia) decides, twice.

1. nh3 normalises the fragment (scripts, styles, forms, event handlers, `style` and unknown attributes gone),
   keeping media elements and their URL attributes so they can still be named.
2. Media elements (img, picture/source, video, audio, track, iframe, embed, object, SVG image/use) whose URL is
   not this app's own file route or a `data:image/` URL are replaced by plain links to their URLs (the person may
   click; nothing is fetched by showing them).
3. nh3 again, with the final allowlist: text markup, tables, links (http, https, mailto) and `<img>` only with an
   allowed `src`. This last pass alone is what makes the output safe; step 2 only keeps the URLs readable.
"""

from __future__ import annotations

import html
from functools import cache
from html.parser import HTMLParser

APP_FILE_PREFIXES = ("/gradio_api/file=",)  # images this app serves itself (Gradio's file route)

TEXT_TAGS = frozenset({
    "p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "li", "blockquote", "pre", "code", "em",
    "strong", "b", "i", "u", "s", "del", "ins", "sub", "sup", "abbr", "kbd", "mark", "small", "span", "div",
    "table", "thead", "tbody", "tfoot", "tr", "th", "td", "caption", "a", "details", "summary", "dl", "dt", "dd",
})
TEXT_ATTRIBUTES = {"a": {"href", "title"}, "abbr": {"title"}, "th": {"align", "colspan", "rowspan"},
                   "td": {"align", "colspan", "rowspan"}, "ol": {"start"}, "code": {"class"}}
# element -> attributes that make the browser fetch (srcset lists several URLs)
MEDIA_URLS: dict[str, tuple[str, ...]] = {
    "img": ("src", "srcset"), "source": ("src", "srcset"), "video": ("src", "poster"), "audio": ("src",),
    "track": ("src",), "iframe": ("src",), "embed": ("src",), "object": ("data",), "image": ("href", "xlink:href"),
    "use": ("href", "xlink:href"), "link": ("href",),
}
MEDIA_CONTAINERS = frozenset({"picture", "svg"})
GONE_WITH_CONTENT = frozenset({"script", "style", "template", "textarea", "select", "title", "noscript"})


def _normalised_url(url: str) -> str:
    """The URL as a browser reads it: tabs and newlines removed, C0 controls and spaces trimmed, \\ as /."""
    url = "".join(ch for ch in url if ch not in "\t\n\r").strip("\x00\x01\x02\x03\x04\x05\x06\x07\x08\x0b\x0c"
                                                              "\x0e\x0f\x10\x11\x12\x13\x14\x15\x16\x17\x18\x19"
                                                              "\x1a\x1b\x1c\x1d\x1e\x1f ")
    return url.replace("\\", "/")


def allowed_image_src(url: str | None) -> bool:
    """True for an image this app serves itself (its file route, by path) or a `data:image/...` URL."""
    if not url:
        return False
    url = _normalised_url(url)
    if url.lower().startswith("data:image/"):
        return True
    return url.startswith(APP_FILE_PREFIXES) and not url.startswith("//")


def _srcset_urls(value: str) -> list[str]:
    return [part.strip().split()[0] for part in value.split(",") if part.strip()]


@cache
def _cleaners():
    import nh3

    def first_filter(tag: str, attribute: str, value: str) -> str | None:
        return value

    def final_filter(tag: str, attribute: str, value: str) -> str | None:
        if tag == "img" and attribute == "src":
            return value if allowed_image_src(value) else None
        if tag == "a" and attribute == "href" and _normalised_url(value).lower().startswith("data:"):
            return None
        if tag == "code" and attribute == "class":
            return " ".join(c for c in value.split() if c.startswith("language-")) or None
        return value

    media_attributes = {tag: set(urls) | {"alt", "title"} for tag, urls in MEDIA_URLS.items()}
    first = nh3.Cleaner(
        tags=set(TEXT_TAGS | set(MEDIA_URLS) | MEDIA_CONTAINERS), clean_content_tags=set(GONE_WITH_CONTENT),
        attributes={**TEXT_ATTRIBUTES, **media_attributes}, attribute_filter=first_filter,
        url_schemes={"http", "https", "mailto", "data", "ftp", "blob"}, link_rel=None)
    final = nh3.Cleaner(
        tags=set(TEXT_TAGS | {"img"}), clean_content_tags={"script", "style"},
        attributes={**TEXT_ATTRIBUTES, "img": {"src", "alt", "title", "width", "height"}},
        attribute_filter=final_filter, url_schemes={"http", "https", "mailto", "data"},
        link_rel="noopener noreferrer nofollow")
    return first, final


class _MediaToLinks(HTMLParser):
    """Re-writes nh3-normalised HTML, replacing media elements with links to the URLs they would fetch."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.out: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._tag(tag, attrs, closed=False)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._tag(tag, attrs, closed=True)

    def _tag(self, tag: str, attrs: list[tuple[str, str | None]], closed: bool) -> None:
        if tag in MEDIA_CONTAINERS:
            return
        if tag not in MEDIA_URLS:
            self.out.append(self.get_starttag_text() or "")
            return
        values = dict(attrs)
        urls = []
        for attribute in MEDIA_URLS[tag]:
            value = values.get(attribute)
            if not value:
                continue
            urls += _srcset_urls(value) if attribute == "srcset" else [value]
        if tag == "img" and allowed_image_src(values.get("src")) and not values.get("srcset"):
            self.out.append(self.get_starttag_text() or "")
            return
        label = values.get("alt") or values.get("title") or ""
        for url in dict.fromkeys(urls):
            text = f"{label} ({url})" if label else url
            icon = "🖼️" if tag in ("img", "source", "image", "use") else "🔗"
            self.out.append(f'<a href="{html.escape(url, quote=True)}">{icon} {html.escape(text)}</a> ')

    def handle_endtag(self, tag: str) -> None:
        if tag not in MEDIA_URLS and tag not in MEDIA_CONTAINERS:
            self.out.append(f"</{tag}>")

    def handle_data(self, data: str) -> None:
        self.out.append(data)

    def handle_entityref(self, name: str) -> None:
        self.out.append(f"&{name};")

    def handle_charref(self, name: str) -> None:
        self.out.append(f"&#{name};")


def safe_html(fragment: str) -> str:
    """`fragment` with nothing left that the browser would fetch or submit by showing it (see the module doc)."""
    first, final = _cleaners()
    rewriter = _MediaToLinks()
    rewriter.feed(first.clean(fragment))
    rewriter.close()
    return final.clean("".join(rewriter.out))
