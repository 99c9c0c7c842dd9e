"""Remote actors: parse a fetched actor document (pure) and keep its row up to date.

Rules (PROTOCOL.md "Origin and authority"): the key must belong to the actor (owner == id, key id
on the actor's origin, RSA ≥ 2048 or Ed25519); a stored key is replaced only on the rotation
path (a cached key failed and the actor was refetched), never by a plain profile refresh.

Handles (actors/handles.py): an actor without `preferredUsername` is accepted and named from
its id. The row keeps the handle the resolver confirmed through WebFinger (`fetched_at` = when
the document and handle were last resolved); an actor stored from its key alone (inbox edge)
is shown by the authority of its id, with `fetched_at` unset, until the resolver confirms it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from smartnode.actors.handles import derived_username
from smartnode.errors import BadRequest, Forbidden
from smartnode.federation.sanitize import clean_html
from smartnode.federation.signatures_core import authority_of
from smartnode.federation.vocab import as_list, id_of, link_href, text_of
from smartnode.federation.webfinger_client import Handle
from smartnode.storage.models import Actor, DeadInbox
from smartnode.storage.read_ahead import remote_actor

ACTOR_TYPES = frozenset({"Person", "Service", "Application", "Group", "Organization"})


class BadActor(BadRequest):
    """A remote actor document we cannot accept."""

    code = "bad_actor"


@dataclass(frozen=True, slots=True)
class RemoteActorData:
    """What we keep of a remote actor."""

    uri: str
    ap_type: str
    username: str  # preferredUsername, or derived from the id
    domain: str  # authority of the id (host[:port]); the WebFinger domain is the resolver's
    name: str
    summary: str
    inbox_uri: str
    shared_inbox_uri: str | None
    followers_uri: str | None
    url: str | None
    icon_url: str | None
    key_id: str
    public_key_pem: str
    manually_approves_followers: bool
    discoverable: bool
    indexable: bool = False
    also_known_as: list[str] = field(default_factory=list)
    moved_to_uri: str | None = None
    profile: dict[str, Any] = field(default_factory=dict)  # profile_of(doc)


def _http_url(value: Any, what: str) -> str:
    if not isinstance(value, str):
        raise BadActor(f"actor {what} is missing")
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise BadActor(f"actor {what} is not an http(s) URL")
    return value


def _optional_url(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    parts = urlsplit(value)
    return value if parts.scheme in ("http", "https") and parts.hostname else None


def _urls(value: Any) -> list[str]:
    return [u for u in (_optional_url(id_of(item)) for item in as_list(value)) if u]


def check_public_key_pem(pem: str) -> None:
    """Refuse keys that are not RSA ≥ 2048 bits or Ed25519."""
    try:
        key = serialization.load_pem_public_key(pem.encode())
    except (ValueError, TypeError, UnicodeError):
        raise BadActor("actor public key is not a PEM public key") from None
    if isinstance(key, rsa.RSAPublicKey):
        if key.key_size < 2048:
            raise BadActor("actor RSA key is shorter than 2048 bits")
    elif not isinstance(key, ed25519.Ed25519PublicKey):
        raise BadActor("actor key type is not supported (RSA or Ed25519 only)")


def _main_key(doc: dict[str, Any], actor_uri: str) -> tuple[str, str]:
    for key in as_list(doc.get("publicKey")):
        if not isinstance(key, dict):
            continue
        key_id, owner, pem = key.get("id"), id_of(key.get("owner")), key.get("publicKeyPem")
        if isinstance(key_id, str) and owner == actor_uri and isinstance(pem, str):
            if urlsplit(key_id).netloc.lower() != urlsplit(actor_uri).netloc.lower():
                raise BadActor("actor key id is on another origin than the actor")
            check_public_key_pem(pem)
            return key_id, pem
    raise BadActor("actor has no public key owned by itself")


#: At most this many profile fields and skills are kept of a remote actor.
MAX_FIELDS, MAX_SKILLS = 10, 50


def _term_ids(item: dict[str, Any]) -> list[Any]:
    return [item.get("id"), item.get("url"), item.get("sameAs")]


def profile_of(doc: dict[str, Any]) -> dict[str, Any]:
    """The profile fields (`attachment` PropertyValues: plain name, sanitised HTML value) and
    skills (`tag` DefinedTerms: a name, and an ESCO or other http(s) URI when given as `id`,
    `url` or `sameAs`) of an actor document."""
    fields = []
    for item in as_list(doc.get("attachment")):
        if isinstance(item, dict) and item.get("type") == "PropertyValue":
            name, value = text_of(item.get("name"), 100).strip(), text_of(item.get("value"), 2000)
            if name and value.strip():
                fields.append({"name": name, "value": clean_html(value)})
    skills = []
    for item in as_list(doc.get("tag")):
        if isinstance(item, dict) and item.get("type") == "DefinedTerm":
            uri = next(filter(None, map(_optional_url, _term_ids(item))), None)
            name = text_of(item.get("name"), 200).strip()
            if name:
                skills.append({"name": name, "uri": uri})
    return {"fields": fields[:MAX_FIELDS], "skills": skills[:MAX_SKILLS]}


def remote_actor_from_ap(doc: dict[str, Any]) -> RemoteActorData:
    """Validate and extract a remote actor document (already fetched from its own id)."""
    uri = _http_url(doc.get("id"), "id")
    ap_type = doc.get("type")
    if ap_type not in ACTOR_TYPES:
        raise BadActor(f"{ap_type!r} is not an actor type")
    username = text_of(doc.get("preferredUsername"), 200).strip() or derived_username(uri)
    key_id, pem = _main_key(doc, uri)
    raw_endpoints = doc.get("endpoints")
    endpoints: dict[str, Any] = raw_endpoints if isinstance(raw_endpoints, dict) else {}
    moved = _optional_url(id_of(doc.get("movedTo")))
    return RemoteActorData(
        uri=uri,
        ap_type=str(ap_type),
        username=username,
        domain=authority_of(uri),
        name=text_of(doc.get("name"), 200),
        summary=clean_html(text_of(doc.get("summary"), 20_000)),
        inbox_uri=_http_url(id_of(doc.get("inbox")), "inbox"),
        shared_inbox_uri=_optional_url(id_of(endpoints.get("sharedInbox"))),
        followers_uri=_optional_url(id_of(doc.get("followers"))),
        url=_optional_url(link_href(doc.get("url"))),
        icon_url=_optional_url(link_href(doc.get("icon"))),
        key_id=key_id,
        public_key_pem=pem,
        manually_approves_followers=doc.get("manuallyApprovesFollowers") is True,
        discoverable=doc.get("discoverable") is True,
        indexable=doc.get("indexable") is True,
        also_known_as=[
            u for u in (_optional_url(id_of(a)) for a in as_list(doc.get("alsoKnownAs"))) if u
        ][:20],
        moved_to_uri=moved,
        profile=profile_of(doc),
    )


async def get_remote_actor(session: AsyncSession, uri: str) -> Actor | None:
    read = remote_actor(session, uri)  # the worker's groups read their senders ahead
    if read is not None:
        return read
    return await session.scalar(select(Actor).where(Actor.uri == uri, Actor.local.is_(False)))


async def store_remote_actor(
    session: AsyncSession,
    data: RemoteActorData,
    now: datetime,
    *,
    key_rotation: bool = False,
    handle: Handle | None = None,
) -> Actor:
    """Insert or refresh a remote actor row. A different key is taken only when `key_rotation`;
    `handle` is the one WebFinger confirmed (None: stored from its key alone, not resolved)."""
    actor = await session.scalar(select(Actor).where(Actor.uri == data.uri))
    if actor is not None and actor.local:
        raise Forbidden("a remote document claims one of our own actor ids")
    if actor is None:
        actor = Actor(uri=data.uri, local=False, kind="remote", created_at=now, summary_map={})
        session.add(actor)
    elif actor.public_key_pem != data.public_key_pem and not key_rotation:
        raise Forbidden("a refetched actor may not silently swap its key")
    actor.ap_type = data.ap_type
    _keep_handle(actor, data, handle, now)
    actor.name = data.name
    actor.summary = data.summary
    actor.inbox_uri = data.inbox_uri
    actor.shared_inbox_uri = data.shared_inbox_uri
    actor.followers_uri = data.followers_uri
    actor.url = data.url
    actor.icon_url = data.icon_url
    actor.key_id = data.key_id
    actor.public_key_pem = data.public_key_pem
    actor.manually_approves_followers = data.manually_approves_followers
    actor.discoverable = data.discoverable
    actor.indexable = data.indexable
    actor.also_known_as = data.also_known_as
    actor.moved_to_uri = data.moved_to_uri
    actor.remote_profile = data.profile
    actor.deleted_at = None
    actor.updated_at = now
    await revive_inboxes(session, actor)
    await session.flush()
    return actor


def _keep_handle(actor: Actor, data: RemoteActorData, handle: Handle | None, now: datetime) -> None:
    """A confirmed handle is taken (and the row counts as resolved); without one, a new or
    renamed actor is shown by the authority of its id until the resolver confirms it."""
    if handle is not None:
        actor.username, actor.domain, actor.fetched_at = handle.username, handle.host, now
    elif actor.domain is None or actor.username.lower() != data.username.lower():
        actor.username, actor.domain, actor.fetched_at = data.username, data.domain, None


async def revive_inboxes(session: AsyncSession, actor: Actor) -> None:
    """An actor that shows life (its document answers, it signs a request) gets deliveries again."""
    inboxes = [uri for uri in (actor.inbox_uri, actor.shared_inbox_uri) if uri]
    if inboxes:
        await session.execute(delete(DeadInbox).where(DeadInbox.inbox_uri.in_(inboxes)))
