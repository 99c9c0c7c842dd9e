"""The node actor (Application): signs server-to-server fetches and represents the node."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from smartnode.actors.identity import check_node_identity
from smartnode.actors.records import new_local_actor
from smartnode.config import Settings
from smartnode.federation.keys import decrypt_private_key, load_private_key
from smartnode.federation.signer import HttpSignatureAuth
from smartnode.federation.uris import ActorKind, NodeUris
from smartnode.storage.models import Actor


def node_username(settings: Settings) -> str:
    """Interop: like Mastodon's instance actor, preferredUsername is the handle domain's host."""
    return settings.domain.split(":")[0]


async def get_node_actor(session: AsyncSession) -> Actor | None:
    return await session.scalar(
        select(Actor).where(Actor.local.is_(True), Actor.kind == ActorKind.NODE.value)
    )


async def ensure_node_actor(session: AsyncSession, settings: Settings, now: datetime) -> Actor:
    """The node actor, created with its keys on first use; kept in step with the settings.

    IdentityMismatch when the settings name another node than the database's."""
    await check_node_identity(session, settings, now)
    actor = await get_node_actor(session)
    if actor is None:
        return await new_local_actor(
            session,
            settings,
            kind=ActorKind.NODE,
            username=node_username(settings),
            name=settings.node_name,
            summary=settings.node_description,
            summary_map={},
            language="en",
            now=now,
        )
    if actor.name != settings.node_name:
        actor.name = settings.node_name
        actor.updated_at = now
    return actor


def node_signer(actor: Actor, settings: Settings) -> HttpSignatureAuth:
    """The node actor's signer for server-to-server GETs (authorized-fetch peers, key lookups)."""
    private_pem = decrypt_private_key(actor.private_key_enc or "", settings.secret())
    return HttpSignatureAuth(NodeUris.key_id(actor.uri), load_private_key(private_pem))
