"""HTML allow-list (nh3) and plain-text escaping. Never raises on any input."""

from __future__ import annotations

import html
import re

import nh3

ALLOWED_TAGS = frozenset(
    {"p", "br", "span", "a", "del", "s", "pre", "blockquote", "code", "b", "strong", "u", "i",
     "em", "ul", "ol", "li"}
)  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href", "class", "title"}, "span": {"class"}}
URL_SCHEMES = frozenset({"http", "https", "mailto"})
#: Classes kept, as Mastodon keeps them: microformats, mention/hashtag, link formatting.
_CLASS = re.compile(r"^(?:(?:h|p|u|dt|e)-[\w-]+|mention|hashtag|ellipsis|invisible)$")


def _keep_classes(tag: str, attribute: str, value: str) -> str | None:
    """Only classes from the list above survive (no borrowing of the page's own CSS)."""
    if attribute != "class":
        return value
    kept = [name for name in value.split() if _CLASS.match(name)]
    return " ".join(kept) or None


def clean_html(value: object) -> str:
    """Sanitise untrusted HTML to the allow-list; links get rel=nofollow noopener noreferrer."""
    if not isinstance(value, str) or not value:
        return ""
    try:
        return nh3.clean(
            value,
            tags=set(ALLOWED_TAGS),
            attributes={k: set(v) for k, v in ALLOWED_ATTRIBUTES.items()},
            url_schemes=set(URL_SCHEMES),
            link_rel="nofollow noopener noreferrer",
            strip_comments=True,
            url_relative="deny",  # http(s) and mailto only: no relative or scheme-relative links
            attribute_filter=_keep_classes,
        )
    except Exception:  # nh3 raises on pathological input (e.g. NUL); fall back to plain text
        return escape_text(value)


def escape_text(value: object) -> str:
    """Escape a plain-text value for HTML (also quotes, for attributes)."""
    if not isinstance(value, str):
        return ""
    return html.escape(value.replace("\x00", ""), quote=True)


def text_to_html(value: str) -> str:
    """Plain text → paragraphs of escaped HTML (blank line = new paragraph, newline = <br>)."""
    paragraphs = [p for p in value.replace("\r\n", "\n").split("\n\n") if p.strip()]
    return "".join(f"<p>{escape_text(p.strip()).replace(chr(10), '<br>')}</p>" for p in paragraphs)
