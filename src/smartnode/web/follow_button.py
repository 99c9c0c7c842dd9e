"""The Follow or Unfollow button of a member's or project's page (the routes are in
web/follow_pages.py), and what the Block and Mute buttons of a member's page need (their
routes: web/block_pages.py)."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import Request

from smartnode.actors.follow_cases import follow_state_of
from smartnode.actors.hiding import standings
from smartnode.storage.models import Actor
from smartnode.web.project_actions import Actions
from smartnode.web.viewer import page_member


async def follow_button(request: Request, target: Actor) -> Actions:
    """Follow or Unfollow (`follow` in the page's context, with how the viewer stands as to
    blocks and mutes) for a signed-in member looking at someone else's page; no button (None)
    otherwise."""
    viewer = await page_member(request)
    if viewer is None or viewer.actor.id == target.id:
        return Actions(request, {"follow": None}, False)
    async with request.app.state.db.session() as own, own.begin():
        state = await follow_state_of(own, viewer.actor, target)
        standing = (await standings(own, viewer.actor.id, [target.id], datetime.now(UTC)))[
            target.id
        ]
    actions = Actions(request, {}, True)
    button = {"state": state, "target": target.uri, "next": request.url.path,
              "target_id": target.id, "blocking": standing.blocking,
              "blocked_by": standing.blocked_by, "muting": standing.muting}  # fmt: skip
    actions.context["follow"] = {**button, "csrf": actions.context["csrf"]}
    return actions
