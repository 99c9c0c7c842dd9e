"""RSS 2.0 and Atom 1.0 documents of a topic feed (pure: rows in, bytes out), and its calls as
calendar deadlines.

Built with xml.etree, which escapes every text and attribute; characters XML 1.0 forbids
(control characters, lone surrogates) are dropped first, so hostile titles stay text. Both
documents link the feed's calendar (`.ics`) as an alternate.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from email.utils import format_datetime
from xml.etree import ElementTree as ET

from smartnode.actors.to_ap import iso
from smartnode.content.call_terms import call_terms
from smartnode.content.compose import excerpt
from smartnode.content.ical import Deadline
from smartnode.storage.models import Actor, ContentObject

RSS_MEDIA = "application/rss+xml"
ATOM_MEDIA = "application/atom+xml"
CALENDAR_MEDIA = "text/calendar"
RSS_TYPE = f"{RSS_MEDIA}; charset=utf-8"
ATOM_TYPE = f"{ATOM_MEDIA}; charset=utf-8"
ATOM_NS = "http://www.w3.org/2005/Atom"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
DESCRIPTION_LIMIT = 1000
ET.register_namespace("atom", ATOM_NS)  # RSS's atom:link rel=self
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\ufffe\uffff]")


@dataclass(frozen=True, slots=True)
class Channel:
    """The feed itself: its title, page, own URL, description and language."""

    title: str
    page_url: str
    self_url: str
    description: str
    language: str
    updated: datetime
    calendar_url: str | None = None


@dataclass(frozen=True, slots=True)
class Item:
    """One call as an entry: plain text only (escaped when written)."""

    title: str
    link: str
    guid: str
    description: str
    author: str
    published: datetime
    updated: datetime
    categories: tuple[str, ...]


def xml_text(value: object) -> str:
    """Text fit for XML 1.0: forbidden characters dropped."""
    return _NOT_XML.sub("", str(value))


def _http(url: str | None) -> str | None:
    return url if url and url.startswith(("https://", "http://")) else None


def call_item(obj: ContentObject, author: Actor) -> Item:
    """A call (ours or a remote one) as a syndication item."""
    title = call_terms(obj).title
    listed = obj.tags if isinstance(obj.tags, list) else []
    tags = [t for t in listed if isinstance(t, dict) and t.get("type") == "Hashtag"]
    names = (str(t.get("name", "")).lstrip("#") for t in tags)
    return Item(
        title=title or excerpt(obj.content, 80) or "Open call",
        link=_http(obj.url) or obj.uri,
        guid=obj.uri,
        description=excerpt(obj.content, DESCRIPTION_LIMIT),
        author=author.name or author.username,
        published=obj.published_at,
        updated=obj.updated_at,
        categories=tuple(dict.fromkeys(n for n in names if n)),
    )


def call_deadline(obj: ContentObject, author: Actor) -> Deadline | None:
    """A call's deadline as a calendar entry (None for a call without one)."""
    if obj.closes_at is None:
        return None
    item = call_item(obj, author)
    return Deadline(
        call_uri=obj.uri,
        title=item.title,
        url=item.link,
        closes_at=obj.closes_at,
        description=obj.content,
        author=item.author,
        categories=item.categories,
        published=item.published,
        updated=item.updated,
    )


def _add(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    element = ET.SubElement(parent, tag, {k: xml_text(v) for k, v in attrs.items()})
    if text is not None:
        element.text = xml_text(text)
    return element


def _bytes(root: ET.Element) -> bytes:
    written: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return written


def rss(channel: Channel, items: Sequence[Item]) -> bytes:
    """RSS 2.0 with an atom:link rel=self (as the RSS Advisory Board recommends)."""
    root = ET.Element("rss", {"version": "2.0"})
    head = _add(root, "channel")
    _add(head, "title", channel.title)
    _add(head, "link", channel.page_url)
    _add(head, "description", channel.description)
    _add(head, "language", channel.language)
    _add(head, "lastBuildDate", format_datetime(channel.updated, usegmt=True))
    _add(head, f"{{{ATOM_NS}}}link", href=channel.self_url, rel="self", type=RSS_MEDIA)
    if channel.calendar_url:
        _add(head, f"{{{ATOM_NS}}}link", href=channel.calendar_url, rel="alternate",
             type=CALENDAR_MEDIA)  # fmt: skip
    for item in items:
        entry = _add(head, "item")
        _add(entry, "title", item.title)
        _add(entry, "link", item.link)
        _add(entry, "description", item.description)
        _add(entry, "pubDate", format_datetime(item.published, usegmt=True))
        _add(entry, "guid", item.guid, isPermaLink="false")
        for name in item.categories:
            _add(entry, "category", name)
    return _bytes(root)


def atom(channel: Channel, items: Sequence[Item]) -> bytes:
    """Atom 1.0 (RFC 4287): entry ids are the calls' ids, summaries plain text."""
    # The default namespace as a plain attribute: ElementTree then writes unprefixed names.
    root = ET.Element("feed", {"xmlns": ATOM_NS, XML_LANG: xml_text(channel.language)})
    add = _add

    add(root, "id", channel.self_url)
    add(root, "title", channel.title)
    add(root, "subtitle", channel.description)
    add(root, "updated", iso(channel.updated))
    add(root, "link", href=channel.self_url, rel="self", type=ATOM_MEDIA)
    add(root, "link", href=channel.page_url, rel="alternate", type="text/html")
    if channel.calendar_url:
        add(root, "link", href=channel.calendar_url, rel="alternate", type=CALENDAR_MEDIA)
    for item in items:
        entry = add(root, "entry")
        add(entry, "id", item.guid)
        add(entry, "title", item.title, type="text")
        add(entry, "link", href=item.link, rel="alternate")
        add(entry, "published", iso(item.published))
        add(entry, "updated", iso(item.updated))
        add(add(entry, "author"), "name", item.author)
        add(entry, "summary", item.description, type="text")
        for name in item.categories:
            add(entry, "category", term=name)
    return _bytes(root)
