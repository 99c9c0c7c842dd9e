"""Mastodon's entities (Account, CredentialAccount, Relationship, Status) from our rows, with
the fields of Mastodon's REST serializers: ids as strings, times as ISO 8601 with milliseconds
and Z, `acct` as `user` for ours and `user@domain` for others, HTML as stored (sanitised).

Our open calls are Notes (their `content` ends with the "reply to apply" line); our events and
titled posts are Mastodon's "converted" types, which a Mastodon server shows as their title,
their summary and a link: so do we. Rendering is pure; `Renderer` loads what a list needs in
a fixed number of queries.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from smartnode.actors.account_views import Counts, Relationship, counts_of, profiles_of
from smartnode.actors.handles import address_of
from smartnode.actors.to_ap import member_to_ap, project_to_ap
from smartnode.api.mastodon.media_entities import status_media
from smartnode.content.compose import plain_text
from smartnode.content.statuses import Companions, companions
from smartnode.federation.sanitize import escape_text
from smartnode.federation.uris import NodeUris
from smartnode.storage.models import Actor, ContentObject
from smartnode.storage.models_profiles import MemberProfile, Project

VISIBILITY = {"public": "public", "unlisted": "unlisted", "followers": "private",
              "team": "private", "direct": "direct"}  # fmt: skip
CONVERTED = ("Event", "Article", "Page")
MISSING_IMAGE = "/static/missing.png"


def iso_ms(moment: datetime) -> str:
    """`2026-12-06T02:40:42.123Z`, as Mastodon writes times."""
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def acct_of(actor: Actor, domain: str) -> str:
    """`user` for our actors, `user@domain` for others."""
    return actor.username if actor.local else address_of(actor, domain)


def _fields(actor: Actor, profile: MemberProfile | Project | None, uris: NodeUris) -> list[Any]:
    if actor.local and isinstance(profile, MemberProfile):
        doc = member_to_ap(actor, profile, uris)
    elif actor.local and isinstance(profile, Project):
        doc = project_to_ap(actor, profile, uris)
    else:
        doc = {"attachment": actor.remote_profile.get("fields") or []}
    return [
        {"name": str(f.get("name", "")), "value": str(f.get("value", "")), "verified_at": None}
        for f in doc["attachment"]
        if isinstance(f, dict)
    ]


def account_entity(
    actor: Actor, counts: Counts, profile: MemberProfile | Project | None, uris: NodeUris
) -> dict[str, Any]:
    """Mastodon's Account."""
    avatar = actor.icon_url or f"{uris.base_url}{MISSING_IMAGE}"
    header = actor.image_url or f"{uris.base_url}{MISSING_IMAGE}"
    found: dict[str, Any] = {
        "id": str(actor.id),
        "username": actor.username,
        "acct": acct_of(actor, uris.domain),
        "display_name": actor.name or "",
        "locked": actor.manually_approves_followers,
        "bot": actor.ap_type in ("Application", "Service"),
        "discoverable": actor.discoverable,
        "indexable": actor.indexable,
        "group": actor.ap_type == "Group",
        "created_at": iso_ms(actor.created_at.replace(hour=0, minute=0, second=0, microsecond=0)),
        "note": actor.summary or "",
        "url": actor.uri if actor.local else (actor.url or actor.uri),
        "uri": actor.uri,
        "avatar": avatar,
        "avatar_static": avatar,
        "header": header,
        "header_static": header,
        "followers_count": counts.followers,
        "following_count": counts.following,
        "statuses_count": counts.statuses,
        "last_status_at": counts.last_status_at.date().isoformat()
        if counts.last_status_at
        else None,
        "hide_collections": actor.hide_network,
        "emojis": [],
        "roles": [],
        "fields": _fields(actor, profile, uris),
    }
    if actor.local:
        found["noindex"] = not actor.indexable
    return found


def source_of(account: dict[str, Any], actor: Actor, requests: int) -> dict[str, Any]:
    """CredentialAccount's `source`: what the member edits, as plain text."""
    return {
        "privacy": "public",
        "sensitive": False,
        "language": actor.language,
        "note": plain_text(actor.summary or ""),
        "fields": [
            {"name": f["name"], "value": plain_text(f["value"]), "verified_at": None}
            for f in account["fields"]
        ],
        "follow_requests_count": requests,
        "hide_collections": actor.hide_network,
        "discoverable": actor.discoverable,
        "indexable": actor.indexable,
        "attribution_domains": [],
    }


ROLE = {"id": "-99", "name": "", "permissions": "0", "color": "", "highlighted": False}


def relationship_entity(found: Relationship) -> dict[str, Any]:
    """Mastodon's Relationship (domain blocks of a member and notes are not kept: false)."""
    return {
        "id": str(found.account_id),
        "following": found.following,
        "showing_reblogs": found.following,
        "notifying": False,
        "languages": None,
        "followed_by": found.followed_by,
        "blocking": found.standing.blocking,
        "blocked_by": found.standing.blocked_by,
        "muting": found.standing.muting,
        "muting_notifications": found.standing.muting_notifications,
        "requested": found.requested,
        "requested_by": found.requested_by,
        "domain_blocking": False,
        "endorsed": False,
        "note": "",
    }


def status_content(obj: ContentObject) -> tuple[str, str]:
    """(content, spoiler_text) as a Mastodon server shows our object: a Note's HTML and its
    content warning; a converted type's title, summary and link."""
    if obj.ap_type in CONVERTED:
        url = escape_text(obj.url or obj.uri)
        parts = [f"<p><strong>{escape_text(obj.name)}</strong></p>" if obj.name else "",
                 obj.summary or "", f'<p><a href="{url}">{url}</a></p>']  # fmt: skip
        return "".join(parts), ""
    return obj.content or "", html.unescape(plain_text(obj.summary)) if obj.summary else ""


def _tags(obj: ContentObject, uris: NodeUris) -> list[dict[str, str]]:
    names = [str(t.get("name", "")).lstrip("#") for t in obj.tags
             if isinstance(t, dict) and t.get("type") == "Hashtag"]  # fmt: skip
    return [{"name": n.lower(), "url": uris.tag(n)} for n in dict.fromkeys(names) if n]


def _mentions(obj: ContentObject, extra: Companions, uris: NodeUris) -> list[dict[str, str]]:
    found = []
    for tag in obj.tags:
        actor = extra.mentioned.get(tag.get("href", "")) if isinstance(tag, dict) else None
        if actor is not None and tag.get("type") == "Mention":
            found.append({"id": str(actor.id), "username": actor.username,
                          "url": actor.uri if actor.local else (actor.url or actor.uri),
                          "acct": acct_of(actor, uris.domain)})  # fmt: skip
    return found


def status_entity(
    obj: ContentObject, account: dict[str, Any], extra: Companions, uris: NodeUris,
    *, viewer_id: int | None = None,
) -> dict[str, Any]:  # fmt: skip
    """Mastodon's Status."""
    content, spoiler = status_content(obj)
    parent = extra.parents.get(obj.in_reply_to_uri or "")
    found: dict[str, Any] = {
        "id": str(obj.id),
        "created_at": iso_ms(obj.published_at),
        "in_reply_to_id": str(parent[0]) if parent else None,
        "in_reply_to_account_id": str(parent[1]) if parent else None,
        "sensitive": obj.sensitive or bool(spoiler),
        "spoiler_text": spoiler,
        "visibility": VISIBILITY.get(obj.visibility, "direct"),
        "language": obj.language,
        "uri": obj.uri,
        "url": obj.url or obj.uri,
        "replies_count": obj.replies_count,
        "reblogs_count": obj.announces_count,
        "favourites_count": obj.likes_count,
        "edited_at": iso_ms(obj.updated_at) if obj.updated_at != obj.published_at else None,
        "content": content,
        "reblog": None,
        "application": None,
        "account": account,
        "media_attachments": status_media(obj),
        "mentions": _mentions(obj, extra, uris),
        "tags": _tags(obj, uris),
        "emojis": [],
        "card": None,
        "poll": None,
    }
    if viewer_id is not None:
        found.update({
            "favourited": (obj.id, "like") in extra.reacted,
            "reblogged": (obj.id, "announce") in extra.reacted,
            "muted": False, "bookmarked": obj.id in extra.bookmarked, "filtered": [],
        })  # fmt: skip
        if obj.actor_id == viewer_id:
            found["pinned"] = obj.id in extra.pinned
    return found


@dataclass(frozen=True, slots=True)
class Renderer:
    """Renders accounts and statuses of one request, loading what they need in batches."""

    session: AsyncSession
    uris: NodeUris

    async def accounts(self, actors: Sequence[Actor]) -> dict[int, dict[str, Any]]:
        """Account entities by actor id."""
        counts = await counts_of(self.session, [a.id for a in actors])
        profiles = await profiles_of(self.session, actors)
        return {a.id: account_entity(a, counts[a.id], profiles.get(a.id), self.uris)
                for a in actors}  # fmt: skip

    async def account(self, actor: Actor) -> dict[str, Any]:
        return (await self.accounts([actor]))[actor.id]

    async def credential_account(self, member: Actor) -> dict[str, Any]:
        """Mastodon's CredentialAccount of the member: two statements."""
        counts = (await counts_of(self.session, [member.id], requests=True))[member.id]
        profile = (await profiles_of(self.session, [member])).get(member.id)
        account = account_entity(member, counts, profile, self.uris)
        return {**account, "source": source_of(account, member, counts.requests), "role": ROLE}

    async def statuses(
        self, items: Sequence[tuple[ContentObject, Actor]], viewer: Actor | None
    ) -> list[dict[str, Any]]:
        """Status entities, in the order given."""
        accounts = await self.accounts(list({a.id: a for _, a in items}.values()))
        extra = await companions(self.session, [obj for obj, _ in items], viewer)
        viewer_id = viewer.id if viewer is not None else None
        return [status_entity(obj, accounts[author.id], extra, self.uris, viewer_id=viewer_id)
                for obj, author in items]  # fmt: skip

    async def status(
        self, obj: ContentObject, author: Actor, viewer: Actor | None
    ) -> dict[str, Any]:
        return (await self.statuses([(obj, author)], viewer))[0]
