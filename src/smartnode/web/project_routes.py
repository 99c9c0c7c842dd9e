"""The routers of projects and their calls in the browser: creating and editing them, the team,
publishing calls (one registration in app.py)."""

from __future__ import annotations

from fastapi import FastAPI


def include(app: FastAPI) -> None:
    """Add these routes to the app."""
