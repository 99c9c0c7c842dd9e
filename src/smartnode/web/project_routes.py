"""The routers of projects and their calls in the browser: creating and editing them, the team,
publishing calls (one registration in app.py)."""

from __future__ import annotations

from fastapi import FastAPI

from smartnode.web import (
    call_edit_pages,
    call_forms,
    follow_pages,
    membership_pages,
    project_pages,
    team_pages,
)


def include(app: FastAPI) -> None:
    """Add these routes to the app."""
    app.include_router(project_pages.router)  # /new/project, /projects/{slug}/edit
    app.include_router(team_pages.router)  # /projects/{slug}/team and its forms
    app.include_router(membership_pages.router)  # join, leave, /team-invitations
    app.include_router(call_forms.router)  # publish a call
    app.include_router(call_edit_pages.router)  # edit, close and re-open a call
    app.include_router(follow_pages.router)  # follow and unfollow members and projects
