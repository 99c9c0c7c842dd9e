"""The routers of events and posts in the browser: creating, editing, joining, writing and replying
(one registration in app.py)."""

from __future__ import annotations

from fastapi import FastAPI


def include(app: FastAPI) -> None:
    """Add these routes to the app."""
