"""The routers of a member's settings pages: their notifications, their personal API tokens,
and whom they block and mute (one registration in app.py)."""

from __future__ import annotations

from fastapi import FastAPI

from smartnode.web import block_pages, notification_pages, token_pages


def include(app: FastAPI) -> None:
    """Add these routes to the app."""
    app.include_router(notification_pages.router)
    app.include_router(token_pages.router)
    app.include_router(block_pages.router)
