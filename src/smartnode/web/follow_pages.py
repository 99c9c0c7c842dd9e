"""Follow and Unfollow buttons on the pages of members and projects, for signed-in members.

A follow made here is the one the API and the CLI make (`actors/follow_cases.follow_as`): a
member of this node is followed at once, unless they approve their followers; what the
followed actor posts then shows on the follower's home page (`content/timeline.py`).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from smartnode.actors.follow_cases import NotFollowing, follow_as, unfollow_as
from smartnode.api.deps import SessionDep, SettingsDep
from smartnode.errors import Forbidden, NotFound
from smartnode.web.account_pages import see_other
from smartnode.web.apply_pages import inbox_context, to_signin
from smartnode.web.forms import check_form
from smartnode.web.i18n import N_
from smartnode.web.language_pages import local_path
from smartnode.web.pages import error_page
from smartnode.web.viewer import viewer_of

router = APIRouter(include_in_schema=False)
NO_ONE = N_("There is no one to follow at this address.")


async def _change(
    request: Request, session: SessionDep, settings: SettingsDep, target: str, back: str,
    following: bool,
) -> Response:  # fmt: skip
    check_form(request, settings, await request.form())  # FormRefused: the 403 page
    viewer = await viewer_of(request, session, settings)
    if viewer is None:
        return to_signin(local_path(back))
    now = datetime.now(UTC)
    try:
        async with session.begin():
            context = inbox_context(request, session, now)
            change = follow_as if following else unfollow_as
            await change(session, context.uris, viewer.principal, viewer.actor.username, target,
                         context.resolver, now)  # fmt: skip
    except NotFollowing:
        pass  # already not following: the page shows the Follow button again
    except (NotFound, Forbidden):
        return error_page(request, 404, NO_ONE)
    request.app.state.documents.clear()
    return see_other(local_path(back))


@router.post("/follow")
async def follow(
    request: Request, session: SessionDep, settings: SettingsDep,
    target: Annotated[str, Form(max_length=2000)], next: Annotated[str, Form()] = "/",
) -> Response:  # fmt: skip
    """The signed-in member follows `target` (an actor's id), then goes back."""
    return await _change(request, session, settings, target, next, following=True)


@router.post("/unfollow")
async def unfollow(
    request: Request, session: SessionDep, settings: SettingsDep,
    target: Annotated[str, Form(max_length=2000)], next: Annotated[str, Form()] = "/",
) -> Response:  # fmt: skip
    """The signed-in member stops following `target`, then goes back."""
    return await _change(request, session, settings, target, next, following=False)
