"""The handle a person reads for an actor, `@username@domain`: built here and nowhere else.

Local actors: `@username@SMARTNODE_DOMAIN` (the domain may carry a port). Remote actors: the
username and domain the resolver stored (actors/resolve.py): the WebFinger domain once the
handle the actor claims loops back to it, as Mastodon checks it, else the authority of its id
(host, and port unless the scheme's default). An actor without `preferredUsername` is named
by `derived_username` of its id.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import unquote, urlsplit

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from smartnode.actors.names import to_ascii
from smartnode.federation.signatures_core import authority_of
from smartnode.storage.models import Actor

#: The username column's width.
MAX_DERIVED = 64
_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]+")
_EDGES = "._-"


def handle_for(username: str, domain: str) -> str:
    """`@username@domain`."""
    return f"@{username}@{domain}"


def remote_domain(uri: str, domain: str | None) -> str:
    """A remote actor's handle domain: the stored one, else the authority of its id."""
    if domain:
        return domain
    try:
        return authority_of(uri)
    except ValueError:
        return ""


def handle_of(actor: Actor, local_domain: str) -> str:
    """The handle of any actor row; `local_domain` is SMARTNODE_DOMAIN."""
    if actor.local:
        return handle_for(actor.username, local_domain)
    return handle_for(actor.username, remote_domain(actor.uri, actor.domain))


def address_of(actor: Actor, local_domain: str) -> str:
    """`username@domain`: the handle without its leading `@` (as WebFinger's `acct:` has it)."""
    return handle_of(actor, local_domain).removeprefix("@")


async def handles_by_uri(
    session: AsyncSession, uris: Iterable[str], local_domain: str
) -> dict[str, str]:
    """The handles of the actors among `uris` that we know (other strings are left out)."""
    wanted = {u for u in uris if u.startswith(("https://", "http://"))}
    if not wanted:
        return {}
    rows = await session.scalars(select(Actor).where(Actor.uri.in_(sorted(wanted))))
    return {actor.uri: handle_of(actor, local_domain) for actor in rows}


def derived_username(uri: str) -> str:
    """The name of an actor without `preferredUsername`, made from its id.

    The last non-empty path segment, percent-decoded and made ASCII (accents stripped, every
    other run of characters outside `A-Za-z0-9_.-` becomes `_`), at most 64 characters;
    the id's host when that leaves nothing (`https://bsky.brid.gy/ap/did:plc:x1` → `did_plc_x1`,
    `https://relay.example/` → `relay.example`)."""
    parts = urlsplit(uri)
    segments = [s for s in parts.path.split("/") if s]
    name = _clean(unquote(segments[-1])) if segments else ""
    return name or _clean(parts.hostname or "") or "actor"


def _clean(text: str) -> str:
    return _UNSAFE.sub("_", to_ascii(text)).strip(_EDGES)[:MAX_DERIVED].strip(_EDGES)
