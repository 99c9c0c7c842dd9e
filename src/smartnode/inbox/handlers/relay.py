"""FEP-1b12 both ways: a Group we follow announces its members' activities (Announce of a
Create, Update or Delete), and our projects relay the public posts their team members (of any
node) address to them.

Inbound rules (PROTOCOL.md "Origin and authority"): the announcer is a Group one of our actors
follows; the inner object is trusted embedded only when it is on the Group's own origin (the
Group signed it), otherwise it is refetched from its own origin and nothing is stored if that
fails; the inner actor must be the object's attributedTo and on its origin; a Delete counts
only from the stored owner and only when the origin no longer serves the object. Nothing is
counted as a boost; duplicates are ignored.
"""

from __future__ import annotations

from typing import Any

from smartnode.content.notes_from_ap import BadNote, RemoteNote, note_from_ap
from smartnode.content.reactions import count_reply
from smartnode.content.relay import addressed_to, is_public, relay_post, relays
from smartnode.content.remote import (
    apply_note,
    deleted_before,
    fetch_object,
    followed_here,
    purge,
    store_note,
    stored_object,
)
from smartnode.federation.vocab import first_id, id_of
from smartnode.inbox.context import (
    InboxContext,
    Incoming,
    Outcome,
    ignored,
    mark_deleted,
    processed,
    same_origin,
)
from smartnode.storage.models import Actor, ContentObject

RELAYED = frozenset({"Create", "Update", "Delete"})
#: Activities a Group may announce that we do not take (FEP-1b12 also relays these).
OTHER_ACTIVITIES = frozenset({"Like", "Dislike", "Announce", "Undo", "Add", "Remove", "Follow"})


async def on_group_announce(ctx: InboxContext, incoming: Incoming) -> Outcome | None:
    """An Announce of an activity; None when the Announce is of an object."""
    inner = incoming.object
    if not isinstance(inner, dict):
        return None
    kind = inner.get("type")
    if kind in OTHER_ACTIVITIES:
        return ignored(f"a relayed {kind} is not handled")
    if kind not in RELAYED:
        return None
    group = await ctx.resolver.actor(incoming.actor_uri)
    if group is None or group.local or group.ap_type != "Group":
        return ignored("Announce of an activity is not handled yet unless a Group relays it")
    if not await followed_here(ctx, group.uri):
        return ignored("the relaying Group is followed by no one here")
    actor_uri, object_id = first_id(inner.get("actor")), id_of(inner.get("object"))
    if actor_uri is None or object_id is None:
        return ignored(f"the relayed {kind} names no actor or object")
    if ctx.uris.is_local(object_id) or ctx.uris.is_local(actor_uri):
        return ignored("the relayed activity is about one of our own objects")
    if not same_origin(object_id, actor_uri):
        return ignored("the relayed object is not on its actor's origin")
    if kind == "Delete":
        return await _relayed_delete(ctx, actor_uri, object_id)
    return await _relayed_note(ctx, group, inner, (actor_uri, object_id))


async def _verified_note(
    ctx: InboxContext, group: Actor, inner: dict[str, Any], actor_uri: str, object_id: str
) -> RemoteNote | str:
    """The relayed note, trusted only from the Group's origin, else refetched from its own."""
    embedded = inner.get("object")
    trusted = isinstance(embedded, dict) and same_origin(object_id, group.uri)
    document = embedded if trusted else await fetch_object(ctx, object_id)
    if not isinstance(document, dict):
        return "the relayed object could not be fetched from its origin"
    try:
        note = note_from_ap(document, ctx.now)
    except BadNote as error:
        return error.message
    if note.uri != object_id:
        return "the fetched object has another id"
    if note.attributed_to != actor_uri:
        return "the relayed object is not attributed to the relayed activity's actor"
    return note


async def _relayed_note(
    ctx: InboxContext, group: Actor, inner: dict[str, Any], ids: tuple[str, str]
) -> Outcome:
    """A relayed Create or Update: stored (or changed) as a Create or Update would be."""
    actor_uri, object_id = ids
    if await deleted_before(ctx, object_id, actor_uri):
        return ignored("the relayed object was deleted")
    stored = await stored_object(ctx, object_id)
    if stored is not None and inner.get("type") == "Create":
        return ignored("the relayed object is stored already")
    note = await _verified_note(ctx, group, inner, actor_uri, object_id)
    if isinstance(note, str):
        return ignored(note)
    author = await ctx.resolver.actor(actor_uri)
    if author is None or author.local:
        return ignored("the author of the relayed object could not be resolved")
    if stored is None:
        await store_note(ctx, note, author)
        return processed(f"relayed {note.ap_type} stored")
    if stored.local or stored.actor_id != author.id or stored.deleted_at is not None:
        return ignored("only the stored owner may change an object")
    apply_note(stored, note)
    stored.updated_at = note.updated_at or ctx.now
    await ctx.session.flush()
    return processed(f"relayed {note.ap_type} updated")


async def _relayed_delete(ctx: InboxContext, actor_uri: str, object_id: str) -> Outcome:
    """A relayed Delete counts when the owner's origin no longer serves the object."""
    stored = await stored_object(ctx, object_id)
    if stored is None:
        return ignored("the relayed Delete is of nothing stored here")
    owner = await ctx.session.get(Actor, stored.actor_id)
    if stored.local or owner is None or owner.uri != actor_uri:
        return ignored("only the stored owner may delete an object")
    if stored.deleted_at is not None:
        return ignored("the object was deleted already")
    still = await fetch_object(ctx, object_id)
    if still is not None and still.get("type") != "Tombstone":
        return ignored("the relayed Delete is refuted: the origin still serves the object")
    await _delete(ctx, stored, actor_uri)
    return processed(f"relayed Delete of a {stored.ap_type}")


async def _delete(ctx: InboxContext, stored: ContentObject, actor_uri: str) -> None:
    await mark_deleted(ctx, stored.uri, actor_uri)
    stored.deleted_at = ctx.now
    purge(stored)
    await ctx.session.flush()
    await count_reply(ctx.session, stored.in_reply_to_uri, -1)


async def relay_members_post(
    ctx: InboxContext, incoming: Incoming, note: RemoteNote, author: Actor
) -> int:
    """Our projects named in a stored remote post relay it when its author is in their team;
    how many did."""
    if not is_public(note.to, note.cc):
        return 0
    relayed = 0
    named = [uri.removesuffix("/followers") for uri in [*note.to, *note.cc]]
    for uri in dict.fromkeys(named):
        project = await ctx.resolver.actor(uri) if ctx.uris.parse_actor(uri) else None
        if project is None or project.kind != "project":
            continue
        if not addressed_to(project, note.to, note.cc):
            continue
        if await relays(ctx.session, project, author):
            await relay_post(ctx.session, ctx.uris, project, incoming.body, ctx.now)
            relayed += 1
    return relayed
