"""Reading and creating local actor rows (shared by members, projects and the node)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from smartnode.config import Settings
from smartnode.errors import Conflict, Gone, NotFound
from smartnode.federation.keys import encrypt_private_key, generate_rsa_keypair
from smartnode.federation.sanitize import clean_html
from smartnode.federation.uris import ActorKind, NodeUris
from smartnode.storage.models import Actor

AP_TYPES = {
    ActorKind.NODE: "Application",
    ActorKind.MEMBER: "Person",
    ActorKind.PROJECT: "Group",
    ActorKind.FEED: "Service",
}


def node_uris(settings: Settings) -> NodeUris:
    return NodeUris(base_url=settings.base_url, domain=settings.domain)


async def username_taken(session: AsyncSession, username: str) -> bool:
    found = await session.scalar(
        select(Actor.id).where(Actor.local.is_(True), Actor.username == username)
    )
    return found is not None


async def new_local_actor(
    session: AsyncSession,
    settings: Settings,
    *,
    kind: ActorKind,
    username: str,
    name: str,
    summary: str,
    summary_map: dict[str, str],
    language: str,
    now: datetime,
) -> Actor:
    """Insert a local actor with a fresh RSA-2048 key (private half encrypted at rest)."""
    if await username_taken(session, username):
        raise Conflict(f"the name {username!r} is already taken on this node")
    private_pem, public_pem = generate_rsa_keypair()
    translations = {lang: clean_html(text) for lang, text in summary_map.items() if text}
    summary_html = clean_html(summary) or translations.get(language, "")
    if summary_html:  # the author's language first, as contentMap readers expect
        others = {lang: text for lang, text in translations.items() if lang != language}
        translations = {language: summary_html, **others}
    uri = node_uris(settings).actor(kind, username)
    actor = Actor(
        uri=uri,
        key_id=NodeUris.key_id(uri),
        local=True,
        kind=kind.value,
        ap_type=AP_TYPES[kind],
        username=username,
        domain=None,
        name=name,
        summary=summary_html,
        summary_map=translations,
        language=language,
        public_key_pem=public_pem,
        private_key_enc=encrypt_private_key(private_pem, settings.secret()),
        created_at=now,
        updated_at=now,
    )
    session.add(actor)
    await session.flush()
    return actor


async def get_local_actor(session: AsyncSession, kind: ActorKind, username: str) -> Actor:
    """The local actor of that kind and name; NotFound if none, Gone if deleted."""
    actor = await session.scalar(
        select(Actor).where(
            Actor.local.is_(True), Actor.kind == kind.value, Actor.username == username.lower()
        )
    )
    if actor is None:
        raise NotFound(f"no {kind.value} named {username!r} on this node")
    if actor.deleted_at is not None:
        raise Gone(f"{kind.value} {username!r} was deleted")
    return actor


async def find_local_actor(session: AsyncSession, username: str) -> Actor | None:
    """Any local actor (member, project or node) by username, deleted ones included."""
    return await session.scalar(
        select(Actor).where(Actor.local.is_(True), Actor.username == username.lower())
    )


async def count_live(session: AsyncSession, kind: ActorKind) -> int:
    """How many local actors of a kind exist and are not deleted."""
    found = await session.scalar(
        select(func.count())
        .select_from(Actor)
        .where(Actor.local.is_(True), Actor.kind == kind.value, Actor.deleted_at.is_(None))
    )
    return int(found or 0)


def set_summaries(actor: Actor, summary: str | None, summary_map: dict[str, str] | None) -> None:
    """A changed bio: `summary` in the actor's language, `summary_map` its translations
    (None: unchanged); the stored map keeps the actor's language first."""
    translations = {
        lang: clean_html(text) for lang, text in (summary_map or actor.summary_map).items() if text
    }
    if summary is not None:
        translations[actor.language] = clean_html(summary)
    actor.summary = translations.get(actor.language, "")
    others = {k: v for k, v in translations.items() if k != actor.language and v}
    actor.summary_map = {actor.language: actor.summary, **others} if actor.summary else others


def set_images(actor: Actor, given: dict[str, Any]) -> None:
    """The avatar and header given in a change (null clears one)."""
    for url_field, column in (("avatar_url", "icon_url"), ("header_url", "image_url")):
        if url_field in given:
            value = given[url_field]
            setattr(actor, column, str(value) if value else None)
