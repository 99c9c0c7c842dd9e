"""Local actors → AS2 documents (pure: rows and URIs in, dicts out)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from smartnode.federation.sanitize import escape_text
from smartnode.federation.uris import NodeUris
from smartnode.federation.vocab import ACTOR_CONTEXT, AS_CONTEXT
from smartnode.matching.terms import SkillTerm, defined_terms
from smartnode.storage.models import Actor
from smartnode.storage.models_profiles import MemberProfile, Project

LANGUAGE_NAMES = {
    "en": "English", "sv": "Svenska", "fr": "Français", "nl": "Nederlands", "de": "Deutsch",
    "it": "Italiano", "es": "Español", "da": "Dansk", "fi": "Suomi", "nb": "Norsk",
    "pt": "Português", "pl": "Polski", "ar": "العربية", "ca": "Català", "eu": "Euskara",
}  # fmt: skip


def iso(moment: datetime) -> str:
    """AS2 xsd:dateTime in UTC with a Z, to the second."""
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def hashtag_name(tag: str) -> str:
    """`sound design` → `SoundDesign`: Mastodon hashtags allow letters, digits and _ only."""
    words = re.findall(r"[^\W_]+|_", tag)
    return "".join(w[:1].upper() + w[1:] for w in words)


def hashtags(uris: NodeUris, tags: list[str]) -> list[dict[str, Any]]:
    names = dict.fromkeys(n for n in (hashtag_name(t) for t in tags) if n)
    return [{"type": "Hashtag", "href": uris.tag(name), "name": f"#{name}"} for name in names]


def _field(name: str, value_html: str) -> dict[str, str]:
    return {"type": "PropertyValue", "name": name, "value": value_html}


def _link_html(url: str) -> str:
    shown = re.sub(r"^https?://(www\.)?", "", url).rstrip("/")
    return (
        f'<a href="{escape_text(url)}" target="_blank" rel="nofollow noopener noreferrer me">'
        f"{escape_text(shown)}</a>"
    )


def _place(city: str, country: str) -> str:
    return ", ".join(p for p in (city, country) if p)


#: mediaType of an icon or header by its address's extension (ours always have one).
IMAGE_TYPES = {"jpg": "image/jpeg", "jpeg": "image/jpeg", "png": "image/png",
               "webp": "image/webp", "gif": "image/gif"}  # fmt: skip


def _image(url: str | None) -> dict[str, str] | None:
    """An Image with its mediaType when the address tells it (Mastodon sends one too)."""
    if not url:
        return None
    image = {"type": "Image", "url": url}
    extension = url.split("?", 1)[0].rsplit("/", 1)[-1].rpartition(".")[2].lower()
    if extension in IMAGE_TYPES:
        image["mediaType"] = IMAGE_TYPES[extension]
    return image


def actor_base(actor: Actor, uris: NodeUris) -> dict[str, Any]:
    uri = actor.uri
    doc: dict[str, Any] = {
        "@context": ACTOR_CONTEXT,
        "id": uri,
        "type": actor.ap_type,
        "preferredUsername": actor.username,
        "name": actor.name,
        "summary": actor.summary,
        "url": uri,
        "inbox": uris.collection(uri, "inbox"),
        "outbox": uris.collection(uri, "outbox"),
        "followers": uris.collection(uri, "followers"),
        "following": uris.collection(uri, "following"),
        "featured": uris.collection(uri, "featured"),
        "endpoints": {"sharedInbox": uris.shared_inbox},
        "publicKey": {
            "id": uris.key_id(uri),
            "owner": uri,
            "publicKeyPem": actor.public_key_pem,
        },
        "manuallyApprovesFollowers": actor.manually_approves_followers,
        "discoverable": actor.discoverable,
        "indexable": actor.indexable,
        "published": iso(actor.created_at),
        "updated": iso(actor.updated_at),
        "attachment": [],
        "tag": [],
    }
    if actor.summary_map:  # JSONB does not keep key order: put the author's language first
        first = {k: v for k, v in actor.summary_map.items() if k == actor.language}
        doc["summaryMap"] = {**first, **actor.summary_map}
    if actor.also_known_as:  # Interop: like Mastodon, only when set
        doc["alsoKnownAs"] = list(actor.also_known_as)
    if actor.moved_to_uri:
        doc["movedTo"] = actor.moved_to_uri
    for key, url in (("icon", actor.icon_url), ("image", actor.image_url)):
        image = _image(url)
        if image:
            doc[key] = image
    return doc


def member_to_ap(
    actor: Actor, profile: MemberProfile, uris: NodeUris, skills: Sequence[SkillTerm] = ()
) -> dict[str, Any]:
    """A member as a Person: profile fields as PropertyValue, skills as Hashtags, and the
    `skills` given (only for members who let other nodes see them) as DefinedTerm tags."""
    doc = actor_base(actor, uris)
    fields = []
    place = _place(profile.city, profile.country)
    if place:
        fields.append(_field("Based in", escape_text(place)))
    if profile.languages:
        names = (LANGUAGE_NAMES.get(code, code) for code in profile.languages)
        fields.append(_field("Languages", escape_text(", ".join(names))))
    if profile.skills:
        fields.append(_field("Skills", escape_text(", ".join(profile.skills))))
    fields.extend(_field(link["name"], _link_html(link["url"])) for link in profile.links)
    doc["attachment"] = fields
    doc["tag"] = [*defined_terms(skills), *hashtags(uris, profile.skills)]
    if profile.country:
        doc["country"] = profile.country
    if profile.city:
        doc["city"] = profile.city
    return doc


def project_to_ap(actor: Actor, project: Project, uris: NodeUris) -> dict[str, Any]:
    """A project as a Group with a members collection (Mobilizon's mz:members)."""
    doc = actor_base(actor, uris)
    doc["members"] = uris.collection(actor.uri, "members")
    fields = []
    place = _place(project.city, project.country)
    if place:
        fields.append(_field("Based in", escape_text(place)))
    if project.sectors:
        fields.append(_field("Sectors", escape_text(", ".join(project.sectors))))
    if project.website:
        fields.append(_field("Website", _link_html(project.website)))
    doc["attachment"] = fields
    doc["tag"] = hashtags(uris, project.sectors)
    if project.country:
        doc["country"] = project.country
    if project.city:
        doc["city"] = project.city
    return doc


def node_to_ap(actor: Actor, uris: NodeUris) -> dict[str, Any]:
    """The node actor as an Application; Mastodon's instance actor is shaped the same way.

    `board` (sm:board) is the collection of our open calls and upcoming events that a peer
    reads once it follows the node actor (back-fill)."""
    doc = actor_base(actor, uris)
    doc["url"] = f"{uris.base_url}/about"
    doc["manuallyApprovesFollowers"] = True
    doc["board"] = uris.collection(actor.uri, "board")
    del doc["attachment"], doc["tag"]
    return doc


def tombstone(uri: str, former_type: str, deleted: datetime) -> dict[str, Any]:
    """What a deleted object answers with (410)."""
    return {
        "@context": AS_CONTEXT,
        "id": uri,
        "type": "Tombstone",
        "formerType": former_type,
        "deleted": iso(deleted),
    }
