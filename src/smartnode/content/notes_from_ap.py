"""Remote Note, Article, Page and Event documents → what we store of them (pure, tolerant).

Every HTML field is sanitised (nh3 allow-list), plain-text fields are stripped of markup,
languages of `contentMap` are kept, lists are capped. Nothing here decides whether a document
may be trusted: the inbox handlers check origin and authority first.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from smartnode.content.audience import iris_of
from smartnode.content.calls_from_ap import call_terms, is_call, is_proposal
from smartnode.content.compose import plain_text
from smartnode.content.events_from_ap import event_terms
from smartnode.content.terms import ANNOUNCEMENT, KindTerms, parse_time
from smartnode.errors import BadRequest
from smartnode.federation.sanitize import clean_html
from smartnode.federation.vocab import as_list, id_of, link_href, text_of

NOTE_TYPES = ("Note", "Article", "Page", "Event")
MAX_HTML = 100_000
MAX_TAGS = 50
MAX_ATTACHMENTS = 8
MAX_LANGUAGES = 20
_LANG = re.compile(r"^[A-Za-z]{2,3}(?:-[A-Za-z0-9]{1,8})*$")
_BLURHASH = re.compile(r"\A[0-9A-Za-z#$%*+,.:;=?@\[\]^_{|}~-]{6,100}\Z")
MAX_SIDE = 100_000


class BadNote(BadRequest):
    """A remote object we cannot store."""

    code = "bad_note"


@dataclass(frozen=True, slots=True)
class RemoteNote:
    """The fields of a remote Note/Article/Page we keep (HTML sanitised)."""

    uri: str
    ap_type: str
    attributed_to: str
    content: str
    content_map: dict[str, str]
    language: str | None
    name: str | None
    summary: str | None
    url: str | None
    in_reply_to_uri: str | None
    to: list[str]
    cc: list[str]
    sensitive: bool
    published_at: datetime
    updated_at: datetime | None
    attachments: list[dict[str, Any]] = field(default_factory=list)
    tags: list[dict[str, Any]] = field(default_factory=list)
    terms: KindTerms = field(default_factory=lambda: KindTerms(kind=ANNOUNCEMENT))


def http_url(value: Any) -> str | None:
    """`value` when it is an http(s) URL with a host, else None."""
    if not isinstance(value, str) or len(value) > 2048:
        return None
    try:
        parts = urlsplit(value)
    except ValueError:
        return None
    return value if parts.scheme in ("http", "https") and parts.hostname else None


def note_type(doc: dict[str, Any]) -> str | None:
    """Note, Article, Page, Event or (FEP-0837) Proposal when the document is one of them
    (type may be a list)."""
    for item in as_list(doc.get("type")):
        if item in NOTE_TYPES:
            return str(item)
    return "Proposal" if is_proposal(doc) else None


def _language_map(value: Any, limit: int) -> dict[str, str]:
    if not isinstance(value, dict):
        return {}
    found: dict[str, str] = {}
    for lang, html in list(value.items())[:MAX_LANGUAGES]:
        if isinstance(lang, str) and _LANG.match(lang) and isinstance(html, str):
            cleaned = clean_html(html[:limit])
            if cleaned:
                found[lang.lower()] = cleaned
    return found


def _text(value: Any, limit: int) -> str | None:
    cleaned = plain_text(text_of(value, limit * 4))[:limit]
    return cleaned or None


def _tag(item: Any) -> dict[str, Any] | None:
    if not isinstance(item, dict):
        return None
    kind, href, name = item.get("type"), http_url(item.get("href")), _text(item.get("name"), 200)
    if kind == "Mention" and href:
        return {"type": "Mention", "href": href, **({"name": name} if name else {})}
    if kind == "Hashtag" and name:
        return {"type": "Hashtag", "name": name, **({"href": href} if href else {})}
    return None


def _attachment(item: Any) -> dict[str, Any] | None:
    if not isinstance(item, dict):
        return None
    url = http_url(link_href(item.get("url")) or item.get("href"))
    if url is None:
        return None
    found: dict[str, Any] = {"type": "Document", "url": url}
    media = text_of(item.get("mediaType"), 100)
    if re.match(r"^[a-z]+/[a-zA-Z0-9.+-]+$", media):
        found["mediaType"] = media
    alt = _text(item.get("name") or item.get("summary"), 1500)
    if alt:
        found["name"] = alt
    return found | _picture_facts(item) if media.startswith("image/") else found


def _picture_facts(item: dict[str, Any]) -> dict[str, Any]:
    """What Mastodon sends of a picture besides its address: its size, blurhash and focal
    point, each kept only when it has its shape."""
    found: dict[str, Any] = {}
    for name in ("width", "height"):
        value = item.get(name)
        if isinstance(value, int) and not isinstance(value, bool) and 0 < value <= MAX_SIDE:
            found[name] = value
    hashed = item.get("blurhash")
    if isinstance(hashed, str) and _BLURHASH.match(hashed):
        found["blurhash"] = hashed
    point = item.get("focalPoint")
    if (isinstance(point, list) and len(point) == 2
            and all(isinstance(v, int | float) and not isinstance(v, bool) and -1 <= v <= 1
                    for v in point)):  # fmt: skip
        found["focalPoint"] = [float(v) for v in point]
    return found


def _kept(items: Any, parse: Any, limit: int) -> list[dict[str, Any]]:
    found = [parsed for parsed in (parse(item) for item in as_list(items)[:200]) if parsed]
    return found[:limit]


def author_of(value: Any) -> str | None:
    """The author among `attributedTo` entries (PeerTube lists a Person and a Group)."""
    entries = as_list(value)[:10]
    people = [e for e in entries if isinstance(e, dict) and e.get("type") in ("Person", "Service")]
    for entry in people or entries:
        found = http_url(id_of(entry))
        if found:
            return found
    return None


def _not_after(moment: datetime | None, now: datetime) -> datetime | None:
    """A remote timestamp, never later than now (a future `published` would top every list)."""
    return min(moment, now) if moment is not None else None


def note_from_ap(doc: dict[str, Any], now: datetime) -> RemoteNote:
    """Validate and extract a remote Note/Article/Page (BadNote when it is not one)."""
    uri, ap_type = http_url(doc.get("id")), note_type(doc)
    if uri is None:
        raise BadNote("the object has no http(s) id")
    if ap_type is None:
        raise BadNote(f"{doc.get('type')!r} is not a Note, Article or Page")
    if ap_type == "Proposal" and not is_call(doc):
        raise BadNote("a Proposal that is not a request (purpose offer) is not a call")
    author = author_of(doc.get("attributedTo"))
    if author is None:
        raise BadNote("the object names no http(s) attributedTo")
    content_map = _language_map(doc.get("contentMap"), MAX_HTML)
    content = clean_html(text_of(doc.get("content"), MAX_HTML)) or next(
        iter(content_map.values()), ""
    )
    url = http_url(link_href(doc.get("url")))
    return RemoteNote(
        uri=uri,
        ap_type=ap_type,
        attributed_to=author,
        content=content,
        content_map=content_map,
        language=next(iter(content_map), None),
        name=_text(doc.get("name"), 500),
        summary=clean_html(text_of(doc.get("summary"), 20_000)) or None,
        url=url if url and urlsplit(url).netloc == urlsplit(uri).netloc else None,
        in_reply_to_uri=http_url(id_of(doc.get("inReplyTo"))),
        to=iris_of(doc.get("to")),
        cc=iris_of(doc.get("cc")),
        sensitive=doc.get("sensitive") is True,
        published_at=_not_after(parse_time(doc.get("published")), now) or now,
        updated_at=_not_after(parse_time(doc.get("updated")), now),
        attachments=_kept(doc.get("attachment"), _attachment, MAX_ATTACHMENTS),
        tags=_kept(doc.get("tag"), _tag, MAX_TAGS),
        terms=kind_terms(doc, ap_type),
    )


def kind_terms(doc: dict[str, Any], ap_type: str) -> KindTerms:
    """Event and call facts; a plain announcement carries none."""
    if ap_type == "Event":
        return event_terms(doc)
    if ap_type in ("Note", "Proposal") and is_call(doc):
        return call_terms(doc)
    return KindTerms(kind=ANNOUNCEMENT)
