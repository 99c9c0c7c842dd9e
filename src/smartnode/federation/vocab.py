"""AS2 vocabulary constants: the @context we publish and the public audience."""

from __future__ import annotations

from typing import Any

AS_CONTEXT = "https://www.w3.org/ns/activitystreams"
SECURITY_CONTEXT = "https://w3id.org/security/v1"
PUBLIC = "https://www.w3.org/ns/activitystreams#Public"
SMART_NS = "https://smart.coop/ns#"

#: Extension terms, spelled as Mastodon (toot:, schema:) and Mobilizon (mz:members) spell them.
EXTENSIONS: dict[str, Any] = {
    "manuallyApprovesFollowers": "as:manuallyApprovesFollowers",
    "alsoKnownAs": {"@id": "as:alsoKnownAs", "@type": "@id"},
    "movedTo": {"@id": "as:movedTo", "@type": "@id"},
    "Hashtag": "as:Hashtag",
    "toot": "http://joinmastodon.org/ns#",
    "featured": {"@id": "toot:featured", "@type": "@id"},
    "discoverable": "toot:discoverable",
    "indexable": "toot:indexable",
    "schema": "http://schema.org#",
    "PropertyValue": "schema:PropertyValue",
    "value": "schema:value",
    "DefinedTerm": "schema:DefinedTerm",
    "termCode": "schema:termCode",
    "sameAs": {"@id": "schema:sameAs", "@type": "@id"},
    "mz": "https://joinmobilizon.org/ns#",
    "members": {"@id": "mz:members", "@type": "@id"},
    "sm": SMART_NS,
    "country": "sm:country",
    "city": "sm:city",
    "board": {"@id": "sm:board", "@type": "@id"},
}

ACTOR_CONTEXT: list[Any] = [AS_CONTEXT, SECURITY_CONTEXT, EXTENSIONS]
COLLECTION_CONTEXT = AS_CONTEXT

ACTIVITY_JSON = "application/activity+json"
LD_JSON_AS = 'application/ld+json; profile="https://www.w3.org/ns/activitystreams"'


# Tolerant accessors: remote documents spell the same thing many ways (string, object, list).


def as_list(value: Any) -> list[Any]:
    """A value as a list: None → [], scalar → [scalar]."""
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def id_of(value: Any) -> str | None:
    """The IRI of a reference given as a string or an object with `id`."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        found = value.get("id")
        return found if isinstance(found, str) else None
    return None


def first_id(value: Any) -> str | None:
    """The first IRI in a reference or a list of references."""
    for item in as_list(value):
        found = id_of(item)
        if found:
            return found
    return None


def link_href(value: Any) -> str | None:
    """The first URL of a `url`/`icon`-like value: string, Link/Image object or a list of them."""
    for item in as_list(value):
        if isinstance(item, str):
            return item
        if isinstance(item, dict):
            for key in ("href", "url"):
                inner = item.get(key)
                found = inner if isinstance(inner, str) else link_href(inner) if inner else None
                if found:
                    return found
    return None


def text_of(value: Any, limit: int = 10_000) -> str:
    """A string field, or '' when absent or not a string; cut at `limit` characters."""
    return value[:limit] if isinstance(value, str) else ""
