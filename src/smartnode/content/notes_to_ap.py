"""Our announcements → AS2 (pure: rows and URIs in, dicts out).

Interop: Mastodon renders a Note fully but an Article (like Page and Event) as its `name`,
`summary` and a link to `url`, dropping `content`; so an Article also carries a plain excerpt
of its text as `summary` and its page as `url`. A Note carries no `summary` (Mastodon would
show it as a content warning).
"""

from __future__ import annotations

from typing import Any

from smartnode.actors.to_ap import iso
from smartnode.federation.uris import NodeUris
from smartnode.federation.vocab import AS_CONTEXT
from smartnode.storage.models import ContentObject

#: Terms our content documents use beyond ActivityStreams, spelled as Mastodon does.
CONTENT_CONTEXT: list[Any] = [
    AS_CONTEXT,
    {"Hashtag": "as:Hashtag", "sensitive": "as:sensitive", "toot": "http://joinmastodon.org/ns#",
     "blurhash": "toot:blurhash",
     "focalPoint": {"@container": "@list", "@id": "toot:focalPoint"}},
]  # fmt: skip


def language_first(language: str | None, by_language: dict[str, str]) -> dict[str, str]:
    """A language map with the author's language first (JSON columns may not keep order)."""
    first = {k: v for k, v in by_language.items() if k == language}
    return {**first, **by_language}


_MAPS = (("content", "contentMap"), ("summary", "summaryMap"), ("name", "nameMap"))


def restore_language_order(document: dict[str, Any]) -> dict[str, Any]:
    """A copy whose language maps (its own and its object's) have the author's language first.

    PostgreSQL's JSONB does not keep key order, and Mastodon takes a post's language from the
    first key of `contentMap`: the entry whose text is the plain `content` goes first again.
    """
    fixed = dict(document)
    for plain, mapped in _MAPS:
        value = fixed.get(mapped)
        if isinstance(value, dict) and plain in fixed:
            first = {k: v for k, v in value.items() if v == fixed[plain]}
            fixed[mapped] = {**first, **value}
    if isinstance(fixed.get("object"), dict):
        fixed["object"] = restore_language_order(fixed["object"])
    return fixed


def replies_to_ap(object_uri: str) -> dict[str, Any]:
    """The `replies` of our objects: the collection, its first page embedded empty, `next` on.

    Interop: GoToSocial reads `replies` only as an embedded collection whose `first` is an
    embedded page, then follows `next`; Mastodon embeds its own the same way. An empty first
    page keeps the document the same whatever replies arrive (cached bytes stay true).
    """
    uri = NodeUris.replies(object_uri)
    first = {"type": "OrderedCollectionPage", "partOf": uri, "orderedItems": []}
    first["next"] = NodeUris.collection_page(uri)
    return {"id": uri, "type": "OrderedCollection", "first": first}


def note_to_ap(obj: ContentObject, author_uri: str, *, context: bool = True) -> dict[str, Any]:
    """A live Note or Article as served at its id and embedded in Create/Update."""
    doc: dict[str, Any] = {"@context": CONTENT_CONTEXT} if context else {}
    doc.update(
        {
            "id": obj.uri,
            "type": obj.ap_type,
            "attributedTo": author_uri,
            "inReplyTo": obj.in_reply_to_uri,
            "published": iso(obj.published_at),
            "url": obj.url or obj.uri,
            "to": list(obj.audience.get("to", [])),
            "cc": list(obj.audience.get("cc", [])),
            "sensitive": obj.sensitive,
            "content": obj.content,
        }
    )
    if obj.content_map:
        doc["contentMap"] = language_first(obj.language, obj.content_map)
    if obj.name:
        doc["name"] = obj.name
    if obj.summary:
        doc["summary"] = obj.summary
    if obj.updated_at != obj.published_at:  # Interop: Mastodon sends `updated` for edits only
        doc["updated"] = iso(obj.updated_at)
    if obj.local:
        doc["replies"] = replies_to_ap(obj.uri)
    doc["attachment"] = [dict(item) for item in obj.attachments]
    doc["tag"] = [dict(item) for item in obj.tags]
    return doc
