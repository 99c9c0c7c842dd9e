"""Output models of the native API's post routes, and how rows become them."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from smartnode.actors.handles import handle_of
from smartnode.api.v1.schemas import ErrorOut
from smartnode.content.inputs import Visibility
from smartnode.federation.uris import NodeUris
from smartnode.storage.models import Actor, ContentObject


class AttachmentOut(BaseModel):
    url: str
    alt: str
    media_type: str | None


class PostOut(BaseModel):
    """An announcement as published (Note, or Article when it has a title)."""

    id: str = Field(description="The post's token: /api/smart/v1/posts/{id}.")
    uri: str = Field(description="ActivityPub id of the Note or Article (also its page).")
    type: Literal["Note", "Article"]
    author: str = Field(description="ActivityPub id of the member or project who posted.")
    author_handle: str
    project: str | None = Field(description="Slug of the project the post belongs to.")
    visibility: Visibility
    name: str | None = Field(description="Title (Articles only).")
    content: str = Field(description="Sanitised HTML in `language`.")
    content_map: dict[str, str] = Field(description="HTML by language, `language` first.")
    summary: str | None = Field(description="Plain excerpt of an Article, as HTML.")
    language: str | None
    mentions: list[str] = Field(description="ActivityPub ids of the mentioned actors.")
    hashtags: list[str] = Field(description="Hashtag names, without `#`.")
    attachments: list[AttachmentOut]
    in_reply_to: str | None
    replies_count: int
    likes_count: int
    announces_count: int
    published_at: datetime
    updated_at: datetime


class PostPage(BaseModel):
    """One page of posts, newest first."""

    items: list[PostOut]
    next: str | None = Field(description="URL of the next (older) page; null on the last page.")


def post_out(obj: ContentObject, author: Actor, project: Actor | None, uris: NodeUris) -> PostOut:
    return PostOut(
        id=obj.uri.rsplit("/", 1)[-1],
        uri=obj.uri,
        type="Article" if obj.ap_type == "Article" else "Note",
        author=author.uri,
        author_handle=handle_of(author, uris.domain),
        project=project.username if project is not None else None,
        visibility=Visibility(obj.visibility),
        name=obj.name,
        content=obj.content,
        content_map=obj.content_map,
        summary=obj.summary,
        language=obj.language,
        mentions=[t["href"] for t in obj.tags if t.get("type") == "Mention"],
        hashtags=[t["name"].lstrip("#") for t in obj.tags if t.get("type") == "Hashtag"],
        attachments=[
            AttachmentOut(url=a["url"], alt=a.get("name", ""), media_type=a.get("mediaType"))
            for a in obj.attachments
        ],
        in_reply_to=obj.in_reply_to_uri,
        replies_count=obj.replies_count,
        likes_count=obj.likes_count,
        announces_count=obj.announces_count,
        published_at=obj.published_at,
        updated_at=obj.updated_at,
    )


_DESCRIBED = {
    401: "Missing or invalid token (send `Authorization: Bearer <token>`).",
    403: "The token's member may not post as this actor or change this post.",
    404: "No such member, project or post (non-public posts are not shown here).",
    410: "The actor or the post was deleted.",
    422: "Invalid input; `error` names the field.",
    502: "A mentioned actor's server could not be reached; try again later.",
}


def post_errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` entries for the given error statuses, and 422."""
    return {s: {"model": ErrorOut, "description": _DESCRIBED[s]} for s in sorted({*statuses, 422})}
