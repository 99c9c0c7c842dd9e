"""The node's own JSON API, mounted at /api/smart/v1 (OpenAPI at /api/smart/v1/openapi.json, docs
at /docs).

Reads are public and respect members' privacy choices; writes need a bearer token (admin,
member, or an app's within its scopes) and the use case decides (docs/permissions.md).
"""

from __future__ import annotations

from fastapi import APIRouter

from smartnode.api.v1 import (
    accounts,
    applications,
    calls,
    directory,
    events,
    feeds,
    follows,
    matching,
    members,
    node,
    notifications,
    participation,
    posts,
    projects,
    search,
    teams,
)
from smartnode.api.v1.skills import router as skills_router

router = APIRouter()
router.include_router(node.router)
router.include_router(members.router)
router.include_router(accounts.router)
router.include_router(projects.router)
router.include_router(follows.router)
router.include_router(posts.router)
router.include_router(skills_router)
router.include_router(events.router)
router.include_router(participation.router)
router.include_router(calls.router)
router.include_router(applications.router)
router.include_router(teams.router)
router.include_router(notifications.router)
router.include_router(feeds.router)
router.include_router(matching.router)
router.include_router(search.router)
router.include_router(directory.router)
