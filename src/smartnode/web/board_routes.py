"""The routers of the calls in the browser: applying, the applications queue and remote
interaction (one registration in app.py); the board is a plain route ahead of them
(`board.add_hot_routes`)."""

from __future__ import annotations

from fastapi import FastAPI

from smartnode.web import (
    application_pages,
    apply_pages,
    my_applications,
    remote_interaction,
)


def include(app: FastAPI) -> None:
    """Add the routes of applying to calls to the app."""
    app.include_router(apply_pages.router)
    app.include_router(application_pages.router)
    app.include_router(remote_interaction.router)
    app.include_router(my_applications.router)
