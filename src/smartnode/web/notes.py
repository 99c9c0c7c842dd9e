"""The HTML page of one of our notes (api/objects.py negotiates and calls `note_page`), and
the public replies every note, event and call page shows beneath it.

Only the content, its translations and replies' content (sanitised when stored) are marked safe.
"""

from __future__ import annotations

import html
from typing import Any

from fastapi import Request
from fastapi.responses import Response
from markupsafe import Markup
from sqlalchemy.ext.asyncio import AsyncSession

from smartnode.actors.handles import handle_of
from smartnode.actors.to_ap import iso
from smartnode.config import Settings
from smartnode.content.compose import excerpt
from smartnode.content.threads import Item, open_replies
from smartnode.storage.models import Actor, ContentObject
from smartnode.web.i18n import language_name
from smartnode.web.page_actions import note_actions
from smartnode.web.pages import render


def _attachments(obj: ContentObject) -> list[dict[str, Any]]:
    return [
        {
            "url": item["url"],
            "alt": item.get("name", ""),
            "image": str(item.get("mediaType", "")).startswith("image/"),
        }
        for item in obj.attachments
        if str(item.get("url", "")).startswith(("https://", "http://"))
    ]


def note_view(obj: ContentObject, author: Actor, settings: Settings) -> dict[str, Any]:
    """What a note's page shows; its hashtags apart only when the text does not link them
    already (ours and Mastodon's always do: shown twice otherwise)."""
    tags = [
        {"text": t["name"], "url": t["href"]}
        for t in obj.tags
        if t.get("type") == "Hashtag"
        and t.get("href")
        and f'href="{html.escape(str(t["href"]))}"' not in obj.content
    ]
    return {
        "title": obj.name or f"{author.name}: {excerpt(obj.content, 60)}",
        "name": obj.name,
        "url": obj.uri,
        "author": {
            "name": author.name,
            "handle": handle_of(author, settings.domain),
            "url": author.uri,
            "icon_url": author.icon_url,
        },
        "content": Markup(obj.content),  # noqa: S704 - sanitised by clean_html when stored
        "language": obj.language or author.language,
        "translations": [
            {"lang": lang, "label": language_name(lang), "html": Markup(html)}  # noqa: S704
            for lang, html in obj.content_map.items()
            if lang != obj.language and html
        ],
        "attachments": _attachments(obj),
        "tags": tags,
        "in_reply_to": obj.in_reply_to_uri,
        "published": iso(obj.published_at),
        "published_at": obj.published_at,
        "published_shown": obj.published_at.strftime("%d %B %Y, %H:%M UTC"),
        "edited": obj.updated_at != obj.published_at,
        "replies": obj.replies_count,
        "likes": obj.likes_count,
        "announces": obj.announces_count,
    }


#: Replies one page shows; a link leads to the next ones.
REPLIES_SHOWN = 50
_WEB = ("https://", "http://")


def _reply_view(item: Item, settings: Settings) -> dict[str, Any]:
    obj, author = item
    profile = author.uri if author.local else (author.url or author.uri)
    return {
        "author": {
            "name": author.name or author.username,
            "handle": handle_of(author, settings.domain),
            "url": profile if profile.startswith(_WEB) else None,
        },
        "content": Markup(obj.content),  # noqa: S704 - sanitised by clean_html when stored
        "language": obj.language,
        "url": obj.url if obj.url and obj.url.startswith(_WEB) else obj.uri,
        "published": iso(obj.published_at),
        "published_at": obj.published_at,
    }


def _after(request: Request) -> int | None:
    raw = request.query_params.get("replies_after", "")
    return int(raw) if raw.isascii() and raw.isdigit() and len(raw) < 19 else None


async def replies_view(
    request: Request, session: AsyncSession, obj: ContentObject
) -> dict[str, Any]:
    """The public and unlisted replies to `obj` after `?replies_after=`, oldest first."""
    settings: Settings = request.app.state.settings
    after = _after(request)
    items, more = await open_replies(session, obj.uri, limit=REPLIES_SHOWN, after_id=after)
    last = items[-1][0].id if items else None
    return {
        "shown": [_reply_view(item, settings) for item in items],
        "earlier_url": obj.uri if after is not None else None,
        "more_url": f"{obj.uri}?replies_after={last}#replies" if more and last else None,
    }


async def note_page(
    request: Request, session: AsyncSession, obj: ContentObject, author: Actor
) -> Response:
    """The page at a live, readable note's id."""
    settings: Settings = request.app.state.settings
    actions = await note_actions(request, obj)
    response = render(
        request,
        "note.html",
        headers=actions.headers({"Vary": "Accept"}),
        act=actions.context,
        n=note_view(obj, author, settings),
        replies=await replies_view(request, session, obj),
        actor_uri=obj.uri,
        noindex=obj.visibility != "public",
    )
    return actions.finish(response)
