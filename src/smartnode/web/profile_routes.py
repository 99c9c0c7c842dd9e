"""The routers of a member's own profile: editing it, the skills autocomplete (one registration in
app.py)."""

from __future__ import annotations

from fastapi import FastAPI

from smartnode.web import profile_pages


def include(app: FastAPI) -> None:
    """Add these routes to the app."""
    app.include_router(profile_pages.router)
