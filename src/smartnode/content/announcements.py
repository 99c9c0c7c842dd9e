"""Announcements: a member (as themselves) or a project (through a coordinator) publishes,
edits and deletes Notes and Articles. Each change and its Create/Update/Delete activity are
written in the caller's transaction (transactional outbox); services never commit.

The author's source (text, format, translations, hashtags) is kept in `extra["source"]` so an
edit re-renders the whole post; visibility, mentions and the thread never change on edit.
"""

from __future__ import annotations

import mimetypes
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from smartnode.actors.handles import address_of
from smartnode.actors.projects import team_row
from smartnode.actors.records import find_local_actor
from smartnode.actors.resolve import ActorResolver
from smartnode.content.audience import addressing
from smartnode.content.compose import MentionRef, body_html, excerpt, hashtag_names, plain_text
from smartnode.content.edits import keep_version
from smartnode.content.inputs import (
    AnnouncementInput,
    AnnouncementUpdate,
    AttachmentInput,
    Visibility,
)
from smartnode.content.lifecycle import local_object, publish_change, retire
from smartnode.content.notes_to_ap import CONTENT_CONTEXT
from smartnode.content.reactions import count_reply
from smartnode.content.relay import relay_change, relay_post, relaying_projects
from smartnode.errors import Forbidden, NotFound, ValidationFailed
from smartnode.federation.sanitize import escape_text
from smartnode.federation.uris import NodeUris
from smartnode.outbox.publish import new_token
from smartnode.storage.models import Actor, ContentObject
from smartnode.storage.models_profiles import ProjectMember

ANNOUNCEMENT = "announcement"
REPLY = "reply"


@dataclass(frozen=True, slots=True)
class Source:
    """What the author wrote: re-rendered on every edit."""

    content: str
    format: str
    content_map: dict[str, str]
    language: str
    hashtags: list[str]
    warning: str = ""  # a content warning (Mastodon's spoiler text), plain text

    def as_dict(self) -> dict[str, Any]:
        found: dict[str, Any] = {
            "content": self.content, "format": self.format, "language": self.language,
            "content_map": dict(self.content_map), "hashtags": list(self.hashtags),
        }  # fmt: skip
        if self.warning:
            found["warning"] = self.warning
        return found


async def mention_refs(
    resolver: ActorResolver, uris: NodeUris, mentions: list[str]
) -> list[MentionRef]:
    """The actors named by handles or actor URLs (ValidationFailed for one that is not found)."""
    refs: dict[str, MentionRef] = {}
    for mention in mentions:
        if "://" in mention:
            actor = await resolver.actor(mention)
        else:
            actor = await resolver.account(mention)
        if actor is None or actor.deleted_at is not None:
            raise ValidationFailed(f"mentions: no actor found for {mention!r}")
        refs.setdefault(actor.uri, _ref(actor, uris))
    return list(refs.values())


def _ref(actor: Actor, uris: NodeUris) -> MentionRef:
    url = actor.uri if actor.local else (actor.url or actor.uri)
    return MentionRef(uri=actor.uri, handle=address_of(actor, uris.domain), url=url)


async def _stored_refs(session: AsyncSession, uris: NodeUris, tags: list[Any]) -> list[MentionRef]:
    hrefs = [t["href"] for t in tags if isinstance(t, dict) and t.get("type") == "Mention"]
    if not hrefs:
        return []
    actors = (await session.scalars(select(Actor).where(Actor.uri.in_(hrefs)))).all()
    return [_ref(actor, uris) for actor in actors]


async def _project_of(
    session: AsyncSession, author: Actor, member: Actor, data: AnnouncementInput
) -> Actor | None:
    """The project a post belongs to: its author, or the project a member posts to."""
    if author.kind == "project":
        return author
    if data.project is None:
        if data.visibility is Visibility.TEAM:
            raise ValidationFailed("project: a team post names the project whose team it is for")
        return None
    project = await find_local_actor(session, data.project)
    if project is None or project.kind != "project" or project.deleted_at is not None:
        raise ValidationFailed(f"project: no project named {data.project!r} on this node")
    if await team_row(session, project, member) is None:
        raise Forbidden(f"{member.username!r} is not in the team of {project.username!r}")
    return project


def _attachments(items: list[AttachmentInput]) -> list[dict[str, Any]]:
    found = []
    for item in items:
        url = str(item.url)
        media = item.media_type or mimetypes.guess_type(urlsplit(url).path)[0]
        doc: dict[str, Any] = {"type": "Document", "url": url}
        if media:
            doc["mediaType"] = media
        doc["name"] = item.alt  # Interop: Mastodon takes the alt text from `name`
        found.append(doc)
    return found


def _render(obj: ContentObject, uris: NodeUris, source: Source, refs: list[MentionRef]) -> None:
    """Content, translations, tags and (for an Article) the excerpt, from the source."""
    text = source.content if source.format == "text" else plain_text(source.content)
    names = hashtag_names(text, source.hashtags)
    obj.content = body_html(uris, source.content, source.format, refs, names)
    others = {
        lang: body_html(uris, body, source.format, refs, names)
        for lang, body in source.content_map.items()
        if lang != source.language and body.strip()
    }
    obj.content_map = {source.language: obj.content, **others}
    obj.language = source.language
    mentions = [{"type": "Mention", "href": r.uri, "name": f"@{r.handle}"} for r in refs]
    hashtags = [{"type": "Hashtag", "href": uris.tag(n), "name": f"#{n}"} for n in names]
    obj.tags = mentions + hashtags
    if obj.ap_type == "Article":
        obj.summary = f"<p>{escape_text(excerpt(obj.content))}</p>"
    else:  # Interop: Mastodon takes a Note's summary as its content warning
        obj.summary = escape_text(source.warning) if source.warning else None
        obj.sensitive = bool(source.warning)
    obj.extra = {**obj.extra, "source": source.as_dict()}


async def _team_refs(session: AsyncSession, uris: NodeUris, project: Actor) -> list[MentionRef]:
    members = await session.scalars(
        select(Actor)
        .join(ProjectMember, ProjectMember.member_id == Actor.id)
        .where(ProjectMember.project_id == project.id, Actor.deleted_at.is_(None))
        .order_by(ProjectMember.id)
    )
    return [_ref(actor, uris) for actor in members.all()]


async def create_announcement(
    session: AsyncSession,
    uris: NodeUris,
    *,
    author: Actor,
    member: Actor,
    data: AnnouncementInput,
    resolver: ActorResolver,
    now: datetime,
    media: Sequence[dict[str, Any]] = (),
) -> ContentObject:
    """Store a new post by `author` (written by `member`) and publish its Create; `media`:
    the `attachment` documents of pictures uploaded here (media/attachments.py)."""
    project = await _project_of(session, author, member, data)
    refs = await mention_refs(resolver, uris, data.mentions)
    team: list[MentionRef] = []
    if data.visibility is Visibility.TEAM and project is not None:
        team = [r for r in await _team_refs(session, uris, project) if r.uri != author.uri]
    audience = addressing(data.visibility, author.uri, [r.uri for r in refs], [r.uri for r in team])
    in_reply_to = str(data.in_reply_to) if data.in_reply_to else None
    uri = uris.note(new_token(now))
    obj = ContentObject(
        uri=uri, local=True, actor_id=author.id, project_id=project.id if project else None,
        ap_type="Article" if data.name else "Note", kind=REPLY if in_reply_to else ANNOUNCEMENT,
        name=data.name, url=uri, in_reply_to_uri=in_reply_to, visibility=data.visibility.value,
        audience=audience.as_dict(), sensitive=False, extra={}, published_at=now,
        updated_at=now, attachments=[*_attachments(data.attachments), *media],
    )  # fmt: skip
    source = Source(
        content=data.content,
        format=data.format,
        content_map=dict(data.content_map),
        language=data.language or author.language,
        hashtags=list(data.hashtags),
        warning=" ".join((data.content_warning or "").split()),
    )
    known = {r.uri for r in refs}
    _render(obj, uris, source, refs + [r for r in team if r.uri not in known])
    session.add(obj)
    await session.flush()
    await count_reply(session, in_reply_to, 1)
    create = await publish_change(
        session, uris, author, obj, "Create", now, context=CONTENT_CONTEXT
    )
    if project is not None and project.id != author.id and data.visibility is Visibility.PUBLIC:
        await relay_post(session, uris, project, create.document, now)  # FEP-1b12
    return obj


def _edited(old: dict[str, Any], data: AnnouncementUpdate, default_language: str) -> Source:
    """The source after an edit: the fields given replace the stored ones."""
    return Source(
        content=old.get("content", "") if data.content is None else data.content,
        format=data.format or old.get("format", "text"),
        content_map=old.get("content_map", {}) if data.content_map is None else data.content_map,
        language=data.language or old.get("language") or default_language,
        hashtags=old.get("hashtags", []) if data.hashtags is None else data.hashtags,
        warning=str(old.get("warning") or "")
        if data.content_warning is None
        else " ".join(data.content_warning.split()),
    )


async def edit_announcement(
    session: AsyncSession,
    uris: NodeUris,
    obj: ContentObject,
    data: AnnouncementUpdate,
    now: datetime,
) -> ContentObject:
    """Change a live post and publish its Update; audience, mentions and thread stay."""
    author = await session.get(Actor, obj.actor_id)
    if author is None:
        raise NotFound("the author of this post no longer exists")
    if data.name is not None and obj.ap_type != "Article":
        raise ValidationFailed("name: only a post published with a title (an Article) has one")
    source = _edited(obj.extra.get("source", {}), data, author.language)
    await keep_version(session, obj)
    if data.name is not None:
        obj.name = data.name
    if data.attachments is not None:
        obj.attachments = _attachments(data.attachments)
    _render(obj, uris, source, await _stored_refs(session, uris, obj.tags))
    obj.updated_at = now
    await session.flush()
    update = await publish_change(
        session, uris, author, obj, "Update", now, context=CONTENT_CONTEXT
    )
    for project in await relaying_projects(session, uris, obj, author):
        await relay_change(session, uris, project, update.document, now)  # FEP-1b12
    return obj


async def delete_announcement(
    session: AsyncSession, uris: NodeUris, obj: ContentObject, now: datetime
) -> None:
    """Delete a post: it answers 410 with a Tombstone, and its audience is sent Delete."""
    author = await session.get(Actor, obj.actor_id)
    if author is None:
        raise NotFound("the author of this post no longer exists")
    await count_reply(session, obj.in_reply_to_uri, -1)
    projects = await relaying_projects(session, uris, obj, author)
    delete = await retire(session, uris, author, obj, now, context=CONTENT_CONTEXT)
    for project in projects:
        await relay_change(session, uris, project, delete.document, now)  # FEP-1b12


async def local_post(session: AsyncSession, uris: NodeUris, token: str) -> ContentObject:
    """One of our posts by token; NotFound if none, Gone if deleted."""
    return await local_object(session, uris.note(token), "post")
