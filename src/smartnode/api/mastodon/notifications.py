"""Mastodon's notifications: the member's list (`types[]`, `exclude_types[]`, `account_id`,
paged with the `Link` header), one, dismiss (removes it), clear (removes all) and the unread
count, read through content/notice_parties.py.

Our kinds reach apps as types they display: the project's direct message about an
application is a `mention` of that status; a call that suits the member, an application or
withdrawal to their call, a decision without a direct message, a request to take part in
their event and the answer to theirs are a `status` (the call or the event, from who it is
about). A follow is a `follow` (a `follow_request` while it waits for the member's
answer), a mention and a reply to the member's post are a `mention`
(content/social_notices.py). Team notices have no status and are left out (the web page
and the native API show them).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse
from sqlalchemy.ext.asyncio import AsyncSession

from smartnode.actors.acting import READ_NOTIFICATIONS, WRITE_NOTIFICATIONS
from smartnode.api.deps import SessionDep, SettingsDep, UrisDep
from smartnode.api.mastodon.auth import Caller, MastodonRoute, member_of
from smartnode.api.mastodon.entities import Renderer, iso_ms
from smartnode.api.mastodon.pagination import Id, clamp, link_headers
from smartnode.content import notice_parties as cases
from smartnode.content.notice_parties import Notice
from smartnode.errors import NotFound, ValidationFailed
from smartnode.federation.uris import NodeUris
from smartnode.storage.models import Actor
from smartnode.storage.models_work import Notification
from smartnode.storage.windows import IdWindow, newest_first

router = APIRouter(prefix="/api/v1/notifications", include_in_schema=False,
                   route_class=MastodonRoute)  # fmt: skip
#: Our kinds that may reach apps (each as `status`, or `mention` for a direct message).
SHOWN = ("call_match", "application", "withdrawal", "decision", "event_join",
         "event_participation", "follow", "mention", "reply")  # fmt: skip
#: Our kinds that mention the member in a post (a reply to their post among them).
MENTIONS = ("mention", "reply")
#: Mastodon's types; those we never make simply match nothing.
TYPES = frozenset({"mention", "status", "reblog", "follow", "follow_request", "favourite",
                   "poll", "update", "admin.sign_up", "admin.report", "severed_relationships",
                   "moderation_warning", "quote", "quoted_update"})  # fmt: skip
DEFAULT_LIMIT, MAX_LIMIT = 40, 80
UNREAD_DEFAULT, UNREAD_MOST = 100, 1000
Limit = Annotated[int | None, Query(ge=-(2**31), le=2**31)]


def notice_id(value: str) -> int:
    """A notification id of the path; 404 for anything that is not one."""
    if not value.isdigit() or len(value) > 18:
        raise NotFound("Record not found")
    return int(value)


def type_of(notice: Notice) -> str | None:
    """The Mastodon type a notice reaches apps as (None: not shown)."""
    if notice.account is None:
        return None
    if notice.row.kind == "follow":
        return "follow_request" if notice.row.data.get("state") == "pending" else "follow"
    if notice.status is None:
        return None
    return "mention" if notice.direct or notice.row.kind in MENTIONS else "status"


def _types(request: Request, name: str) -> set[str] | None:
    values = [*request.query_params.getlist(f"{name}[]"), *request.query_params.getlist(name)]
    if not values:
        return None
    unknown = sorted(set(values) - TYPES)
    if unknown:
        raise ValidationFailed(f"Validation failed: {name}: unknown type {unknown[0]!r}")
    return set(values)


def _wanted(request: Request, account_id: str | None) -> Any:
    types, excluded = _types(request, "types"), _types(request, "exclude_types") or set()

    def wanted(notice: Notice) -> bool:
        kind = type_of(notice)
        if kind is None or kind in excluded or (types is not None and kind not in types):
            return False
        return account_id is None or str(notice.account.id if notice.account else "") == account_id

    return wanted


async def _entities(
    session: SessionDep, renderer: Renderer, member: Actor, notices: list[Notice]
) -> list[dict[str, Any]]:
    accounts = await renderer.accounts(list({n.account.id: n.account for n in notices
                                             if n.account is not None}.values()))  # fmt: skip
    items = [n.status for n in notices if n.status is not None]
    statuses = {s["id"]: s for s in await renderer.statuses(items, member)}
    found = []
    for notice in notices:
        assert notice.account is not None  # shown: it has a sender
        entity = {
            "id": str(notice.row.id), "type": type_of(notice),
            "created_at": iso_ms(notice.row.created_at),
            "group_key": f"ungrouped-{notice.row.id}",
            "account": accounts[notice.account.id],
        }  # fmt: skip
        if notice.status is not None and notice.row.kind != "follow":
            entity["status"] = statuses[str(notice.status[0].id)]
        found.append(entity)
    return found


async def notification_entity(
    session: AsyncSession, uris: NodeUris, member: Actor, row: Notification
) -> dict[str, Any] | None:
    """One stored notification as apps receive it (the streaming API's payload too); None
    for a kind that does not reach apps, or from someone the member blocks or mutes."""
    notices = await cases.notices_of(session, member, [row])
    heard = await cases.audible(session, member, notices, datetime.now(UTC))
    if row.kind not in SHOWN or not heard or type_of(heard[0]) is None:
        return None
    notice = heard[0]
    (found,) = await _entities(session, Renderer(session, uris), member, [notice])
    return found


@router.get("")
async def list_notifications(
    request: Request, principal: Caller, session: SessionDep, uris: UrisDep,
    settings: SettingsDep, limit: Limit = None, max_id: Id = None, since_id: Id = None,
    min_id: Id = None, account_id: Annotated[str | None, Query(max_length=20)] = None,
) -> JSONResponse:  # fmt: skip
    window = IdWindow(clamp(limit, default=DEFAULT_LIMIT, most=MAX_LIMIT), max_id, since_id,
                      min_id)  # fmt: skip
    wanted = _wanted(request, account_id)
    async with session.begin():
        member = await member_of(session, principal, READ_NOTIFICATIONS)
        notices = [n for n in await cases.notices_window(session, principal, window, SHOWN)
                   if wanted(n)]  # fmt: skip
        page = newest_first(notices, window)
        rendered = await _entities(session, Renderer(session, uris), member, page)
    links = link_headers(request, settings.base_url, [n.row.id for n in page], window.limit)
    return JSONResponse(rendered, headers=links)


@router.get("/unread_count")
async def unread_count(
    request: Request, principal: Caller, session: SessionDep, limit: Limit = None
) -> JSONResponse:
    async with session.begin():
        await member_of(session, principal, READ_NOTIFICATIONS)
        count = await cases.unread_count(
            session, principal, SHOWN, clamp(limit, default=UNREAD_DEFAULT, most=UNREAD_MOST)
        )
    return JSONResponse({"count": count})


@router.post("/clear")
async def clear(principal: Caller, session: SessionDep) -> JSONResponse:
    async with session.begin():
        await member_of(session, principal, WRITE_NOTIFICATIONS)
        await cases.clear(session, principal)
    return JSONResponse({})


@router.get("/{notification}")
async def get_notification(
    notification: str, principal: Caller, session: SessionDep, uris: UrisDep
) -> JSONResponse:
    async with session.begin():
        member = await member_of(session, principal, READ_NOTIFICATIONS)
        notice = await cases.notice_by_id(session, principal, notice_id(notification))
        if type_of(notice) is None:
            raise NotFound("Record not found")
        (found,) = await _entities(session, Renderer(session, uris), member, [notice])
    return JSONResponse(found)


@router.post("/{notification}/dismiss")
async def dismiss(notification: str, principal: Caller, session: SessionDep) -> JSONResponse:
    async with session.begin():
        await member_of(session, principal, WRITE_NOTIFICATIONS)
        await cases.dismiss(session, principal, notice_id(notification))
    return JSONResponse({})
