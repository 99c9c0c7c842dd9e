"""Who a post is addressed to (pure): visibility → to/cc, and back from a remote object.

Interop: the same addressing as Mastodon's ActivityPub::TagManager#to/#cc. Public: to Public,
cc followers; unlisted: to followers, cc Public; followers: to followers; direct: the mentioned
actors only. Mentioned actors go in cc (in to for direct). A project's team post goes to its
team members, each also a Mention so Mastodon shows it as a direct message.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from smartnode.content.inputs import Visibility
from smartnode.federation.uris import NodeUris
from smartnode.federation.vocab import PUBLIC, as_list, id_of

PUBLIC_SPELLINGS = frozenset({PUBLIC, "as:Public", "Public"})
#: Visibilities whose objects anyone may read (and whose Create goes in the outbox).
OPEN = frozenset({Visibility.PUBLIC, Visibility.UNLISTED})


@dataclass(frozen=True, slots=True)
class Addressing:
    """The `to` and `cc` of an object and of the activity that carries it."""

    to: list[str]
    cc: list[str]

    def as_dict(self) -> dict[str, list[str]]:
        return {"to": list(self.to), "cc": list(self.cc)}


def _unique(items: Sequence[str]) -> list[str]:
    return list(dict.fromkeys(items))


def addressing(
    visibility: Visibility, author_uri: str, mentions: Sequence[str], team: Sequence[str] = ()
) -> Addressing:
    """to/cc of a post by `author_uri` mentioning `mentions` (team: the project's members)."""
    followers = NodeUris.collection(author_uri, "followers")
    others = [m for m in _unique(mentions) if m != author_uri]
    if visibility is Visibility.PUBLIC:
        return Addressing([PUBLIC], _unique([followers, *others]))
    if visibility is Visibility.UNLISTED:
        return Addressing([followers], _unique([PUBLIC, *others]))
    if visibility is Visibility.FOLLOWERS:
        return Addressing([followers], others)
    if visibility is Visibility.TEAM:
        members = [m for m in _unique(team) if m != author_uri]
        return Addressing(members, [m for m in others if m not in members])
    return Addressing(others, [])


def iris_of(value: Any, limit: int = 500) -> list[str]:
    """The IRIs of a to/cc value (string, object or list), deduplicated, at most `limit`."""
    found = [iri for iri in (id_of(item) for item in as_list(value)) if iri]
    return _unique(found)[:limit]


def visibility_of(to: list[str], cc: list[str], followers_uri: str | None) -> Visibility:
    """A remote object's visibility from its addressing, as Mastodon's StatusParser reads it."""
    if PUBLIC_SPELLINGS & set(to):
        return Visibility.PUBLIC
    if PUBLIC_SPELLINGS & set(cc):
        return Visibility.UNLISTED
    if followers_uri and followers_uri in to:
        return Visibility.FOLLOWERS
    return Visibility.DIRECT


def recipients(audience: dict[str, Any]) -> list[str]:
    """Every IRI a stored audience names."""
    return _unique([*iris_of(audience.get("to")), *iris_of(audience.get("cc"))])
