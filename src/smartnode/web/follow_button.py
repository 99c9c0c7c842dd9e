"""The Follow or Unfollow button of a member's or project's page (the routes are in
web/follow_pages.py)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from fastapi import Request
from fastapi.responses import Response

from smartnode.actors.follow_cases import follow_state_of
from smartnode.storage.models import Actor
from smartnode.web.forms import Csrf
from smartnode.web.viewer import page_viewer, viewer_of


@dataclass
class FollowButton:
    """The button's context (None: no button) and the CSRF cookie to set with the page."""

    context: dict[str, Any] | None = None
    csrf: Csrf | None = field(default=None)

    def finish(self, response: Response) -> Response:
        if self.csrf is not None:
            self.csrf.set_on(response)
        return response


async def follow_button(request: Request, target: Actor) -> FollowButton:
    """Follow or Unfollow for a signed-in member looking at someone else's page."""
    if not page_viewer(request).signed_in:
        return FollowButton()
    settings = request.app.state.settings
    async with request.app.state.db.session() as own:
        viewer = await viewer_of(request, own, settings)
        if viewer is None or viewer.actor.id == target.id:
            return FollowButton()
        async with own.begin():
            state = await follow_state_of(own, viewer.actor, target)
    csrf = Csrf(request, settings)
    here = request.url.path
    return FollowButton({"state": state, "target": target.uri, "next": here,
                         "csrf": csrf.token}, csrf)  # fmt: skip
