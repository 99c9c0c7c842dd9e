"""The routers of the calls in the browser: the board, applying, the applications queue and
remote interaction (one registration in app.py)."""

from __future__ import annotations

from fastapi import FastAPI

from smartnode.web import (
    application_pages,
    apply_pages,
    board,
    my_applications,
    remote_interaction,
)


def include(app: FastAPI) -> None:
    """Add the board's routes to the app."""
    app.include_router(board.router)
    app.include_router(apply_pages.router)
    app.include_router(application_pages.router)
    app.include_router(remote_interaction.router)
    app.include_router(my_applications.router)
