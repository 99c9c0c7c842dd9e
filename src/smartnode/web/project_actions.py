"""The buttons a project's page shows to who may use them: the domain says who may
(project_cases.may_manage, team_cases.my_standing); the page only passes the answer on, with a
CSRF token for its forms."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import Response

from smartnode.actors.project_cases import may_manage
from smartnode.config import Settings
from smartnode.content.team_cases import my_standing
from smartnode.storage.db import Database
from smartnode.storage.models import Actor
from smartnode.web.forms import Csrf
from smartnode.web.i18n import N_
from smartnode.web.viewer import page_member

DONE = {
    "created": N_(
        "Your project was started. You coordinate it: invite your team and publish calls."
    ),
    "saved": N_("The project was saved."),
    "asked": N_("You asked to join; the project's coordinators will answer you."),
    "left": N_("You left the team."),
}
PRIVATE = {"Cache-Control": "private, no-store"}


class Actions:
    """What a page shows of its buttons, and the CSRF cookie its forms need."""

    def __init__(self, request: Request, context: dict[str, Any], signed_in: bool) -> None:
        settings: Settings = request.app.state.settings
        self.csrf = Csrf(request, settings) if signed_in else None
        self.context = {**context, "csrf": self.csrf.token if self.csrf else ""}
        self.headers = dict(PRIVATE) if signed_in else {}

    def finish(self, response: Response) -> Response:
        if self.csrf is not None:
            self.csrf.set_on(response)
        return response


async def project_actions(request: Request, project: Actor) -> Actions:
    """Edit, Team and Publish a call for its coordinators; Join, Leave or the answer to an
    invitation for a signed-in member."""
    viewer = await page_member(request)
    done = DONE.get(request.query_params.get("done", ""))
    if viewer is None:
        return Actions(request, {"manage": False, "standing": None, "done": done}, False)
    db: Database = request.app.state.db
    async with db.session() as own, own.begin():
        manage = await may_manage(own, viewer.principal, project)
        standing = await my_standing(own, viewer.principal, project)
    context = {"manage": manage, "standing": standing, "done": done, "slug": project.username}
    return Actions(request, context, True)
