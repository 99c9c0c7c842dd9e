"""Post bodies (pure): plain text or limited HTML in, sanitised HTML with links, mentions and
hashtags linked as Mastodon writes them; plain-text excerpts of HTML.

Interop: Mastodon shows only `content`, so hashtags given apart from the text are appended as
a last paragraph of links, and mentions in the text link to the actor (h-card), as Mastodon's.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

import nh3

from smartnode.actors.to_ap import hashtag_name
from smartnode.federation.sanitize import clean_html, escape_text, text_to_html
from smartnode.federation.uris import NodeUris

EXCERPT = 500
#: A #hashtag in escaped text: not inside a word, an entity (&#x27;) or a URL.
_HASHTAG = re.compile(r"(?<![\w&#/])#(\w{1,60})")
_BREAKS = re.compile(r"<br\s*/?>|</p>|</li>|</blockquote>|</pre>", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class MentionRef:
    """A mentioned actor: its id, its handle without the leading @, its profile page."""

    uri: str
    handle: str
    url: str

    @property
    def username(self) -> str:
        return self.handle.partition("@")[0]


def _mention_link(ref: MentionRef) -> str:
    return (
        f'<span class="h-card"><a href="{escape_text(ref.url)}" class="u-url mention">'
        f"@<span>{escape_text(ref.username)}</span></a></span>"
    )


def _hashtag_link(uris: NodeUris, name: str) -> str:
    return (
        f'<a href="{escape_text(uris.tag(name))}" class="mention hashtag" rel="tag">'
        f"#<span>{escape_text(name)}</span></a>"
    )


_URL = r"(?P<url>https?://[^\s<>\"&]+(?:&amp;[^\s<>\"&]+)*)"
_TAG = r"(?<![\w&#/])#(?P<tag>\w{1,60})"
_TRAILING = ".,;:!?)'"


def _link_text(body: str, uris: NodeUris, mentions: list[MentionRef]) -> str:
    """Link URLs, mentions (`@user@host`, or `@user` for this node) and #hashtags in the HTML
    that text_to_html made (escaped text in <p> and <br> only), left to right."""
    handles: dict[str, MentionRef] = {}
    for ref in mentions:
        handles[ref.handle.lower()] = ref
        if ref.handle.lower().endswith(f"@{uris.domain.lower()}"):
            handles.setdefault(ref.username.lower(), ref)
    parts = [_URL, _TAG]
    if handles:
        spelled = "|".join(re.escape(h) for h in sorted(handles, key=len, reverse=True))
        parts.insert(1, rf"(?<![\w@/])@(?P<mention>{spelled})(?![\w@.-])")

    def link(match: re.Match[str]) -> str:
        if match.group("url"):
            url = match.group("url")
            kept = url.rstrip(_TRAILING)
            return f'<a href="{kept}">{kept}</a>{url[len(kept) :]}'
        if match.groupdict().get("mention"):
            return _mention_link(handles[match.group("mention").lower()])
        return _hashtag_link(uris, match.group("tag"))

    return re.compile("|".join(parts), re.IGNORECASE).sub(link, body)


def text_hashtags(text: str) -> list[str]:
    """#hashtags written in a plain text, in order, without duplicates (case-insensitive)."""
    seen: dict[str, str] = {}
    for name in _HASHTAG.findall(escape_text(text)):
        seen.setdefault(name.lower(), name)
    return list(seen.values())


def hashtag_names(text: str, given: list[str]) -> list[str]:
    """The post's hashtags: those written in the text, then the given ones not written there."""
    names = {n.lower(): n for n in text_hashtags(text)}
    for tag in given:
        name = hashtag_name(tag)
        if name:
            names.setdefault(name.lower(), name)
    return list(names.values())


def body_html(
    uris: NodeUris,
    text: str,
    fmt: str,
    mentions: list[MentionRef],
    hashtags: list[str],
) -> str:
    """The sanitised HTML of one language's body, with mention and hashtag links."""
    if fmt == "html":
        body = clean_html(text)
        written = {n.lower() for n in _HASHTAG.findall(plain_text(body))}
    else:
        body = _link_text(text_to_html(text), uris, mentions)
        written = {n.lower() for n in text_hashtags(text)}
    missing = [name for name in hashtags if name.lower() not in written]
    if missing:
        body += "<p>" + " ".join(_hashtag_link(uris, name) for name in missing) + "</p>"
    return clean_html(body)


def plain_text(value: str) -> str:
    """The text of sanitised HTML, whitespace collapsed (for excerpts and titles)."""
    try:
        stripped = nh3.clean(_BREAKS.sub(" ", value), tags=set())
    except Exception:  # nh3 refuses some input (NUL bytes); plain text then
        stripped = value.replace("\x00", "")
    return " ".join(html.unescape(stripped).split())


def excerpt(value: str, limit: int = EXCERPT) -> str:
    """At most `limit` characters of an HTML body's text, cut at a word, with an ellipsis."""
    text = plain_text(value)
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0] or text[:limit]
    return cut.rstrip(" ,.;:") + "…"
